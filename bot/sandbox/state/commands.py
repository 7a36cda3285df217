"""Application commands, global or per guild, as registered by bulk overwrite or upsert."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.sandbox.command_rules import problems
from bot.sandbox.state.core import Core
from bot.sandbox.state.objects import ApiError, found


class Commands(Core):
    """Registered application commands."""

    def _command_dict(
        self, body: Mapping[str, Any], guild_id: int | None, existing: dict[str, Any] | None
    ) -> dict[str, Any]:
        refused = problems(body)
        if refused:
            field, code = refused[0]
            raise ApiError.invalid_field(field or "name", code, f"{code} ({len(refused)} problem(s))")
        cid = int(existing["id"]) if existing else self.snowflakes.next()
        data: dict[str, Any] = {
            "id": str(cid),
            "application_id": str(self.application_id),
            "version": str(self.snowflakes.next()),
            "type": int(body.get("type", 1)),
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description", ""),
            "description_localizations": body.get("description_localizations"),
            "options": body.get("options") or [],
            "default_member_permissions": body.get("default_member_permissions"),
            "nsfw": bool(body.get("nsfw", False)),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        else:
            data["dm_permission"] = body.get("dm_permission", True)
        return data

    def bulk_overwrite_commands(self, guild_id: int | None, bodies: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        if guild_id is not None:
            self.guild(guild_id)
        current = self.commands.setdefault(guild_id, {})
        by_key = {(c["name"], c["type"]): c for c in current.values()}
        new: dict[int, dict[str, Any]] = {}
        for body in bodies:
            if not isinstance(body, Mapping) or not isinstance(body.get("name"), str):
                raise ApiError(400, 50035)
            existing = by_key.get((body["name"], int(body.get("type", 1))))
            cmd = self._command_dict(body, guild_id, existing)
            new[int(cmd["id"])] = cmd
        self.commands[guild_id] = new
        self.changed()
        return list(new.values())

    def upsert_command(self, guild_id: int | None, body: Mapping[str, Any]) -> dict[str, Any]:
        current = self.commands.setdefault(guild_id, {})
        existing = next(
            (c for c in current.values() if c["name"] == body.get("name") and c["type"] == int(body.get("type", 1))),
            None,
        )
        cmd = self._command_dict(body, guild_id, existing)
        current[int(cmd["id"])] = cmd
        self.changed()
        return cmd

    def command(self, guild_id: int | None, command_id: int) -> dict[str, Any]:
        return found(self.commands.get(guild_id, {}), command_id, 10063)
