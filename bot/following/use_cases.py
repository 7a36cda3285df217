"""Following as use cases: an incident (through its follow role), a territory or a sector (through the routes'
roles, bot/following/rules.py).

Why a role per incident: a thread post that mentions one role reaches every follower in one message and
nobody else, while adding people to the thread through the API posts a visible "added" line per person. The
role is created on an incident's first follow, given once to each follower (one request each, ever), removed
from a member who unfollows, and deleted when the incident closes (after the final thread post, on the
incident's own lane). A reopened incident gets a new role, given back to its followers.

All planning happens inside the caller's unit of work, as outbox rows; ids Discord has not given yet are
`$ref`s to the rows that will get them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.common.actor import Actor
from bot.common.text import name_key
from bot.delivery import outbox
from bot.delivery.kinds import FORGOTTEN, OutboxKind
from bot.following import store as follows
from bot.following.presentation import RoleRef, follow_role_name, with_note
from bot.following.rules import FollowError, area, covering_roles
from bot.incidents import store as repo
from bot.incidents.rules.model import Status
from bot.incidents.store import StoredIncident
from bot.settings.use_cases import ServerUseCases
from bot.storage import audit
from bot.storage.store import Store

# --- the incident's follow role -----------------------------------------------------------------------------

log = logging.getLogger(__name__)


async def _role_of(conn: aiosqlite.Connection, stored: StoredIncident) -> tuple[RoleRef | None, bool]:
    """The incident's follow role (its id, or a `$ref` while being created) and whether a new one is needed."""
    role_id, role_row = await follows.follow_role(conn, stored.id)
    if role_id is not None:
        return int(role_id), False
    if role_row is None:
        return None, True
    row = await outbox.get(conn, int(role_row))
    if row is None or row.status in ("failed", "superseded"):
        return None, True
    if row.status == "done" and row.result is not None and "role_id" in row.result:
        known = int(row.result["role_id"])
        await follows.set_follow_role(conn, stored.id, role_id=known, role_row=int(role_row))
        return known, False
    return outbox.ref(int(role_row), "role_id"), False


async def ensure_follow_role(conn: aiosqlite.Connection, stored: StoredIncident, *, now: datetime) -> RoleRef:
    role, needed = await _role_of(conn, stored)
    if role is not None:
        return role
    assert needed
    guild_id = stored.incident.guild_id
    row = await outbox.enqueue(
        conn,
        guild_id=guild_id,
        lane=outbox.roles_lane(guild_id),
        kind=OutboxKind.CREATE_ROLE,
        # Not mentionable: the bot's Mention Everyone permission lets its posts ping it; members cannot.
        payload={
            "guild_id": guild_id,
            "name": follow_role_name(stored.incident.number),
            "mentionable": False,
            "incident_id": stored.id,
        },
        now=now,
    )
    await follows.set_follow_role(conn, stored.id, role_id=None, role_row=row)
    return outbox.ref(row, "role_id")


async def _member_role(
    conn: aiosqlite.Connection, kind: OutboxKind, guild_id: int, user_id: int, role: RoleRef, *, now: datetime
) -> int:
    """One role given to a member (`add_role`) or taken back (`remove_role`), on the server's roles lane."""
    return await outbox.enqueue(
        conn,
        guild_id=guild_id,
        lane=outbox.roles_lane(guild_id),
        kind=kind,
        payload={"guild_id": guild_id, "user_id": user_id, "role_id": role},
        now=now,
    )


async def give_follow_role(
    conn: aiosqlite.Connection, stored: StoredIncident, user_id: int, *, now: datetime
) -> int | None:
    """One role add for a new follower of an open incident (closed ones have no role; a reopen gives it); its
    outbox row."""
    if not stored.incident.is_open:
        return None
    role = await ensure_follow_role(conn, stored, now=now)
    guild_id = stored.incident.guild_id
    row = await _member_role(conn, OutboxKind.ADD_ROLE, guild_id, user_id, role, now=now)
    await follows.set_role_row(conn, guild_id, user_id, stored.id, row)
    return row


async def take_follow_role(
    conn: aiosqlite.Connection, stored: StoredIncident, user_id: int, *, now: datetime
) -> int | None:
    role, _ = await _role_of(conn, stored)
    if role is None:
        return None
    return await _member_role(conn, OutboxKind.REMOVE_ROLE, stored.incident.guild_id, user_id, role, now=now)


async def roles_given(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> list[int]:
    """Every follow role the bot gave the member in the server: the follow role of each open incident they follow
    (made: one still being made was not given yet), and the route roles their territory and sector follows gave
    (`role_ids`: never a role they held before). Read before a forget deletes their follows."""
    given = await follows.incident_roles_of(conn, guild_id, user_id)
    for item in await follows.of_member(conn, guild_id, user_id):
        given.extend(item.role_ids)
    return list(dict.fromkeys(given))


async def take_back_from_forgotten(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, roles: list[int], *, pseudonym: str, now: datetime
) -> list[int]:
    """A forgotten member's follow roles taken back, one row each on the server's roles lane (after any add still
    being sent), marked `FORGOTTEN` with the pseudonym's words: the only rows that keep their id, until each has
    ended (bot/delivery/store.py `erase_forgotten_member`)."""
    return [
        await outbox.enqueue(
            conn,
            guild_id=guild_id,
            lane=outbox.roles_lane(guild_id),
            kind=OutboxKind.REMOVE_ROLE,
            payload={"guild_id": guild_id, "user_id": user_id, "role_id": role_id, FORGOTTEN: pseudonym},
            now=now,
        )
        for role_id in roles
    ]


async def _grant_refused(conn: aiosqlite.Connection, stored: StoredIncident, user_id: int) -> bool:
    """Whether the member's last follow role add failed (Discord refused it, or the role could not be made)."""
    row_id = await follows.role_row(conn, stored.incident.guild_id, user_id, stored.id)
    row = await outbox.get(conn, row_id) if row_id is not None else None
    return row is not None and row.status == "failed"


async def follow_with_role(
    conn: aiosqlite.Connection, stored: StoredIncident, user_id: int, *, now: datetime
) -> tuple[bool, int | None]:
    """The member follows the incident, once: the subscription, and the follow role while the incident is open.
    A follower whose role Discord refused earlier asks for it again by following again (the cause may be fixed
    by now). Returns whether the follow is new, and the role add planned now, if any."""
    new = await follows.add(conn, stored.incident.guild_id, user_id, "incident", str(stored.id), at=now)
    if new or await _grant_refused(conn, stored, user_id):
        return new, await give_follow_role(conn, stored, user_id, now=now)
    return new, None


async def follow(conn: aiosqlite.Connection, stored: StoredIncident, user_id: int, *, now: datetime) -> bool:
    """`follow_with_role` (the Follow button, and "Affected too", which follows as well). True when the follow is
    new."""
    new, _ = await follow_with_role(conn, stored, user_id, now=now)
    return new


async def thread_post_role(conn: aiosqlite.Connection, stored: StoredIncident) -> RoleRef | None:
    """The role a thread post of this incident mentions, if it has followers' role (or one on its way)."""
    role, _ = await _role_of(conn, stored)
    if isinstance(role, dict):
        # The post still goes out, without the mention, if the role could not be created.
        return {**role, "default": None}
    return role


async def plan_closed(
    conn: aiosqlite.Connection, stored: StoredIncident, lane: str, *, after: int | None = None, now: datetime
) -> None:
    """The incident closed: its follow role is deleted after what its lane still has to post, and `after` the
    final post (which mentions it) even if that post waits for its thread; then forgotten, so a reopen makes a
    new one."""
    role, _ = await _role_of(conn, stored)
    _, role_row = await follows.follow_role(conn, stored.id)
    if role is None and role_row is None:
        return
    if role is not None:
        guild_id = stored.incident.guild_id
        await outbox.enqueue(
            conn,
            guild_id=guild_id,
            lane=lane,
            kind=OutboxKind.DELETE_ROLE,
            payload={"guild_id": guild_id, "role_id": role},
            after=after,
            now=now,
        )
    await follows.set_follow_role(conn, stored.id, role_id=None, role_row=None)
    await follows.forget_role_rows(conn, stored.incident.guild_id, stored.id)


async def plan_reopened(conn: aiosqlite.Connection, stored: StoredIncident, *, now: datetime) -> None:
    """A reopened incident's followers get a new follow role (one request each), before its reopening post."""
    for follower in await follows.followers(conn, stored.incident.guild_id, stored.id):
        await give_follow_role(conn, stored, follower.user_id, now=now)


async def move_followers(
    conn: aiosqlite.Connection, duplicate: StoredIncident, original: StoredIncident, *, dm_cap: int, now: datetime
) -> int:
    """A duplicate's followers follow its original, each once (one role add for each who did not follow it yet);
    one who had DMs for the duplicate has them for the original, within the server's cap for one incident. The
    duplicate's follows stay, for the record. How many follow the original now who did not."""
    guild_id = original.incident.guild_id
    moved = 0
    for follower in await follows.followers(conn, guild_id, duplicate.id):
        new, _ = await follow_with_role(conn, original, follower.user_id, now=now)
        moved += int(new)
        current = await follows.get(conn, guild_id, follower.user_id, "incident", str(original.id))
        wants_dm = follower.dm and current is not None and not current.dm
        if wants_dm and await follows.dm_count(conn, guild_id, original.id) < dm_cap:
            await follows.set_dm(conn, guild_id, follower.user_id, original.id, True)
    return moved


# --- use cases ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentFollow:
    number: int
    title: str
    new: bool
    dm: bool
    dm_refused: bool = False  # the server's DM cap for this incident is reached
    closed: bool = False
    dms_off: bool = False  # refused because the server sends no DMs at all (/setup dm-limit 0)
    role_rows: tuple[int, ...] = ()  # the role changes planned for the member (outbox rows), to watch


@dataclass(frozen=True)
class AreaFollow:
    kind: str
    target: str
    new: bool
    roles_given: tuple[int, ...]
    roles_held: tuple[int, ...]  # covering roles the member already had
    role_rows: tuple[int, ...] = ()  # the role changes planned for the member (outbox rows), to watch


@dataclass(frozen=True)
class PrivateReply:
    """The private reply a member was shown, which the outbox may still edit while its interaction's token lives
    (15 minutes)."""

    application_id: int
    token: str
    interaction_id: int
    content: str  # as the member sees it


@dataclass(frozen=True)
class RefusalNote:
    """What joins the member's reply should Discord refuse a role change made for them, in their language: `told`
    where the server has a bot-log channel (its admins are told there), `untold` where it has none."""

    told: str
    untold: str


@dataclass(frozen=True)
class FollowLine:
    kind: str
    target: str
    dm: bool
    number: int | None = None
    title: str | None = None
    status: Status | None = None


class Following(ServerUseCases):
    async def _incident(self, conn: aiosqlite.Connection, member: Actor, guild_id: int, number: int) -> StoredIncident:
        if guild_id != member.guild_id:  # a button copied from another server's message
            raise FollowError("outage.error.incident_unknown", number=number)
        stored = await repo.get(conn, member.guild_id, number)
        if stored is None:
            raise FollowError("outage.error.incident_unknown", number=number)
        return stored

    async def follow_incident(
        self, member: Actor, number: int, *, dm: bool | None, now: datetime, guild_id: int | None = None
    ) -> IncidentFollow:
        """Follows (once) and, when `dm` is said, opts in or out of DMs for this incident."""
        async with self.store.unit_of_work() as conn:
            config = await self.config(conn, member.guild_id)
            config.require_incidents_setup()
            stored = await self._incident(conn, member, guild_id or member.guild_id, number)
            new, role_row = await follow_with_role(conn, stored, member.user_id, now=now)
            current = await follows.get(conn, member.guild_id, member.user_id, "incident", str(stored.id))
            assert current is not None
            refused = False
            wants_dm = current.dm
            if dm is True and not current.dm:
                cap = config.dm_cap_per_incident
                # A cap of 0 (/setup dm-limit 0) means the server sends no DMs at all: every opt-in is refused.
                if cap <= 0 or await follows.dm_count(conn, member.guild_id, stored.id) >= cap:
                    refused = True
                else:
                    wants_dm = True
                    await follows.reopen_dms(conn, member.user_id)  # asked again: worth one more try
            elif dm is False:
                wants_dm = False
            if wants_dm != current.dm:
                await follows.set_dm(conn, member.guild_id, member.user_id, stored.id, wants_dm)
            result = f"#{number}: {'followed' if new else 'already'}, dm={wants_dm}" + (
                ", dm refused" if refused else ""
            )
            await audit.record_by(conn, member, "follow incident", {"incident": number, "dm": dm}, result, now)
        return IncidentFollow(
            number,
            stored.incident.title,
            new,
            wants_dm,
            dm_refused=refused,
            closed=not stored.incident.is_open,
            dms_off=refused and config.dm_cap_per_incident <= 0,
            role_rows=(role_row,) if role_row is not None else (),
        )

    async def unfollow_incident(
        self, member: Actor, number: int, *, now: datetime, guild_id: int | None = None
    ) -> IncidentFollow:
        async with self.store.unit_of_work() as conn:
            stored = await self._incident(conn, member, guild_id or member.guild_id, number)
            removed = await follows.remove(conn, member.guild_id, member.user_id, "incident", str(stored.id))
            role_row = await take_follow_role(conn, stored, member.user_id, now=now) if removed else None
            result = f"#{number}: {'unfollowed' if removed else 'was not following'}"
            await audit.record_by(conn, member, "unfollow incident", {"incident": number}, result, now)
        rows = (role_row,) if role_row is not None else ()
        return IncidentFollow(number, stored.incident.title, removed, False, role_rows=rows)

    async def follow_area(
        self, member: Actor, *, territory: str | None, sector: str | None, now: datetime
    ) -> AreaFollow:
        kind, target = area(territory, sector)
        async with self.store.unit_of_work() as conn:
            config = await self.config(conn, member.guild_id)
            known = {name_key(key) for key in config.sectors} | {name_key(r.sector) for r in config.routes if r.sector}
            if sector is not None and name_key(sector) not in known:
                raise FollowError("follow.error.sector_unknown", sector=sector[:50])
            roles = covering_roles(config.routes, territory=territory, sector=sector)
            held = tuple(r for r in roles if r in member.role_ids)
            earlier = await follows.get(conn, member.guild_id, member.user_id, kind, target)
            given = tuple(r for r in roles if r not in member.role_ids)
            if earlier is not None:
                given = tuple(dict.fromkeys((*earlier.role_ids, *given)))
                await follows.remove(conn, member.guild_id, member.user_id, kind, target)
            await follows.add(conn, member.guild_id, member.user_id, kind, target, at=now, role_ids=given)
            rows = [
                await _member_role(conn, OutboxKind.ADD_ROLE, member.guild_id, member.user_id, role_id, now=now)
                for role_id in given
                if role_id not in member.role_ids
            ]
            result = f"{kind} {target}: roles {list(given)}"
            await audit.record_by(conn, member, f"follow {kind}", {kind: target}, result, now)
        return AreaFollow(
            kind, target, earlier is None, tuple(r for r in given if r not in held), held, role_rows=tuple(rows)
        )

    async def unfollow_area(
        self, member: Actor, *, territory: str | None, sector: str | None, now: datetime
    ) -> AreaFollow:
        kind, target = area(territory, sector)
        async with self.store.unit_of_work() as conn:
            earlier = await follows.get(conn, member.guild_id, member.user_id, kind, target)
            removed: tuple[int, ...] = ()
            rows: list[int] = []
            if earlier is not None:
                await follows.remove(conn, member.guild_id, member.user_id, kind, target)
                # A role another of the member's follows gave stays.
                still = {r for f in await follows.of_member(conn, member.guild_id, member.user_id) for r in f.role_ids}
                removed = tuple(r for r in earlier.role_ids if r not in still)
                for role_id in removed:
                    rows.append(
                        await _member_role(
                            conn, OutboxKind.REMOVE_ROLE, member.guild_id, member.user_id, role_id, now=now
                        )
                    )
            result = f"{kind} {target}: {'unfollowed' if earlier else 'was not following'}, roles {list(removed)}"
            await audit.record_by(conn, member, f"unfollow {kind}", {kind: target}, result, now)
        return AreaFollow(kind, target, earlier is not None, removed, (), role_rows=tuple(rows))

    async def tell_if_refused(
        self,
        member: Actor,
        reply: PrivateReply,
        note: RefusalNote,
        *,
        rows: tuple[int, ...] = (),
        incident: int | None = None,
        now: datetime,
    ) -> None:
        """Should Discord refuse one of `rows` (role changes planned for the member; with `incident`, the add of
        their follow role of that incident), the member's reply is edited to say so: what they follow is saved,
        the role is not (or still is) theirs. Asked once the reply was sent: an edit planned before it could reach
        Discord first and leave the reply a second message. A change already refused is told at once."""
        async with self.store.unit_of_work() as conn:
            watched = list(rows)
            if incident is not None:
                stored = await repo.get(conn, member.guild_id, incident)
                row = await follows.role_row(conn, member.guild_id, member.user_id, stored.id) if stored else None
                if row is not None:
                    watched.append(row)
            if not watched:
                return
            config = await self.config(conn, member.guild_id)
            lane = outbox.reply_lane(member.guild_id, member.user_id)
            coalesce_key = f"reply:{reply.interaction_id}"
            payload: dict[str, Any] = {
                "application_id": str(reply.application_id),
                "token": reply.token,
                "content": with_note(reply.content, note.told if config.bot_log_channel_id else note.untold),
                "allowed_mentions": {"parse": []},
            }
            kind = OutboxKind.EDIT_INTERACTION_REPLY
            then = {"lane": lane, "kind": kind.value, "payload": payload, "coalesce_key": coalesce_key}
            for row_id in dict.fromkeys(watched):
                if await outbox.add_on_failure(conn, row_id, then) == "failed":
                    await outbox.enqueue(
                        conn,
                        guild_id=member.guild_id,
                        lane=lane,
                        kind=kind,
                        payload=payload,
                        coalesce_key=coalesce_key,
                        now=now,
                    )

    async def following(self, member: Actor) -> list[FollowLine]:
        async with self.store.reading() as conn:
            lines = []
            for item in await follows.of_member(conn, member.guild_id, member.user_id):
                if item.kind == "incident":
                    stored = await repo.get_by_id(conn, int(item.target))
                    if stored is None:
                        continue
                    incident = stored.incident
                    lines.append(
                        FollowLine(item.kind, item.target, item.dm, incident.number, incident.title, incident.status)
                    )
                else:
                    lines.append(FollowLine(item.kind, item.target, item.dm))
        return lines

    async def tell_dms_closed(self, user_id: int, *, now: datetime) -> bool:
        return await tell_dms_closed(self.store, user_id, now=now)


async def tell_dms_closed(store: Store, user_id: int, *, now: datetime) -> bool:
    """True once, the first time after a member's DMs were found closed: the caller tells them."""
    async with store.reading() as conn:
        if not await follows.untold_dms_closed(conn, user_id):
            return False
    async with store.unit_of_work() as conn:
        return await follows.mark_told(conn, user_id, at=now)


async def make_follow_role_again(conn: aiosqlite.Connection, guild_id: int, role_id: int, *, now: datetime) -> bool:
    """A role found deleted when it was to be given (a moderator removed it): an open incident's follow role is
    made again and given back to every follower, so their pings do not stop silently. False when the role is no
    incident's (a route's role: admins are told, /setup check names it)."""
    incident_id = await follows.incident_of_follow_role(conn, guild_id, role_id)
    if incident_id is None:
        return False
    stored = await repo.get_by_id(conn, incident_id)
    if stored is None:
        return False
    await follows.set_follow_role(conn, incident_id, role_id=None, role_row=None)
    await follows.forget_role_rows(conn, guild_id, incident_id)
    if stored.incident.is_open:
        for follower in await follows.followers(conn, guild_id, incident_id):
            await give_follow_role(conn, stored, follower.user_id, now=now)
    log.warning("the follow role of incident %s was deleted on Discord; made again for its followers", incident_id)
    return True
