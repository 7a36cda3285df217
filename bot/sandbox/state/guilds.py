"""Guilds, their members and their roles: what a test builds, and the role actions Discord checks against the
actor's permissions and role position."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bot.sandbox.permissions import DEFAULT_EVERYONE, Perm, can_manage_role
from bot.sandbox.state.objects import (
    KIND_GUILDS,
    KIND_MEMBERS,
    ApiError,
    Guild,
    Member,
    Role,
    User,
)
from bot.sandbox.state.payloads import Payloads

# What PATCH /guilds/{id}/roles/{id} may change, and how each value is read; an absent or null field is kept.
EDITABLE_ROLE_FIELDS: tuple[tuple[str, Callable[[Any], object]], ...] = (
    ("name", str),
    ("permissions", int),
    ("mentionable", bool),
    ("color", int),
    ("hoist", bool),
)


class Guilds(Payloads):
    """Guild building, members and roles."""

    def add_guild(self, name: str, *, preferred_locale: str, bot_permissions: int) -> Guild:
        gid = self.snowflakes.next()
        guild = Guild(
            id=gid,
            name=name,
            owner_id=self.owner.id,
            preferred_locale=preferred_locale,
            everyone_role_id=gid,
            bot_role_id=self.snowflakes.next(),
            joined_at=self.now,
        )
        guild.roles[gid] = Role(gid, gid, "@everyone", permissions=DEFAULT_EVERYONE, position=0)
        guild.roles[guild.bot_role_id] = Role(
            guild.bot_role_id,
            gid,
            self.bot.username,
            permissions=bot_permissions,
            position=1,
            managed=True,
            bot_id=self.bot.id,
        )
        self.guilds[gid] = guild
        guild.members[self.owner.id] = Member(self.owner.id, gid, [], self.now)
        guild.members[self.bot.id] = Member(self.bot.id, gid, [guild.bot_role_id], self.now)
        self.commands.setdefault(gid, {})
        self.emit("GUILD_CREATE", {"__guild_id": gid}, KIND_GUILDS, gid)
        self.changed()
        return guild

    def add_user(self, name: str, *, locale: str, dms_open: bool) -> User:
        user = User(self.snowflakes.next(), name, locale=locale, dms_open=dms_open)
        self.users[user.id] = user
        return user

    def add_member(self, guild_id: int, user: User, roles: Iterable[int]) -> Member:
        guild = self.guild(guild_id)
        member = Member(user.id, guild_id, [int(r) for r in roles], self.now)
        guild.members[user.id] = member
        self._member_event("GUILD_MEMBER_ADD", member)
        return member

    def remove_member(self, guild_id: int, user_id: int) -> None:
        """A member leaves the server (or is kicked): gone from it, their roles with them; GUILD_MEMBER_REMOVE."""
        member = self.member(guild_id, user_id)
        del self.guild(guild_id).members[user_id]
        data = {"guild_id": str(guild_id), "user": self.users[member.user_id].to_dict()}
        self.emit("GUILD_MEMBER_REMOVE", data, KIND_MEMBERS, guild_id)
        self.changed()

    def _member_event(self, event: str, member: Member) -> None:
        data = self.member_dict(member)
        data["guild_id"] = str(member.guild_id)
        self.emit(event, data, KIND_MEMBERS, member.guild_id)
        self.changed()

    def _require_role_manager(self, guild: Guild, actor_id: int, role: Role | None) -> None:
        perms = self.guild_permissions(guild.id, actor_id)
        is_owner = actor_id == guild.owner_id
        if not is_owner and not perms & (Perm.MANAGE_ROLES | Perm.ADMINISTRATOR):
            raise ApiError(403, 50013)
        if role is not None and not can_manage_role(
            actor_top_position=self.top_position(guild.id, actor_id),
            role_position=role.position,
            actor_perms=perms,
            actor_is_owner=is_owner,
        ):
            raise ApiError(403, 50013)

    def create_role(self, guild_id: int, actor_id: int, body: Mapping[str, Any]) -> Role:
        guild = self.guild(guild_id)
        self._require_role_manager(guild, actor_id, None)
        name = str(body.get("name") or "new role")
        if len(name) > 100:
            raise ApiError.invalid_field("name", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        return self.add_role_direct(
            guild_id,
            name,
            permissions=int(body.get("permissions") or 0),
            mentionable=bool(body.get("mentionable", False)),
            position=None,
            color=int(body.get("color") or 0),
            hoist=bool(body.get("hoist", False)),
        )

    def add_role_direct(
        self,
        guild_id: int,
        name: str,
        *,
        permissions: int,
        mentionable: bool,
        position: int | None,
        color: int = 0,
        hoist: bool = False,
    ) -> Role:
        guild = self.guild(guild_id)
        if position is None:
            # A new role goes just above @everyone, as Discord places it, so every role above it (the bot's
            # included) moves up one: the bot's role stays above all the roles a test or an admin creates.
            position = 1
            for r in guild.roles.values():
                if r.id != guild.everyone_role_id:
                    r.position += 1
        role = Role(
            self.snowflakes.next(),
            guild_id,
            name,
            permissions=permissions,
            position=position,
            mentionable=mentionable,
            color=color,
            hoist=hoist,
        )
        guild.roles[role.id] = role
        self.emit("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role.to_dict()}, KIND_GUILDS, guild_id)
        self.changed()
        return role

    def edit_role(self, guild_id: int, role_id: int, actor_id: int, body: Mapping[str, Any]) -> Role:
        guild = self.guild(guild_id)
        role = self.role(guild_id, role_id)
        self._require_role_manager(guild, actor_id, role)
        for name, convert in EDITABLE_ROLE_FIELDS:
            if body.get(name) is not None:
                setattr(role, name, convert(body[name]))
        self.emit("GUILD_ROLE_UPDATE", {"guild_id": str(guild_id), "role": role.to_dict()}, KIND_GUILDS, guild_id)
        self.changed()
        return role

    def delete_role(self, guild_id: int, role_id: int, actor_id: int) -> None:
        guild = self.guild(guild_id)
        role = self.role(guild_id, role_id)
        self._require_role_manager(guild, actor_id, role)
        del guild.roles[role_id]
        for m in guild.members.values():
            if role_id in m.roles:
                m.roles.remove(role_id)
        self.emit("GUILD_ROLE_DELETE", {"guild_id": str(guild_id), "role_id": str(role_id)}, KIND_GUILDS, guild_id)
        self.changed()

    def move_role(self, guild_id: int, role_id: int, *, above: int) -> None:
        """An admin dragging a role just above another in the server's settings (Modify Guild Role Positions):
        the roles in between shift by one, and each role whose position changed is dispatched."""
        guild = self.guild(guild_id)
        moved, anchor = self.role(guild_id, role_id), self.role(guild_id, above)
        ordered = sorted(
            (r for r in guild.roles.values() if r.id not in (guild.everyone_role_id, moved.id)),
            key=lambda r: (r.position, r.id),
        )
        ordered.insert(ordered.index(anchor) + 1, moved)
        for position, role in enumerate(ordered, start=1):
            if role.position != position:
                role.position = position
                update = {"guild_id": str(guild_id), "role": role.to_dict()}
                self.emit("GUILD_ROLE_UPDATE", update, KIND_GUILDS, guild_id)
        self.changed()

    def set_member_role(self, guild_id: int, user_id: int, role_id: int, actor_id: int, *, add: bool) -> None:
        guild = self.guild(guild_id)
        member = self.member(guild_id, user_id)
        role = self.role(guild_id, role_id)
        if actor_id != -1:
            self._require_role_manager(guild, actor_id, role)
            if role.managed:  # a bot's or an integration's own role: nobody gives or takes it by hand
                raise ApiError(403, 50013)
        if add and role_id not in member.roles:
            member.roles.append(role_id)
        elif not add and role_id in member.roles:
            member.roles.remove(role_id)
        else:
            return
        self._member_event("GUILD_MEMBER_UPDATE", member)
