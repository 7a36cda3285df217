"""A member's report (`/report`), and taking it back; what autocomplete and `/following` read of reports.

`report` decides, stores and plans everything in one unit of work: the rate limit, the group the report joins
(or the open incident it joins directly: the member is then affected and follows it), the card's post or edit,
the alert once per group, the audit row and the interaction it answered (the same interaction twice records one
report). Nothing here talks to Discord; the caller wakes the outbox after the return.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import aiosqlite

from bot.common import territories as territory_data
from bot.common.actor import Actor
from bot.common.errors import TocsinError
from bot.common.limits import TextField
from bot.common.text import validate_field
from bot.following import use_cases as following
from bot.incidents import store as incidents_repo
from bot.incidents.rules.service_changes import parse_service_names
from bot.incidents.use_cases.commands import finish
from bot.incidents.use_cases.typed_input import field_error, typed_time
from bot.incidents.use_cases.updates import count_affected
from bot.interactions.access import NotAllowedError
from bot.reports import store as repo
from bot.reports.rules import (
    LISTED_FOR,
    RATE_WINDOW,
    RESOLVED_RECENTLY,
    AlertRule,
    GroupReport,
    GroupStatus,
    MemberReport,
    ReportError,
    ReportState,
    TypedReport,
    abusive,
    add,
    check_rate,
    has_own_card,
    organisation_key,
)
from bot.reports.store import StoredGroup
from bot.reports.use_cases import cards
from bot.reports.use_cases.results import (
    ReportInput,
    ReportOutcome,
    ReportResult,
    WithdrawResult,
)
from bot.settings.rules.config import GuildConfig
from bot.settings.use_cases import ServerUseCases
from bot.storage import audit


def read_report(typed: ReportInput, config: GuildConfig, now: datetime) -> TypedReport:
    organisation = validate_field(TextField.ORGANISATION, typed.organisation, required=True)
    assert organisation is not None
    key = organisation_key(organisation)
    if not key:
        raise ReportError("report.error.organisation_unreadable", text=organisation[:40])
    services: tuple[str, ...] = ()
    if typed.services is not None and typed.services.strip():
        try:
            services = tuple(parse_service_names(typed.services))
        except TocsinError as exc:
            raise field_error("report.field.services", exc) from None
    territories: tuple[str, ...] = ()
    if typed.territories is not None and typed.territories.strip():
        try:
            territories = tuple(t.ref for t in territory_data.parse_list(typed.territories))
        except TocsinError as exc:
            raise field_error("report.field.territories", exc) from None
    since = typed_time(typed.since, "report.field.since", config, now, "past")
    if since is not None and since > now:
        raise ReportError("report.error.since_future")
    details = validate_field(TextField.REPORT_DETAILS, typed.details)
    return TypedReport(organisation, key, services, territories, since, details)


class ReportCommands(ServerUseCases):
    """What every reports use case stands on: the store and the bot's defaults."""


class Reporting(ReportCommands):
    async def report(self, actor: Actor, typed: ReportInput, *, now: datetime) -> ReportResult:
        # The server's configuration is read before the unit of work: it changes rarely, and every statement less
        # under the write lock is less waiting for everyone else's writes (the outbox's, other reports').
        async with self.store.reading() as conn:
            config = await self.config(conn, actor.guild_id)
        config.require_incidents_setup()
        allowed = {config.reports_role_id, config.coordinator_role_id}
        if config.reports_role_id is not None and not allowed & actor.role_ids:
            raise NotAllowedError("report.error.role_only", role=f"<@&{config.reports_role_id}>")
        report = read_report(typed, config, now)
        async with self.store.unit_of_work() as conn:
            earlier = await incidents_repo.replayed(conn, actor, ReportResult)
            if earlier is not None:
                return earlier
            recent = await repo.recent_report_times(conn, actor.guild_id, actor.user_id, since=now - RATE_WINDOW)
            check_rate(recent, now)
            counted = not abusive(await repo.abuse_until(conn, actor.guild_id, actor.user_id), now)
            incident = await self._open_incident(conn, actor.guild_id, report.key)
            if not counted:
                result = await self._set_aside_quietly(conn, actor, report, now=now)
            elif incident is not None:
                result = await self._join_incident(conn, config, actor, report, incident, now=now)
            else:
                result = await self._join_group(conn, config, actor, report, now=now)
            await repo.remember_organisation(conn, actor.guild_id, report.key, report.organisation, at=now)
            said = f"{result.outcome.value}: group {result.group_id}, incident {result.number}"
            if not counted:
                said += ", set aside (abuse)"
            await finish(conn, actor, "report", report.arguments(), said, result.to_json(), now)
        return result

    async def _open_incident(self, conn: aiosqlite.Connection, guild_id: int, key: str) -> int | None:
        """The number of the newest open incident about that organisation, if any."""
        return _about(await repo.open_incidents(conn, guild_id), key)

    async def _join_incident(
        self,
        conn: aiosqlite.Connection,
        config: GuildConfig,
        actor: Actor,
        report: TypedReport,
        number: int,
        *,
        now: datetime,
    ) -> ReportResult:
        """A report about an organisation whose outage is declared: the member is affected and follows it."""
        stored = await incidents_repo.get(conn, actor.guild_id, number)
        assert stored is not None
        incident_id = stored.id
        report_id = await repo.add_report(conn, actor, report, group_id=None, incident_id=incident_id, at=now)
        saved, _ = await count_affected(conn, config, stored, actor.user_id, now=now)
        await following.follow(conn, saved, actor.user_id, now=now)
        incident = saved.incident
        return ReportResult(
            ReportOutcome.DECLARED,
            report.organisation,
            report_id,
            since=report.since,
            number=incident.number,
            title=incident.title,
            thread_id=incident.thread_id,
            incident_channel_id=saved.incident_channel_id,
        )

    async def _set_aside_quietly(
        self, conn: aiosqlite.Connection, actor: Actor, report: TypedReport, *, now: datetime
    ) -> ReportResult:
        """The report of a member marked as abusive: kept, counted nowhere, changing no card; they are answered
        as anyone would be, and nobody else is told."""
        group = await repo.open_group_for_key(conn, actor.guild_id, report.key)
        group_id = group.id if group is not None else None
        report_id = await repo.add_report(
            conn, actor, report, group_id=group_id, incident_id=None, at=now, state=ReportState.ABUSE
        )
        return ReportResult(ReportOutcome.RECORDED, report.organisation, report_id, group_id, since=report.since)

    async def _join_group(
        self, conn: aiosqlite.Connection, config: GuildConfig, actor: Actor, report: TypedReport, *, now: datetime
    ) -> ReportResult:
        group = await repo.open_group_for_key(conn, actor.guild_id, report.key)
        resolved_lately = None
        if group is None:
            on_summary = not has_own_card(await repo.open_carded_count(conn, actor.guild_id))
            group_id = await repo.create_group(
                conn, actor.guild_id, report.organisation, report.key, on_summary=on_summary, now=now
            )
            group = await repo.get_group(conn, group_id)
            assert group is not None
            resolved_lately = await self._resolved_lately(conn, actor.guild_id, report.key, now)
        existing = [r.as_group_report for r in await repo.group_reports(conn, group.id)]
        new = GroupReport(actor.user_id, now, report.services, report.territories, report.since, report.details)
        rule = AlertRule(config.report_alert_members, config.report_alert_window_min)
        addition = add(existing, new, rule, alerted=group.alerted_at is not None)
        report_id = await repo.add_report(conn, actor, report, group_id=group.id, incident_id=None, at=now)
        if addition.alert:
            await repo.set_alerted(conn, group.id, at=now)
            group = replace(group, alerted_at=now)
        card = await cards.card_of(conn, group, addition.facts)
        await cards.plan_card(conn, config, group, card, now=now)
        if addition.alert:
            refreshed = await repo.get_group(conn, group.id)  # the card row planned just above
            assert refreshed is not None
            await cards.plan_alert(conn, config, refreshed, card, now=now)
        return ReportResult(
            ReportOutcome.AGAIN if addition.again else ReportOutcome.RECORDED,
            group.organisation,
            report_id,
            group_id=group.id,
            since=report.since,
            resolved_lately=resolved_lately,
        )

    async def _resolved_lately(self, conn: aiosqlite.Connection, guild_id: int, key: str, now: datetime) -> int | None:
        return _about(await repo.resolved_since(conn, guild_id, since=now - RESOLVED_RECENTLY), key)

    # -- taking a report back --

    async def withdraw(self, actor: Actor, report_id: int, *, now: datetime) -> WithdrawResult:
        """The member takes their report back while its group is open: it no longer counts; a group left without
        a counted report ends (its card says so)."""
        async with self.store.unit_of_work() as conn:
            found = await repo.get_report(conn, report_id)
            if found is None or found.guild_id != actor.guild_id or found.user_id != actor.user_id:
                raise NotAllowedError("report.error.not_yours")
            group = await repo.get_group(conn, found.group_id) if found.group_id is not None else None
            withdrawn = found.state == ReportState.ACTIVE
            if withdrawn and (group is None or not group.status.is_open):
                raise ReportError("report.error.withdraw_closed", organisation=found.organisation[:60])
            if withdrawn and group is not None:
                await repo.set_report_state(conn, [report_id], ReportState.WITHDRAWN, at=now)
                facts = await cards.facts_of(conn, group.id)
                if facts.reports == 0:
                    await repo.close_group(conn, group.id, GroupStatus.WITHDRAWN, by=None, at=now)
                await self.refresh(conn, group.id, now=now, facts=facts)
            result = "withdrawn" if withdrawn else "already withdrawn"
            await audit.record_by(conn, actor, "report withdraw", {"report": report_id}, result, now)
        return WithdrawResult(found.organisation, withdrawn)

    async def card_deleted(self, guild_id: int, channel_id: int, message_id: int, *, now: datetime) -> bool:
        """Someone deleted a message: if it was a card, the group's next change posts it again (the summary
        card's too). True when it was one."""
        async with self.store.reading() as conn:
            groups = await repo.groups_of_card(conn, guild_id, channel_id, message_id)
            summary = await repo.summary_card_is(conn, guild_id, channel_id, message_id)
        if not groups and not summary:
            return False
        async with self.store.unit_of_work() as conn:
            for group_id in groups:
                await repo.set_card(conn, group_id, channel_id=channel_id, card_row=None)
            if summary:
                await repo.set_summary_card(conn, guild_id, channel_id=channel_id, card_row=None, edit_row=None)
            arguments = {"channel": channel_id, "message": message_id}
            await audit.record(
                conn,
                guild_id=guild_id,
                actor_id=None,
                action="report card deleted",
                arguments=arguments,
                result=f"groups {groups}, summary {summary}: posted again at their next change",
                at=now,
            )
        return True

    async def refresh(
        self, conn: aiosqlite.Connection, group_id: int, *, now: datetime, facts: Any = None
    ) -> StoredGroup:
        """The group's card planned as the group now is, in the caller's unit of work."""
        group = await repo.get_group(conn, group_id)
        assert group is not None
        config = await self.config(conn, group.guild_id)
        await cards.plan_card(conn, config, group, await cards.card_of(conn, group, facts), now=now)
        return group

    # -- reading --

    async def organisations(self, guild_id: int, typed: str) -> list[str]:
        """Organisations to suggest: of open groups and open incidents first, then those named earlier; each
        once, those matching what is typed (without case, accents or punctuation) first."""
        async with self.store.reading() as conn:
            current = [g.organisation for g in await repo.open_groups(conn, guild_id)]
            current += [i.organisation for i in await repo.open_incidents(conn, guild_id)]
            earlier = await repo.organisation_names(conn, guild_id)
            earlier += await repo.recent_incident_organisations(conn, guild_id)
        wanted = organisation_key(typed)
        chosen: dict[str, str] = {}
        for names in (current, earlier):
            starting = [n for n in names if organisation_key(n).startswith(wanted)]
            inside = [n for n in names if wanted in organisation_key(n)]
            for name in (*starting, *inside):
                chosen.setdefault(organisation_key(name), name)
        return list(chosen.values())

    async def member_reports(self, actor: Actor, *, now: datetime) -> list[MemberReport]:
        """The member's reports of the last 30 days, newest first, with what became of each."""
        async with self.store.reading() as conn:
            found = await repo.member_reports(conn, actor.guild_id, actor.user_id, since=now - LISTED_FOR)
            lines = []
            for report, group in found:
                number = None
                incident_id = report.incident_id or (group.incident_id if group is not None else None)
                if incident_id is not None:
                    stored = await incidents_repo.get_by_id(conn, incident_id)
                    number = stored.incident.number if stored is not None else None
                if report.state != ReportState.ACTIVE:
                    outcome = report.state.value
                elif group is None:
                    outcome = "joined"
                else:
                    outcome = group.status.value
                reason = group.reason if group is not None and group.status == GroupStatus.SET_ASIDE else None
                lines.append(MemberReport(report.organisation, report.at, outcome, number, reason))
        return lines


def _about(incidents: list[repo.OpenIncident], key: str) -> int | None:
    """The number of the first of these incidents about the organisation whose key is `key`, if any."""
    for incident in incidents:
        if organisation_key(incident.organisation) == key:
            return incident.number
    return None
