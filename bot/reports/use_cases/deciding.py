"""What coordinators decide on a card: declare the incident from the reports, attach them to an open incident,
merge two groups named two ways, set a group aside with a reason (and undo it), mark one member's reports as abuse.

Each decision is one unit of work, checked against the coordinator role and against the group as it is inside
that unit of work: two coordinators deciding on one card at the same instant are serialised by the store, the
first decision wins and the second is refused with a sentence naming who decided what (`DecisionError`). A
declaration on a card a colleague set aside meanwhile is refused the same way unless the coordinator confirms
(`anyway`), as the form they filled in was for a group still open. A declaration from a card while an open
incident plausibly is the same outage (a colleague declared it by hand meanwhile: `rules.same_outage`) is held
back (`SameOutageError`, naming it), checked inside the declaration's unit of work so that two submits cannot both
pass; the coordinator attaches the card to it, or declares anyway over the incidents they were shown (`over`).

When a group becomes or joins an incident, its reporters are counted as affected and follow it (as "Affected too"
would), and posts in the incident's thread thank and mention exactly them (100 at most per post, so that every
one is pinged; Discord adds the people a thread post mentions to the thread, silently).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.common.actor import Actor
from bot.common.limits import TextField
from bot.common.text import name_key, validate_field
from bot.following import use_cases as following
from bot.incidents import store as incidents_repo
from bot.incidents.use_cases.deliveries import post_in_thread
from bot.incidents.use_cases.lifecycle import Lifecycle
from bot.incidents.use_cases.results import DeclareResult
from bot.incidents.use_cases.typed_input import DeclareInput, server_sectors, typed_services, typed_territories
from bot.incidents.use_cases.updates import count_affected
from bot.interactions.access import NotAllowedError
from bot.reports import store as repo
from bot.reports.presentation import territory_labels, thanks_posts
from bot.reports.rules import (
    ABUSE_FOR,
    AlertRule,
    GroupStatus,
    OpenOutage,
    ReportError,
    ReportState,
    common_sector,
    same_outage,
    threshold_met,
)
from bot.reports.store import StoredGroup
from bot.reports.use_cases import cards
from bot.reports.use_cases.reporting import ReportCommands
from bot.settings.rules.config import GuildConfig, ServerDefaults
from bot.storage import audit
from bot.storage.store import Store


class DecisionError(ReportError):
    """The card's group was decided on meanwhile (or cannot take this decision); the sentence says by whom."""


class SameOutageError(ReportError):
    """A declaration from a card held back: these open incidents plausibly are the same outage (newest first)."""

    def __init__(self, matches: tuple[OpenOutage, ...]) -> None:
        super().__init__("report.error.same_outage", incidents=", ".join(f"#{m.number}" for m in matches))
        self.matches = matches


@dataclass(frozen=True)
class DeclareForm:
    """What the declaration form starts from: the reports' facts, in the server's words."""

    organisation: str
    services: str
    territories: str
    since: datetime | None
    sectors: tuple[str, ...]
    sector: str | None  # pre-selected: the one sector every reporter holds a route role of
    time_zone: str = "Europe/Paris"  # the server's, in which "since" is shown


@dataclass(frozen=True)
class Decided:
    """A decision taken: the group's organisation, and the incident it became or joined, if any."""

    organisation: str
    number: int | None = None
    reporters: int = 0


@dataclass(frozen=True)
class Reporter:
    user_id: int
    reports: int


class Deciding(ReportCommands):
    def __init__(self, store: Store, defaults: ServerDefaults, lifecycle: Lifecycle) -> None:
        super().__init__(store, defaults)
        self.lifecycle = lifecycle

    # -- what only coordinators see and do --

    async def coordinator_config(self, actor: Actor) -> GuildConfig:
        async with self.store.reading() as conn:
            config = await self.config(conn, actor.guild_id)
        _check_coordinator(config, actor)
        return config

    async def _decidable(
        self, conn: aiosqlite.Connection, actor: Actor, group_id: int
    ) -> tuple[GuildConfig, StoredGroup]:
        config = await self.config(conn, actor.guild_id)
        _check_coordinator(config, actor)
        group = await repo.get_group(conn, group_id)
        if group is None or group.guild_id != actor.guild_id:  # a button copied from another server's message
            raise ReportError("report.error.group_unknown")
        return config, group

    async def _open(self, conn: aiosqlite.Connection, actor: Actor, group_id: int) -> tuple[GuildConfig, StoredGroup]:
        config, group = await self._decidable(conn, actor, group_id)
        if not group.status.is_open:
            raise await self._decided_already(conn, group)
        return config, group

    async def _decided_already(self, conn: aiosqlite.Connection, group: StoredGroup) -> DecisionError:
        by = f"<@{group.decided_by}>" if group.decided_by is not None else "—"
        when = int(group.decided_at.timestamp()) if group.decided_at is not None else 0
        card = await cards.card_of(conn, group)
        if group.status in (GroupStatus.DECLARED, GroupStatus.ATTACHED):
            return DecisionError("report.error.decided_incident", number=card.incident_number, by=by, at=when)
        if group.status == GroupStatus.SET_ASIDE:
            return DecisionError("report.error.decided_aside", by=by, at=when, reason=group.reason or "—")
        if group.status == GroupStatus.MERGED:
            return DecisionError("report.error.decided_merged", into=card.merged_into or "—", by=by, at=when)
        return DecisionError("report.error.decided_withdrawn")

    async def declare_form(self, actor: Actor, group_id: int) -> DeclareForm:
        """What the Declare panel and form start from; refused when the group is no longer open."""
        async with self.store.reading() as conn:
            config, group = await self._open(conn, actor, group_id)
            reports = [r for r in await repo.group_reports(conn, group.id) if r.state == ReportState.ACTIVE]
            facts = await cards.facts_of(conn, group.id)
        roles = list({r.user_id: r.role_ids for r in reports}.values())
        routed = common_sector(roles, config.routes)
        sectors = tuple(server_sectors(config))
        sector = next((s for s in sectors if routed is not None and name_key(s) == name_key(routed)), None)
        return DeclareForm(
            organisation=group.organisation,
            services=", ".join(facts.services[:20]),
            territories=", ".join(territory_labels(facts.territories, config.language)),
            since=facts.earliest_since or facts.first_at,
            sectors=sectors,
            sector=sector,
            time_zone=config.time_zone,
        )

    async def declare(
        self,
        actor: Actor,
        group_id: int,
        typed: DeclareInput,
        *,
        anyway: bool = False,
        over: tuple[int, ...] = (),
        now: datetime,
    ) -> DeclareResult:
        """The incident declared from the group's reports (the lifecycle's own declaration), in one unit of work
        with what the reports add to it: the reporters affected and following, thanked in the thread, the card.
        `anyway`: over a colleague's setting the card aside; `over`: the open incidents of the same outage the
        coordinator was shown and declares beside (another one holds the declaration back again)."""
        async with self.store.unit_of_work() as conn:
            earlier = await incidents_repo.replayed(conn, actor, DeclareResult)
            if earlier is not None:
                return earlier
            config, group = await self._decidable(conn, actor, group_id)
            if not group.status.is_open and not (anyway and group.status == GroupStatus.SET_ASIDE):
                raise await self._decided_already(conn, group)
            await _check_not_declared(conn, actor.guild_id, typed, over)
            result, incident_id = await self.lifecycle.declare_in(conn, actor, typed, action="report declare", now=now)
            if group.status.is_open:
                await repo.close_group(
                    conn, group.id, GroupStatus.DECLARED, by=actor.user_id, at=now, incident_id=incident_id
                )
            else:  # declared anyway, over a colleague's setting aside
                await repo.redecide(
                    conn, group.id, GroupStatus.DECLARED, by=actor.user_id, at=now, incident_id=incident_id
                )
            reporters = await self._join(conn, config, group, incident_id, now=now)
            await audit.record_by(
                conn,
                actor,
                "report declare",
                {"group": group.id, "anyway": anyway, "over": list(over)},
                f"#{result.number}, {reporters} reporters",
                now,
            )
        await self.lifecycle.run_after_commit(incident_id)
        return result

    async def attach(self, actor: Actor, group_id: int, number: int, *, now: datetime) -> Decided:
        async with self.store.unit_of_work() as conn:
            config, group = await self._open(conn, actor, group_id)
            stored = await incidents_repo.get(conn, actor.guild_id, number)
            if stored is None:
                raise ReportError("outage.error.incident_unknown", number=number)
            if not stored.incident.is_open:
                raise ReportError("report.error.attach_closed", number=number)
            await repo.close_group(
                conn, group.id, GroupStatus.ATTACHED, by=actor.user_id, at=now, incident_id=stored.id
            )
            reporters = await self._join(conn, config, group, stored.id, now=now)
            await audit.record_by(
                conn, actor, "report attach", {"group": group.id, "incident": number}, f"{reporters} reporters", now
            )
        return Decided(group.organisation, number, reporters)

    async def _join(
        self, conn: aiosqlite.Connection, config: GuildConfig, group: StoredGroup, incident_id: int, *, now: datetime
    ) -> int:
        """The group's reports belong to the incident now: its reporters affected and following, thanked in its
        thread; the card says what became of the group. Returns how many reporters."""
        await repo.link_incident(conn, group.id, incident_id)
        facts = await cards.facts_of(conn, group.id)
        stored = await incidents_repo.get_by_id(conn, incident_id)
        assert stored is not None
        for user_id in facts.member_ids:
            stored, _ = await count_affected(conn, config, stored, user_id, now=now)
            await following.follow(conn, stored, user_id, now=now)
        if stored.thread_row is not None:
            for post in thanks_posts(stored.incident.number, facts.member_ids, config.language):
                await post_in_thread(conn, stored, post, now=now)
        await self._after_closing(conn, config, group.id, now=now)
        return facts.members

    async def _after_closing(
        self, conn: aiosqlite.Connection, config: GuildConfig, group_id: int, *, now: datetime
    ) -> None:
        """The closed group's card says so; a group waiting on the summary card takes the freed place."""
        closed = await repo.get_group(conn, group_id)
        assert closed is not None
        await cards.plan_card(conn, config, closed, await cards.card_of(conn, closed), now=now)
        if not closed.on_summary:
            waiting = await repo.summary_groups(conn, config.guild_id)
            if waiting:
                await repo.set_card(conn, waiting[0].id, channel_id=None, card_row=None)
                promoted = await repo.get_group(conn, waiting[0].id)
                assert promoted is not None
                await cards.plan_card(conn, config, promoted, await cards.card_of(conn, promoted), now=now)
        if closed.on_summary or await repo.summary_card(conn, config.guild_id) is not None:
            await cards.plan_summary(conn, config, now=now)

    # -- merge, set aside, undo, abuse --

    async def merge(self, actor: Actor, group_id: int, into_id: int, *, now: datetime) -> Decided:
        """The group's reports join another open group (members who named one organisation two ways)."""
        async with self.store.unit_of_work() as conn:
            config, group = await self._open(conn, actor, group_id)
            _, into = await self._open(conn, actor, into_id)
            if into.id == group.id:
                raise ReportError("report.error.merge_self")
            await self._merge_into(conn, config, group, into, by=actor.user_id, now=now)
            await audit.record_by(conn, actor, "report merge", {"group": group.id, "into": into.id}, "merged", now)
        return Decided(into.organisation)

    async def _merge_into(
        self,
        conn: aiosqlite.Connection,
        config: GuildConfig,
        group: StoredGroup,
        into: StoredGroup,
        *,
        by: int,
        now: datetime,
    ) -> None:
        await repo.move_reports(conn, group.id, into.id)
        for key in await repo.keys_of(conn, group.id):
            await repo.add_key(conn, into.id, into.guild_id, key)
        if group.status.is_open:
            await repo.close_group(conn, group.id, GroupStatus.MERGED, by=by, at=now, merged_into=into.id)
        else:
            await repo.redecide(conn, group.id, GroupStatus.MERGED, by=by, at=now, merged_into=into.id)
        await self._after_closing(conn, config, group.id, now=now)
        reports = [r.as_group_report for r in await repo.group_reports(conn, into.id)]
        rule = AlertRule(config.report_alert_members, config.report_alert_window_min)
        if into.alerted_at is None and threshold_met(reports, rule):
            await repo.set_alerted(conn, into.id, at=now)
            alerted = await repo.get_group(conn, into.id)
            assert alerted is not None
            await cards.plan_card(conn, config, alerted, await cards.card_of(conn, alerted), now=now)
            await cards.plan_alert(conn, config, alerted, await cards.card_of(conn, alerted), now=now)
        else:
            await cards.plan_card(conn, config, into, await cards.card_of(conn, into), now=now)

    async def set_aside(self, actor: Actor, group_id: int, reason: str, *, now: datetime) -> Decided:
        cleaned = validate_field(TextField.NOTE, reason, required=True)
        assert cleaned is not None
        async with self.store.unit_of_work() as conn:
            config, group = await self._open(conn, actor, group_id)
            await repo.close_group(conn, group.id, GroupStatus.SET_ASIDE, by=actor.user_id, at=now, reason=cleaned)
            await self._after_closing(conn, config, group.id, now=now)
            await audit.record_by(
                conn, actor, "report set aside", {"group": group.id, "reason": cleaned}, "set aside", now
            )
        return Decided(group.organisation)

    async def undo(self, actor: Actor, group_id: int, *, now: datetime) -> Decided:
        """A group set aside counts again: open again, or, when a newer group about the same organisation opened
        meanwhile, merged into that one."""
        async with self.store.unit_of_work() as conn:
            config, group = await self._decidable(conn, actor, group_id)
            if group.status != GroupStatus.SET_ASIDE:
                raise await self._decided_already(conn, group)
            newer = None
            for key in await repo.keys_of(conn, group.id):
                newer = newer or await repo.open_group_for_key(conn, group.guild_id, key)
            if newer is not None:
                await self._merge_into(conn, config, group, newer, by=actor.user_id, now=now)
                result = f"merged into group {newer.id}"
            else:
                await repo.reopen_group(conn, group.id, at=now)
                reopened = await repo.get_group(conn, group.id)
                assert reopened is not None
                await cards.plan_card(conn, config, reopened, await cards.card_of(conn, reopened), now=now)
                result = "open again"
            await audit.record_by(conn, actor, "report undo set aside", {"group": group.id}, result, now)
        return Decided(group.organisation)

    async def reporters(self, actor: Actor, group_id: int) -> list[Reporter]:
        """Who reported in the group (for the abuse panel), first reporter first."""
        async with self.store.reading() as conn:
            _, group = await self._open(conn, actor, group_id)
            counts: dict[int, int] = {}
            for report in await repo.group_reports(conn, group.id):
                if report.state == ReportState.ACTIVE:
                    counts[report.user_id] = counts.get(report.user_id, 0) + 1
        return [Reporter(user_id, count) for user_id, count in counts.items()]

    async def mark_abuse(self, actor: Actor, group_id: int, user_id: int, *, now: datetime) -> Decided:
        """One member's reports are set aside for a day: those in open groups stop counting (their cards are
        edited), and their reports meanwhile count nowhere. The member and the other reporters are not told."""
        async with self.store.unit_of_work() as conn:
            config, group = await self._open(conn, actor, group_id)
            await repo.mark_abuse(conn, actor.guild_id, user_id, until=now + ABUSE_FOR, by=actor.user_id, at=now)
            touched = await repo.set_aside_open_reports(conn, actor.guild_id, user_id)
            for other_id in touched:
                other = await repo.get_group(conn, other_id)
                assert other is not None
                await cards.plan_card(conn, config, other, await cards.card_of(conn, other), now=now)
            arguments = {"group": group.id, "member": user_id}
            await audit.record_by(conn, actor, "report abuse", arguments, f"{len(touched)} group(s) recounted", now)
        return Decided(group.organisation)

    async def open_groups(self, actor: Actor) -> list[StoredGroup]:
        async with self.store.reading() as conn:
            return await repo.open_groups(conn, actor.guild_id, limit=25)


def _check_coordinator(config: GuildConfig, actor: Actor) -> None:
    config.require_incidents_setup()
    if config.coordinator_role_id not in actor.role_ids:
        raise NotAllowedError("access.error.coordinator_only")


async def _check_not_declared(
    conn: aiosqlite.Connection, guild_id: int, typed: DeclareInput, over: tuple[int, ...]
) -> None:
    """`SameOutageError` when an open incident the coordinator was not shown plausibly is this outage."""
    territories = typed_territories(typed.territories) if typed.territories and typed.territories.strip() else []
    services = [item if isinstance(item, str) else item.name for item in typed_services(typed.services)]
    open_outages = await repo.open_outages(conn, guild_id)
    matches = same_outage(open_outages, organisation=typed.organisation, services=services, territories=territories)
    if any(m.number not in over for m in matches):
        raise SameOutageError(matches)
