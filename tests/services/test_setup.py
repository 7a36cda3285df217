"""`/setup` use cases on a real SQLite file: each change with its audit row, refusals that write nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.common.actor import Actor
from bot.common.errors import TocsinError
from bot.common.formatting import format_duration
from bot.common.i18n import Language, Msg, default_catalogue
from bot.common.territories import TerritoryError
from bot.delivery import outbox
from bot.settings import presentation
from bot.settings import store as repo
from bot.settings import use_cases as service
from bot.settings.rules.check import CheckReport, build_check
from bot.settings.rules.config import DEFAULT_SECTORS, GuildConfig, ServerDefaults, status_tags
from bot.settings.rules.model import (
    INCIDENT_CHANNEL_NEEDS,
    AuditEntry,
    ChannelFacts,
    ChannelKind,
    Outcome,
    RoleFacts,
    SetupError,
    SetupView,
)
from bot.settings.rules.validation import (
    NO_HOLIDAYS_VALUE,
    duration_msg,
    holiday_countries,
    suggest_holiday_countries,
    suggest_zones,
)
from bot.settings.use_cases import load_config
from bot.storage.store import Store

NOW = datetime(2024, 10, 19, 10, 40, tzinfo=UTC)
GUILD = 1000
SOPHIE = 7
ACTOR = Actor(GUILD, SOPHIE)
ALL = frozenset(INCIDENT_CHANNEL_NEEDS)
CATALOGUE = default_catalogue()


def text(channel_id: int, permissions: frozenset[str] = ALL, *, mention_everyone: bool = True) -> ChannelFacts:
    return ChannelFacts(channel_id, "text", f"c{channel_id}", permissions, mention_everyone)


def said(outcome: Outcome, language: Language = "fr") -> list[str]:
    return [presentation.word(CATALOGUE, language, line) for line in outcome.lines]


async def audit_rows(store: Store) -> list[tuple[str, str]]:
    async with store.reading() as conn:
        entries = await repo.audit_entries(conn, GUILD, limit=100)
    return [(e.action, e.result) for e in reversed(entries)]


async def config(store: Store) -> GuildConfig:
    async with store.reading() as conn:
        return await load_config(conn, GUILD, ServerDefaults())


async def test_a_text_incident_channel_is_saved_with_its_audit_row(store: Store) -> None:
    outcome = await service.set_incident_channel(store, ACTOR, text(11), now=NOW)
    assert said(outcome) == ["Les incidents vivront dans <#11> : un fil par incident."]
    assert (await config(store)).incident_channel_id == 11
    assert await audit_rows(store) == [("setup incident-channel", "ok")]


async def test_a_forum_reply_says_which_status_tags_are_missing(store: Store) -> None:
    forum = ChannelFacts(12, "forum", "incidents", ALL, True, ("En cours d'analyse", "Résolu", "monitoring"))
    lines = said(await service.set_incident_channel(store, ACTOR, forum, now=NOW))
    assert lines[0].startswith("Les incidents vivront dans le forum <#12>")
    assert "Cause identifiée, Annulé" in lines[1]
    complete = ChannelFacts(
        12, "forum", "incidents", ALL, True, ("Investigating", "identified", "SURVEILLANCE", "résolu", "annule")
    )
    lines = said(await service.set_incident_channel(store, ACTOR, complete, now=NOW), "en")
    assert lines[1] == "The forum has a tag for every status: each incident's post will show its own."


def test_status_tags_match_either_language_without_case_or_accents() -> None:
    found = status_tags(["EN COURS D'ANALYSE", "Identified", "monitoring", "Resolu", "autre"])
    assert found == {
        "investigating": "EN COURS D'ANALYSE",
        "identified": "Identified",
        "monitoring": "monitoring",
        "resolved": "Resolu",
        "cancelled": None,
    }


@pytest.mark.parametrize("kind", ["voice", "category", "stage", "thread"])
async def test_a_channel_of_the_wrong_type_is_refused_and_nothing_is_written(store: Store, kind: ChannelKind) -> None:
    with pytest.raises(SetupError) as refused:
        await service.set_incident_channel(store, ACTOR, ChannelFacts(13, kind), now=NOW)
    sentence = CATALOGUE.render(
        "fr",
        refused.value.message_id,
        **{k: presentation.word(CATALOGUE, "fr", v) for k, v in refused.value.args_map.items()},
    )
    assert sentence.startswith("<#13> est ") and "par exemple #incidents" in sentence
    with pytest.raises(SetupError):
        await service.set_log_channel(store, ACTOR, ChannelFacts(13, kind), now=NOW)
    with pytest.raises(SetupError):
        await service.add_route(
            store,
            ACTOR,
            channel=ChannelFacts(13, kind),
            territory="29",
            sector=None,
            role=None,
            now=NOW,
        )
    assert await audit_rows(store) == []
    assert (await config(store)).incident_channel_id is None


async def test_missing_permissions_are_named_in_the_reply_but_the_channel_is_kept(store: Store) -> None:
    lacking = text(14, ALL - {"send", "embed_links"})
    lines = said(await service.set_log_channel(store, ACTOR, lacking, now=NOW))
    assert lines[1] == (
        "⚠️ Dans <#14>, il manque au bot : Envoyer des messages, Intégrer des liens. À accorder dans les "
        "permissions du salon, puis lancez /configurer verifier."
    )
    assert (await config(store)).bot_log_channel_id == 14


async def test_everyone_and_bot_roles_cannot_coordinate(store: Store) -> None:
    with pytest.raises(SetupError, match=r"setup.error.everyone_role"):
        await service.set_coordinator_role(store, ACTOR, RoleFacts(GUILD, "@everyone", is_default=True), now=NOW)
    with pytest.raises(SetupError, match=r"setup.error.managed_role"):
        await service.set_coordinator_role(store, ACTOR, RoleFacts(5, "Tocsin", managed=True), now=NOW)
    await service.set_coordinator_role(store, ACTOR, RoleFacts(6, "coordination"), now=NOW)
    assert (await config(store)).coordinator_role_id == 6


async def test_default_sectors_before_setup_then_rows_after(store: Store) -> None:
    assert sorted((await config(store)).sectors.values()) == sorted(DEFAULT_SECTORS)
    await service.set_language(store, ACTOR, "en", now=NOW)
    async with store.reading() as conn:
        assert sorted((await repo.sectors(conn, GUILD)).values()) == sorted(DEFAULT_SECTORS)
    for name in DEFAULT_SECTORS:
        await service.remove_sector(store, ACTOR, name.upper(), now=NOW)
    # Removing every sector leaves none: the defaults do not come back.
    assert (await config(store)).sectors == {}


async def test_sector_names_compare_without_case_or_accents(store: Store) -> None:
    lines = said(await service.add_sector(store, ACTOR, "  Grande distribution ", now=NOW))
    assert lines == ["Secteur « Grande distribution » ajouté."]
    with pytest.raises(SetupError) as refused:
        await service.add_sector(store, ACTOR, "COLLECTIVITE", now=NOW)
    assert refused.value.args_map == {"name": "collectivité"}
    with pytest.raises(TocsinError, match=r"incident.error.field_too_long"):
        await service.add_sector(store, ACTOR, "x" * 51, now=NOW)
    with pytest.raises(TocsinError, match=r"incident.error.field_required"):
        await service.add_sector(store, ACTOR, "   ", now=NOW)


async def test_a_sector_typed_with_a_mention_pings_nobody_where_it_is_shown(store: Store) -> None:
    lines = said(await service.add_sector(store, ACTOR, "@everyone <@&42>", now=NOW))
    assert "@everyone" not in lines[0] and "<@&42>" not in lines[0]
    view = await service.load_view(store, ACTOR)
    shown = "\n".join(line for s in presentation.show_sections(view, CATALOGUE, "fr") for line in s.lines)
    assert "@everyone" not in shown and "<@&42>" not in shown


async def test_a_sector_used_by_a_route_cannot_be_removed(store: Store) -> None:
    await service.add_route(store, ACTOR, channel=text(22), territory=None, sector="Pharmacie", role=None, now=NOW)
    with pytest.raises(SetupError) as refused:
        await service.remove_sector(store, ACTOR, "pharmacie", now=NOW)
    assert refused.value.message_id == "setup.error.sector_in_use"
    assert refused.value.args_map["channels"] == "<#22>"
    with pytest.raises(SetupError, match=r"setup.error.unknown_sector"):
        await service.remove_sector(store, ACTOR, "boulangerie", now=NOW)


async def test_the_scenarios_routes_are_expressible_and_shown_as_people_read_them(store: Store) -> None:
    pharmacies_ouest, librairies, collectivites_16 = 31, 32, 33
    for channel, territory, sector, role in [
        (21, "R53", None, None),
        (22, "R52", None, None),
        (23, "région 75", None, None),
        (24, "Occitanie", None, None),
        (25, None, "pharmacie", pharmacies_ouest),
        (26, None, "librairie", librairies),
        (27, "16", "collectivité", collectivites_16),
    ]:
        role_facts = RoleFacts(role, mentionable=False) if role else None
        outcome = await service.add_route(
            store, ACTOR, channel=text(channel), territory=territory, sector=sector, role=role_facts, now=NOW
        )
        assert "⚠️" not in "".join(said(outcome))
    cfg = await config(store)
    assert [(r.channel_id, r.territory, r.sector, r.role_id) for r in cfg.routes] == [
        (21, "R53", None, None),
        (22, "R52", None, None),
        (23, "R75", None, None),
        (24, "R76", None, None),
        (25, None, "pharmacie", 31),
        (26, None, "librairie", 32),
        (27, "16", "collectivite", 33),
    ]
    routes = presentation.show_sections(await service.load_view(store, ACTOR), CATALOGUE, "fr")[2]
    assert routes.title == "Routes (7)"
    assert routes.lines[0] == "<#21> ← Bretagne (région 53)"
    assert routes.lines[4] == "<#25> ← pharmacie → <@&31>"
    assert routes.lines[6] == "<#27> ← Charente (16) · collectivité → <@&33>"
    assert [a for a, _ in await audit_rows(store)].count("setup route add") == 7


async def test_route_refusals_name_what_is_wrong(store: Store) -> None:
    with pytest.raises(TerritoryError) as unknown:
        await service.add_route(store, ACTOR, channel=text(21), territory="Atlantide", sector=None, role=None, now=NOW)
    assert unknown.value.args_map == {"text": "Atlantide"}
    with pytest.raises(SetupError) as sector:
        await service.add_route(
            store, ACTOR, channel=text(21), territory=None, sector="boulangerie", role=None, now=NOW
        )
    assert "pharmacie" in sector.value.args_map["known"]
    await service.add_route(store, ACTOR, channel=text(21), territory="29", sector=None, role=None, now=NOW)
    with pytest.raises(SetupError, match=r"setup.error.route_exists"):
        await service.add_route(store, ACTOR, channel=text(21), territory="Finistère", sector=None, role=None, now=NOW)
    with pytest.raises(SetupError, match=r"setup.error.everyone_role"):
        await service.add_route(
            store, ACTOR, channel=text(21), territory="56", sector=None, role=RoleFacts(GUILD, is_default=True), now=NOW
        )
    assert len((await config(store)).routes) == 1


async def test_route_warnings_everything_unpostable_and_unmentionable(store: Store) -> None:
    lines = said(
        await service.add_route(
            store,
            ACTOR,
            channel=text(21, ALL - {"send"}, mention_everyone=False),
            territory=None,
            sector=None,
            role=RoleFacts(31, mentionable=False),
            now=NOW,
        )
    )
    assert lines[0] == "Route ajoutée : <#21> ← tous les incidents → <@&31>"
    assert lines[1].startswith("⚠️ Cette route n'a ni territoire ni secteur")
    assert "Envoyer des messages" in lines[2]
    assert lines[3].startswith("⚠️ Le bot ne peut pas mentionner <@&31> dans <#21>")


async def test_a_route_is_removed_by_the_id_the_autocomplete_gives(store: Store) -> None:
    await service.add_route(store, ACTOR, channel=text(21), territory="R53", sector=None, role=None, now=NOW)
    route_id = (await config(store)).routes[0].id
    with pytest.raises(SetupError, match=r"setup.error.unknown_route"):
        await service.remove_route(store, ACTOR, "#bretagne", now=NOW)
    with pytest.raises(SetupError, match=r"setup.error.unknown_route"):
        await service.remove_route(store, Actor(GUILD + 1, SOPHIE), str(route_id), now=NOW)
    lines = said(await service.remove_route(store, ACTOR, str(route_id), now=NOW), "en")
    assert lines == ["Route removed: <#21> ← Bretagne (region 53)"]
    assert (await config(store)).routes == ()


async def test_hours_change_only_what_is_given(store: Store) -> None:
    await service.set_hours(store, ACTOR, start=None, end="18h", days=None, now=NOW)
    hours = (await config(store)).hours
    assert (hours.start.hour, hours.end.hour, hours.days) == (9, 18, frozenset({1, 2, 3, 4, 5}))
    lines = said(await service.set_hours(store, ACTOR, start="8:30", end=None, days="lun,mar,jeu", now=NOW))
    assert lines == ["Heures ouvrées : lundi, mardi, jeudi, 08:30–18:00."]
    with pytest.raises(TocsinError, match=r"setup.error.bad_time"):
        await service.set_hours(store, ACTOR, start="25:00", end=None, days=None, now=NOW)
    with pytest.raises(TocsinError, match=r"setup.error.hours_order"):
        await service.set_hours(store, ACTOR, start="20:00", end=None, days=None, now=NOW)
    assert (await config(store)).hours.start.minute == 30


async def test_time_zone_must_be_an_iana_name(store: Store) -> None:
    lines = said(await service.set_time_zone(store, ACTOR, "america/martinique", now=NOW))
    assert lines == ["Les heures sont désormais lues dans le fuseau America/Martinique (il y est 06:40)."]
    for typed in ("Paris", "CET+1", "heure de Paris", "Europe/Paname"):
        with pytest.raises(SetupError) as refused:
            await service.set_time_zone(store, ACTOR, typed, now=NOW)
        assert refused.value.args_map == {"zone": typed}
    assert suggest_zones("")[0] == "Europe/Paris"
    assert "Indian/Reunion" in suggest_zones("reun")


async def test_archive_delay_is_bounded(store: Store) -> None:
    assert said(await service.set_archive_delay(store, ACTOR, 0, now=NOW))[0].startswith("Les fils des incidents")
    with pytest.raises(SetupError, match=r"setup.error.archive_delay"):
        await service.set_archive_delay(store, ACTOR, 169, now=NOW)
    assert (await config(store)).archive_after_hours == 0


def refusal(error: TocsinError, language: Language = "fr") -> str:
    """The sentence the bot's error handler sends: it words `Msg` arguments and nothing else."""
    return CATALOGUE.render(language, error.message_id, **error.args_map)


def general(view: SetupView, language: Language = "fr") -> tuple[str, ...]:
    return presentation.show_sections(view, CATALOGUE, language)[0].lines


async def test_cadence_is_typed_as_durations_and_only_what_is_given_changes(store: Store) -> None:
    assert (await config(store)).cadence_minutes == {"critical": 60, "major": 240, "minor": 1440}
    lines = said(await service.set_cadence(store, ACTOR, critical="30 min", major=None, minor=None, now=NOW))
    assert lines == [
        "Intervalle entre deux relances pour publier un point : critique 30 min, majeure 4 h, mineure 1 j."
    ]
    assert (await config(store)).cadence_minutes == {"critical": 30, "major": 240, "minor": 1440}
    outcome = await service.set_cadence(store, ACTOR, critical=None, major="2h30", minor="2 days", now=NOW)
    assert said(outcome, "en") == [
        "Time between two reminders to post an update: critical 30 min, major 2 h 30 min, minor 2 d."
    ]
    assert (await config(store)).cadence_minutes == {"critical": 30, "major": 150, "minor": 2880}
    lines = said(await service.set_cadence(store, ACTOR, critical="90", major="1 j 12 h", minor="7 j", now=NOW))
    assert lines == [
        "Intervalle entre deux relances pour publier un point : critique 1 h 30 min, majeure 1 j 12 h, mineure 7 j."
    ]
    assert await audit_rows(store) == [("setup cadence", "ok")] * 3
    (latest, *_) = await service.audit_page(store, ACTOR, member_id=None, limit=1)
    assert latest.arguments == {"critical_min": 90, "major_min": 2160, "minor_min": 10080}
    shown = general(await service.load_view(store, ACTOR))
    assert (
        "Intervalle entre deux relances pour publier un point : critique 1 h 30 min, majeure 1 j 12 h, mineure 7 j"
        in shown
    )


async def test_cadence_refusals_name_the_option_and_what_is_accepted(store: Store) -> None:
    with pytest.raises(SetupError) as unreadable:
        await service.set_cadence(store, ACTOR, critical=None, major="bientôt", minor=None, now=NOW)
    assert refusal(unreadable.value) == (
        "Je ne comprends pas la durée « bientôt » donnée pour « majeure » : écrivez par exemple « 30 min », « 1 h », "
        "« 1h30 », « 4 h », « 1 j » ou « 2 jours » (un nombre seul compte en minutes)."
    )
    assert refusal(unreadable.value, "en").startswith("I cannot read the duration “bientôt” given for “major”")
    with pytest.raises(SetupError) as too_short:
        await service.set_cadence(store, ACTOR, critical="10 min", major=None, minor=None, now=NOW)
    assert refusal(too_short.value) == (
        "La cadence « critique » va de 15 min à 7 j (vous avez donné « 10 min ») : par exemple « 1 h » ou « 1 j »."
    )
    with pytest.raises(SetupError) as too_long:
        await service.set_cadence(store, ACTOR, critical=None, major=None, minor="2 weeks", now=NOW)
    assert refusal(too_long.value, "en") == (
        "The “minor” cadence goes from 15 min to 7 d (you gave “2 weeks”): for example “1 h” or “1 d”."
    )
    with pytest.raises(SetupError) as swapped:
        await service.set_cadence(store, ACTOR, critical="5 h", major=None, minor=None, now=NOW)
    assert refusal(swapped.value) == (
        "La cadence « critique » (5 h) ne peut pas être plus longue que la cadence « majeure » (4 h) : un incident "
        "plus grave est relancé au moins aussi souvent. Pour changer les deux, donnez-les dans la même commande."
    )
    with pytest.raises(SetupError, match=r"setup.error.cadence_order") as lighter:
        await service.set_cadence(store, ACTOR, critical=None, major="2 j", minor=None, now=NOW)
    assert lighter.value.args_map["lighter"] == Msg.of("cmd.setup.cadence.minor.name")
    with pytest.raises(SetupError) as mention:
        await service.set_cadence(store, ACTOR, critical="@everyone", major=None, minor=None, now=NOW)
    assert "@everyone" not in refusal(mention.value)
    assert await audit_rows(store) == [], "a refusal writes nothing (the error handler audits it)"
    assert (await config(store)).cadence_minutes == {"critical": 60, "major": 240, "minor": 1440}
    # Both given at once, in the right order, and equal cadences: accepted.
    await service.set_cadence(store, ACTOR, critical="5 h", major="5 h", minor="5 h", now=NOW)
    assert (await config(store)).cadence_minutes == {"critical": 300, "major": 300, "minor": 300}


@pytest.mark.parametrize("total", [0, 1, 15, 59, 60, 61, 90, 240, 1439, 1440, 1441, 2880, 4260, 10080, 10081])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_duration_messages_read_as_format_duration_writes(total: int, language: Language) -> None:
    assert presentation.word(CATALOGUE, language, duration_msg(total)) == format_duration(
        timedelta(minutes=total), language
    )


async def test_holidays_country_is_set_with_hours_or_turned_off(store: Store) -> None:
    lines = said(await service.set_hours(store, ACTOR, start=None, end=None, days=None, holidays_country="be", now=NOW))
    assert lines == [
        "Heures ouvrées : lundi–vendredi, 09:00–19:00.",
        "Jours fériés : ceux de BE (Belgium) ne sont pas des jours ouvrés.",
    ]
    hours = (await config(store)).hours
    assert (hours.holidays_country, hours.start.hour) == ("BE", 9)
    for typed in ("FRA", "France", " fr "):
        await service.set_hours(store, ACTOR, start=None, end=None, days=None, holidays_country=typed, now=NOW)
        assert (await config(store)).hours.holidays_country == "FR"
    # Only what is given changes: the country stays when the hours move.
    await service.set_hours(store, ACTOR, start="8h", end=None, days=None, now=NOW)
    assert (await config(store)).hours.holidays_country == "FR"
    lines = said(
        await service.set_hours(store, ACTOR, start=None, end=None, days=None, holidays_country="aucun", now=NOW),
        "en",
    )
    assert lines[1] == "Public holidays: none, every working day counts."
    assert (await config(store)).hours.holidays_country == ""
    assert "Heures ouvrées : lundi–vendredi, 08:00–19:00 (aucun jour férié exclu)" in general(
        await service.load_view(store, ACTOR)
    )
    (latest, *_) = await service.audit_page(store, ACTOR, member_id=None, limit=1)
    assert latest.arguments["holidays"] == "none"
    with pytest.raises(SetupError) as unknown:
        await service.set_hours(store, ACTOR, start=None, end=None, days=None, holidays_country="Atlantide", now=NOW)
    assert refusal(unknown.value).startswith("« Atlantide » n'est pas un pays dont je connais les jours fériés")
    assert (await config(store)).hours.holidays_country == ""
    assert [a for a, _ in await audit_rows(store)] == ["setup hours"] * 6


def test_holiday_countries_are_suggested_by_code_then_name() -> None:
    first = suggest_holiday_countries("")
    assert first[0] == "FR" and "RE" in first and NO_HOLIDAYS_VALUE in first and len(first) <= 25
    by_code_then_name = suggest_holiday_countries("gu")
    assert by_code_then_name[0] == "GU" and "GP" in by_code_then_name, "Guam by its code, Guadeloupe by its name"
    assert suggest_holiday_countries("réun") == ["RE"]
    assert suggest_holiday_countries("belg") == ["BE"]
    assert suggest_holiday_countries("auc") == [NO_HOLIDAYS_VALUE]
    assert len(suggest_holiday_countries("a")) == 25
    assert holiday_countries()["GB"] == "United Kingdom"


async def test_dm_limit_is_bounded_and_shown(store: Store) -> None:
    assert "Messages privés : au plus 50 membres par incident" in general(await service.load_view(store, ACTOR))
    lines = said(await service.set_dm_limit(store, ACTOR, 10, now=NOW))
    assert lines == ["Au plus 10 membres par incident pourront recevoir ses mises à jour par message privé."]
    assert (await config(store)).dm_cap_per_incident == 10
    with pytest.raises(SetupError) as too_many:
        await service.set_dm_limit(store, ACTOR, 501, now=NOW)
    assert refusal(too_many.value) == (
        "La limite de messages privés est un nombre de membres par incident, de 0 à 500 (vous avez donné 501) : "
        "par exemple 50, ou 0 pour n'en envoyer aucun."
    )
    lines = said(await service.set_dm_limit(store, ACTOR, 0, now=NOW), "en")
    assert lines == ["No more direct messages on this server: members follow incidents in their threads."]
    assert "Messages privés : désactivés sur ce serveur" in general(await service.load_view(store, ACTOR))
    assert await audit_rows(store) == [("setup dm-limit", "ok")] * 2


async def test_dm_limit_zero_sends_no_dm_refuses_new_opt_ins_and_keeps_members_choices(store: Store) -> None:
    from bot.common.actor import Actor as Member  # `Actor` here is /setup's
    from bot.following.use_cases import Following
    from tests.services.test_lifecycle import ANNE, CERP, UpdateInput, configure, lifecycle
    from tests.services.test_lifecycle import GUILD as SERVER

    async def dms_planned() -> int:
        async with store.reading() as conn, conn.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'send_dm'") as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    await configure(store)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)
    following = Following(store, ServerDefaults())
    assert (await following.follow_incident(Member(SERVER, 2001), 1, dm=True, now=NOW)).dm
    admin = Actor(SERVER, SOPHIE)
    lines = said(await service.set_dm_limit(store, admin, 0, now=NOW))
    assert lines[1] == (
        "1 membre avait demandé les mises à jour d'incidents par message privé : aucun message ne lui sera envoyé "
        "tant que la limite est à 0, et son choix reviendra si vous la relevez."
    )
    refused = await following.follow_incident(Member(SERVER, 2002), 1, dm=True, now=NOW)
    assert refused.dm_refused and refused.dms_off and not refused.dm and refused.new
    await lifecycle(store).update(ANNE, 1, UpdateInput(note="Rien de neuf."), now=NOW)
    assert await dms_planned() == 0, "no DM leaves a server whose limit is 0"
    # Raised again: the member who had asked gets the next update by DM without asking twice.
    await service.set_dm_limit(store, admin, 50, now=NOW)
    await lifecycle(store).update(ANNE, 1, UpdateInput(note="Reprise partielle."), now=NOW)
    assert await dms_planned() == 1
    assert await service.open_incident_ids(store, admin) == [1]
    assert await service.open_incident_ids(store, ACTOR) == []


async def test_check_reports_permissions_tags_roles_and_recent_failures(store: Store) -> None:
    forum = ChannelFacts(10, "forum", "incidents", ALL, True, ("Résolu",))
    await service.set_incident_channel(store, ACTOR, forum, now=NOW)
    await service.set_log_channel(store, ACTOR, text(14), now=NOW)
    await service.add_route(store, ACTOR, channel=text(21), territory="R53", sector=None, role=None, now=NOW)
    await service.add_route(
        store, ACTOR, channel=text(26), territory=None, sector="librairie", role=RoleFacts(32), now=NOW
    )
    async with store.unit_of_work() as conn:
        for when, code in ((NOW - timedelta(days=8), 50013), (NOW - timedelta(hours=2), 50013), (NOW, 50013)):
            row = await outbox.enqueue(
                conn,
                guild_id=GUILD,
                lane=outbox.channel_lane(21),
                kind="send_message",
                payload={"channel_id": 21, "content": "x", "allowed_mentions": {"parse": []}},
                now=when,
            )
            await outbox.mark_failed(conn, row, status=403, code=code, text="Missing Permissions", now=when)
        follower = await outbox.enqueue(
            conn,
            guild_id=GUILD,
            lane=outbox.channel_lane(21),
            kind="send_message",
            payload={"channel_id": 21, "content": "y", "allowed_mentions": {"parse": []}},
            now=NOW,
        )
        await outbox.mark_failed(conn, follower, status=None, code=None, text="dependency_failed: row 3", now=NOW)
    view = await service.load_view(store, ACTOR)
    channels = {
        10: forum,
        14: text(14),
        21: text(21, ALL - {"send"}),
        26: text(26, mention_everyone=False),
    }
    roles = {32: RoleFacts(32, "librairies", mentionable=False, below_bot=True), 40: RoleFacts(40, below_bot=False)}
    failed = await service.failures_since(store, GUILD, now=NOW)
    report = build_check(view, channels, roles, can_manage_roles=True, failed=failed)
    assert not report.ok
    assert (report.failure_count, report.not_attempted) == (2, 1)
    assert [(c.channel_id, c.missing) for c in report.channels if c.missing] == [(21, ("send",))]
    assert report.channels[0].forum_tags_missing == ("investigating", "identified", "monitoring", "cancelled")
    assert [(r.role_id, r.mentionable) for r in report.roles] == [(32, False)]
    assert report.manageable_roles == (32,)
    text_fr = "\n".join(
        f"{s.title}\n" + "\n".join(s.lines) for s in presentation.check_sections(report, CATALOGUE, "fr")
    )
    assert "⚠️ <#21> (annonces) : il manque au bot Envoyer des messages" in text_fr
    assert "⚠️ <@&32> ne peut pas être mentionné dans <#26>" in text_fr
    assert "Envois en échec, 7 derniers jours (2)" in text_fr
    assert "❌ <#21> : HTTP 403, code 50013 (Missing Permissions) × 2" in text_fr
    assert "1 autre envoi n'a pas été tenté, car il dépendait de l'un de ceux-ci." in text_fr
    assert "pas d'étiquette de forum pour En cours d'analyse, Cause identifiée, Surveillance, Annulé" in text_fr


async def test_check_names_why_discord_refuses_a_role_tocsin_gives_and_what_to_do(store: Store) -> None:
    """A route's role or an open incident's follow role that Discord refuses Tocsin (403, 50013): not below the
    bot's highest role, a managed role, or no Manage Roles at all."""
    for channel, sector, role in ((26, "librairie", 32), (27, "pharmacie", 33), (28, "santé", 34)):
        await service.add_route(
            store, ACTOR, channel=text(channel), territory=None, sector=sector, role=RoleFacts(role), now=NOW
        )
    view = await service.load_view(store, ACTOR)
    below = {32: RoleFacts(32, below_bot=True), 33: RoleFacts(33, below_bot=True), 34: RoleFacts(34, below_bot=True)}
    roles = {**below, 33: RoleFacts(33, below_bot=False), 34: RoleFacts(34, managed=True, below_bot=True)}
    roles[50] = RoleFacts(50, "suivi #7", below_bot=False)
    report = build_check(
        view, {}, roles, can_manage_roles=False, failed=[], follow_roles=[(7, 50), (8, 51)], bot_role_id=99
    )
    assert not report.ok
    problems = [(g.role_id, g.channel_id, g.incident_number, g.problem) for g in report.grants]
    assert problems == [
        (32, 26, None, "no_manage_roles"),
        (33, 27, None, "above_bot"),
        (34, 28, None, "managed"),
        (50, None, 7, "above_bot"),  # the follow role of #8 is gone: told as such elsewhere
    ]

    def shown(report: CheckReport, language: Language) -> str:
        return "\n".join(
            f"{s.title}\n" + "\n".join(s.lines) for s in presentation.check_sections(report, CATALOGUE, language)
        )

    text_fr = shown(report, "fr")
    assert "Rôles que Tocsin donne à ceux qui suivent" in text_fr
    assert (
        "❌ Tocsin n'a pas la permission « Gérer les rôles » : Discord refuse qu'il donne ou retire un rôle" in text_fr
    )
    assert "donnez « Gérer les rôles » à <@&99>." in text_fr
    assert (
        "❌ <@&33> (route vers <#27>) n'est pas sous <@&99>, le rôle le plus haut de Tocsin : Discord refuse donc"
        in text_fr
    )
    assert "❌ <@&50> (suivi de la panne #7) n'est pas sous <@&99>" in text_fr
    assert "glissez <@&99> au-dessus de <@&50>." in text_fr
    assert "❌ <@&34> (route vers <#28>) appartient à un bot ou à une intégration" in text_fr
    text_en = shown(report, "en")
    assert "❌ <@&50> (follow role of outage #7) is not below <@&99>, Tocsin's highest role" in text_en
    assert "give “Manage Roles” to <@&99>." in text_en

    fixed = build_check(
        view, {}, {**below, 50: RoleFacts(50, below_bot=True)}, can_manage_roles=True, failed=[], follow_roles=[(7, 50)]
    )
    assert all(g.problem is None for g in fixed.grants)
    assert "✅ Tocsin peut donner et retirer chacun d'eux : <@&32>, <@&33>, <@&34>, <@&50>" in shown(fixed, "fr")
    elsewhere = await service.load_view(store, Actor(GUILD + 1, SOPHIE))
    nothing = build_check(elsewhere, {}, {}, can_manage_roles=True, failed=[])
    assert "Aucun pour l'instant" in shown(nothing, "fr")
    unable = build_check(elsewhere, {}, {}, can_manage_roles=False, failed=[])
    assert "Tocsin n'a pas la permission « Gérer les rôles »" in shown(unable, "fr")


async def test_check_of_a_server_never_set_up_says_what_to_do_first(store: Store) -> None:
    report = build_check(await service.load_view(store, ACTOR), {}, {}, can_manage_roles=False, failed=[])
    sections = presentation.check_sections(report, CATALOGUE, "en")
    assert sections[0].title == "To set up"
    assert sections[0].lines == (
        "❌ choose it with /setup incident-channel",
        "❌ choose it with /setup coordinator-role",
    )


async def test_audit_pages_filter_by_member_and_read_back(store: Store) -> None:
    other = Actor(GUILD, 8)
    await service.set_language(store, ACTOR, "fr", now=NOW)
    await service.set_archive_delay(store, other, 12, now=NOW + timedelta(minutes=1))
    await service.add_route(store, ACTOR, channel=text(21), territory="R53", sector=None, role=None, now=NOW)
    everything = await service.audit_page(store, ACTOR, member_id=None, limit=10)
    assert [e.action for e in everything] == ["setup route add", "setup archive-delay", "setup language"]
    mine = await service.audit_page(store, ACTOR, member_id=SOPHIE, limit=10)
    assert [e.action for e in mine] == ["setup route add", "setup language"]
    older = await service.audit_page(store, ACTOR, member_id=None, limit=10, before_id=everything[0].id)
    assert [e.action for e in older] == ["setup archive-delay", "setup language"]
    lines = presentation.audit_lines(everything, CATALOGUE, "fr")
    assert lines[0] == (
        f"<t:{int(NOW.timestamp())}:f> · <@7> · `setup route add` route=1 channel=<#21> territory=R53 → ok"
    )
    with pytest.raises(SetupError, match=r"setup.error.audit_limit"):
        await service.audit_page(store, ACTOR, member_id=None, limit=0)


def test_refused_commands_recorded_by_the_error_handler_read_as_options() -> None:
    entry = AuditEntry(
        1,
        7,
        "setup route add",
        {
            "options": [
                {
                    "name": "route",
                    "type": 2,
                    "options": [
                        {
                            "name": "add",
                            "type": 1,
                            "options": [
                                {"name": "channel", "type": 7, "value": "21"},
                                {"name": "territory", "type": 3, "value": "@everyone"},
                            ],
                        }
                    ],
                }
            ]
        },
        "refused: access.error.admin_only",
        NOW,
    )
    (line,) = presentation.audit_lines([entry], CATALOGUE, "en")
    assert "channel=<#21>" in line and "@everyone" not in line
    assert line.endswith("→ refused: Only server admins (Manage Server permission) can do that.")


def test_lists_inside_messages_are_worded_in_the_readers_language() -> None:
    msg = Msg.of("setup.check.channel_ok", channel="<#1>", uses=presentation.MsgList((Msg.of("setup.use.log"),)))
    assert presentation.word(CATALOGUE, "en", msg) == "<#1> (bot log): all permissions are there"


def test_long_reports_are_packed_within_discords_embed_limits() -> None:
    import discord

    from cogs.settings.embeds import pack

    lines = tuple(f"<t:1729334400:f> · <@7> · `setup route add` {'x' * 300} → ok {n}" for n in range(100))
    messages = pack([presentation.Section("Journal d'audit (100 entrées)", lines)], discord.Colour.dark_red())
    embeds = [embed for message in messages for embed in message]
    assert len(messages) > 1
    assert all(len(message) <= 10 and sum(len(e) for e in message) <= 6000 for message in messages)
    assert all(len(e.description or "") <= 4096 for e in embeds)
    shown = "\n".join(e.description or "" for e in embeds).split("\n")
    assert shown == list(lines)
