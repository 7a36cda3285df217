"""What Tocsin keeps about a member, shown to them as a file (`/privacy`), and forgotten on their word or an
admin's: their own data deleted, their id replaced by a per-server pseudonym where the record of an incident must
stay, the messages the bot posted that name them edited. Each feature's member data is read and erased by one
entry of the registry in `store` (ARCHITECTURE.md, "A member's data")."""
