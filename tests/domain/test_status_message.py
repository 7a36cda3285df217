from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.common import territories
from bot.common.limits import (
    EMBED_DESCRIPTION,
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_FIELDS,
    EMBED_FOOTER,
    EMBED_TITLE,
    EMBED_TOTAL,
    EMBEDS_PER_MESSAGE,
    MAX_SERVICES,
    MAX_TERRITORIES,
    MESSAGE_CONTENT,
    TextField,
)
from bot.common.text import name_key
from bot.incidents.presentation.announcements import announcement, news_message, no_longer_concerns
from bot.incidents.presentation.buttons import AFFECTED, FOLLOW, custom_id, parse_custom_id
from bot.incidents.presentation.message_parts import embed_length, fit_embed
from bot.incidents.presentation.status_message import status_message
from bot.incidents.presentation.thread_posts import thread_post, thread_title
from bot.incidents.rules.durations import service_durations
from bot.incidents.rules.lifecycle import (
    AnnounceReason,
    Update,
    UpdateKind,
    UpdateRequest,
    apply_update,
    assign,
    cancel,
)
from bot.incidents.rules.model import (
    CancelReason,
    Cause,
    Incident,
    IncidentService,
    ServiceState,
    Severity,
    Status,
    Workaround,
)
from tests.domain.outage_examples import ANNE, GUILD, YANN, angouleme, cerp_declared, cerp_resolved, paris

PHARMA_ROLE = 201
MENTION = re.compile(r"<@&?(\d+)>|@everyone|@here")
SAT_NOON = int(paris(2024, 10, 19, 12).timestamp())
MON_NINE = int(paris(2024, 10, 21, 9).timestamp())


def all_text(payload: dict[str, Any]) -> str:
    parts = [payload.get("content", "")]
    for embed in payload.get("embeds", []):
        parts += [embed.get("title", ""), embed.get("description", ""), embed.get("footer", {}).get("text", "")]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


def check_limits(payload: dict[str, Any]) -> None:
    assert len(payload.get("content", "")) <= MESSAGE_CONTENT
    embeds = payload.get("embeds", [])
    assert len(embeds) <= EMBEDS_PER_MESSAGE
    assert sum(embed_length(e) for e in embeds) <= EMBED_TOTAL
    for embed in embeds:
        assert len(embed.get("title", "")) <= EMBED_TITLE
        assert len(embed.get("description", "")) <= EMBED_DESCRIPTION
        assert len(embed.get("footer", {}).get("text", "")) <= EMBED_FOOTER
        assert len(embed.get("fields", [])) <= EMBED_FIELDS
        for field in embed.get("fields", []):
            assert 1 <= len(field["name"]) <= EMBED_FIELD_NAME
            assert 1 <= len(field["value"]) <= EMBED_FIELD_VALUE


def check_mentions(payload: dict[str, Any]) -> None:
    """Nothing is parsed for pings; only roles and people the content names may be pinged. (The content may
    name people it does not ping: the author of a thread post is shown, not notified.)"""
    allowed = payload["allowed_mentions"]
    assert allowed["parse"] == []
    content = payload.get("content", "")
    assert "@everyone" not in content and "@here" not in content
    roles = {int(m) for m in re.findall(r"<@&(\d+)>", content)}
    users = {int(m) for m in re.findall(r"<@(\d+)>", content)}
    assert set(allowed["roles"]) <= roles
    assert set(allowed["users"]) <= users


# --- the scenarios ----------------------------------------------------------------------------------------


def test_cerp_status_message_in_french() -> None:
    payload = status_message(cerp_declared().incident, "fr")
    embed = payload["embeds"][0]
    assert embed["title"] == "#42 · Cerp Bretagne Atlantique à l'arrêt"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Statut"] == "En cours d'analyse"
    assert fields["Gravité"] == "Critique"
    assert fields["Structure"] == "Cerp Bretagne Atlantique"
    assert fields["Depuis"] == f"<t:{SAT_NOON}:F> (<t:{SAT_NOON}:R>)"
    assert fields["Reprise estimée"] == f"<t:{MON_NINE}:F> (<t:{MON_NINE}:R>)"
    assert "Bretagne (région 53)" in fields["Territoires"]
    assert fields["Consignes (v1)"].startswith("Reporter toute commande")
    assert fields["Impact"] == "≈1 800 officines"
    assert fields["Membres concernés"] == "0"
    assert fields["Responsable"] == f"<@{ANNE}>"
    assert "🔴 **commandes** : en panne" in embed["description"]
    assert "🔴 **livraisons** : en panne" in embed["description"]
    assert payload["allowed_mentions"] == {"parse": [], "users": [], "roles": []}
    check_limits(payload)


def test_angouleme_status_message_shows_the_partial_recovery() -> None:
    description = status_message(angouleme().incident, "fr")["embeds"][0]["description"]
    assert "🟢 **téléphonie** : rétabli après 2 j 6 h" in description
    assert "🔴 **sites web** : en panne" in description
    assert "🔴 **messagerie** : en panne" in description


def test_next_update_is_shown_with_who_committed() -> None:
    fields = {
        f["name"]: f["value"] for f in status_message(cerp_resolved().outcomes[1].incident, "fr")["embeds"][0]["fields"]
    }
    ten = int(paris(2024, 10, 20, 10).timestamp())
    assert fields["Prochaine mise à jour"] == f"<t:{ten}:F> (<t:{ten}:R>), par <@{YANN}>"


def test_announcements_mention_the_route_role_only_where_there_is_one() -> None:
    incident = cerp_declared().incident
    pharmacies = announcement(incident, "fr", role_ids=[PHARMA_ROLE], url="https://discord.com/channels/1/2")
    assert pharmacies["content"].startswith(f"<@&{PHARMA_ROLE}> 🚨")
    check_mentions(pharmacies)
    bretagne = announcement(incident, "fr")
    assert "<@&" not in bretagne["content"]
    check_mentions(bretagne)
    buttons = pharmacies["components"][0]["components"]
    assert [b.get("custom_id") for b in buttons[:2]] == ["tocsin:follow:1000:42", "tocsin:affected:1000:42"]
    assert [b["label"] for b in buttons] == ["Suivre", "Je suis concerné·e", "Ouvrir le fil"]
    assert buttons[2]["url"] == "https://discord.com/channels/1/2"


def test_cerp_new_workaround_message() -> None:
    outcome = cerp_resolved().outcomes[2]
    payload = news_message(outcome.incident, outcome.announce.reasons, "fr", role_ids=[PHARMA_ROLE])
    assert payload is not None
    assert (
        payload["content"]
        == f"<@&{PHARMA_ROLE}> 📌 Nouvelles consignes (v2) pour #42 · Cerp Bretagne Atlantique à l'arrêt"
    )
    assert payload["embeds"][0]["description"] == "Commandes de nouveau possibles ; livraisons avec retard."
    check_mentions(payload)
    elsewhere = news_message(outcome.incident, outcome.announce.reasons, "fr")
    assert elsewhere is not None and "<@&" not in elsewhere["content"]


def test_declared_alone_is_not_a_news_message() -> None:
    assert news_message(cerp_declared().incident, (AnnounceReason.DECLARED,), "fr") is None


def test_cerp_monday_thread_post() -> None:
    outcome = cerp_resolved().outcomes[2]
    payload = thread_post(outcome.incident, outcome.entries, "fr", follow_role_id=555)
    assert payload is not None
    assert payload["content"] == f"<@&555> **#42 · Cerp Bretagne Atlantique à l'arrêt** · mise à jour par <@{ANNE}>"
    description = payload["embeds"][0]["description"]
    assert "Statut : En cours d'analyse → Surveillance" in description
    assert "🟢 **commandes** : rétabli après 1 j 20 h 30 min" in description
    assert "🟠 **livraisons** : en panne → dégradé" in description
    assert "Commandes de nouveau possibles" in description
    assert payload["silent"] is False
    check_mentions(payload)


def test_cerp_saturday_evening_thread_post_shows_the_next_update() -> None:
    outcome = cerp_resolved().outcomes[1]
    payload = thread_post(outcome.incident, outcome.entries, "fr")
    assert payload is not None
    ten = int(paris(2024, 10, 20, 10).timestamp())
    description = payload["embeds"][0]["description"]
    assert f"Prochaine mise à jour : <t:{ten}:F> (<t:{ten}:R>), par <@{YANN}>" in description
    assert "aucune plainte" in description
    assert payload["allowed_mentions"] == {"parse": [], "users": [], "roles": []}


def test_cerp_recovery_message_and_thread_post() -> None:
    story = cerp_resolved()
    outcome = story.outcomes[-1]
    durations = service_durations(outcome.incident, story.entries)
    payload = news_message(
        outcome.incident, outcome.announce.reasons, "fr", role_ids=[PHARMA_ROLE], durations=durations
    )
    assert payload is not None
    assert (
        payload["content"]
        == f"<@&{PHARMA_ROLE}> ✅ Rétabli : #42 · Cerp Bretagne Atlantique à l'arrêt, après 2 j 23 h."
    )
    description = payload["embeds"][0]["description"]
    assert "Durée totale : **2 j 23 h**" in description
    assert "**commandes** : en panne 1 j 20 h 30 min" in description
    assert "**livraisons** : en panne 1 j 20 h 30 min, puis dégradé 1 j 2 h 30 min" in description
    post = thread_post(outcome.incident, outcome.entries, "fr", durations=durations)
    assert post is not None
    assert "✅ **Panne résolue**, après 2 j 23 h." in post["embeds"][0]["description"]
    status = status_message(outcome.incident, "fr")
    fields = {f["name"]: f["value"] for f in status["embeds"][0]["fields"]}
    assert fields["Statut"] == "Résolu" and "2 j 23 h" in fields["Résolu"]
    assert "Reprise estimée" not in fields
    assert all(button["disabled"] for button in status["components"][0]["components"])


def test_english_rendering() -> None:
    story = cerp_resolved()
    durations = service_durations(story.incident, story.entries)
    payload = news_message(story.incident, (AnnounceReason.RESOLVED,), "en", durations=durations)
    assert payload is not None
    assert "Restored" in payload["content"] and "2 j 23 h" not in payload["content"]
    assert "degraded" in payload["embeds"][0]["description"]
    assert status_message(story.incident, "en")["embeds"][0]["fields"][0]["name"] == "Status"


def test_cancelled_as_duplicate_is_shown() -> None:
    original = cerp_declared().incident
    outcome = cancel(
        replace(original, number=43), CancelReason.DUPLICATE, duplicate_of=original, at=paris(2024, 10, 19, 13), by=YANN
    )
    fields = {f["name"]: f["value"] for f in status_message(outcome.incident, "fr")["embeds"][0]["fields"]}
    assert fields["Annulation"] == "Doublon de la panne #42, qui fait foi."
    post = thread_post(outcome.incident, outcome.entries, "fr")
    assert post is not None and "doublon de la panne #42" in post["embeds"][0]["description"]
    assert announcement(outcome.incident, "fr")["content"] == "#43 · Cerp Bretagne Atlantique à l'arrêt — Annulé"


def test_assign_post_mentions_the_new_owner_only() -> None:
    outcome = assign(cerp_declared().incident, YANN, at=paris(2024, 10, 19, 14), by=ANNE)
    post = thread_post(
        outcome.incident,
        outcome.entries,
        "fr",
        mention_users=outcome.announce.mention_users,
        silent=outcome.announce.silent,
    )
    assert post is not None
    assert post["allowed_mentions"]["users"] == [YANN] and post["silent"] is True
    check_mentions(post)


def test_affected_clicks_are_not_posted() -> None:
    entry = Update(UpdateKind.AFFECTED, paris(2024, 10, 19, 13), 99, True, {"count": 1})
    assert thread_post(cerp_declared().incident, [entry], "fr") is None


def test_no_longer_concerns() -> None:
    payload = no_longer_concerns(cerp_declared().incident, "fr")
    assert payload["content"].startswith("#42 · Cerp Bretagne Atlantique à l'arrêt ne concerne plus ce salon")
    assert payload["embeds"] == [] and payload["components"] == []


def test_typed_mentions_never_ping() -> None:
    incident = replace(
        cerp_declared().incident,
        title="@everyone <@&123456789012345678> panne",
        organisation="<@123456789012345678>",
        impact="@here",
    )
    outcome = apply_update(
        incident, UpdateRequest(note="@everyone [clic](http://evil.example)"), at=paris(2024, 10, 19, 14), by=ANNE
    )
    for payload in (
        status_message(outcome.incident, "fr"),
        announcement(outcome.incident, "fr", role_ids=[PHARMA_ROLE]),
        thread_post(outcome.incident, outcome.entries, "fr"),
        no_longer_concerns(outcome.incident, "fr"),
    ):
        assert payload is not None
        check_mentions(payload)
        text = all_text(payload)
        assert "@everyone" not in text and "@here" not in text
        assert "<@&123456789012345678>" not in text and "<@123456789012345678>" not in text
        assert "[clic](" not in text


def test_custom_ids_round_trip_and_junk_is_refused() -> None:
    assert parse_custom_id(custom_id(FOLLOW, GUILD, 42)) == (FOLLOW, GUILD, 42)
    assert parse_custom_id(custom_id(AFFECTED, GUILD, 7)) == (AFFECTED, GUILD, 7)
    for junk in [
        "",
        "tocsin:follow:1",
        "tocsin:delete:1:2",
        "other:follow:1:2",
        "tocsin:follow:x:2",
        "tocsin:follow:1:²",
    ]:
        assert parse_custom_id(junk) is None
    with pytest.raises(ValueError):
        custom_id("delete", GUILD, 1)


def test_thread_title() -> None:
    assert thread_title(cerp_declared().incident) == "#42 · Cerp Bretagne Atlantique à l'arrêt"


def test_fit_embed_cuts_every_part_to_its_limit() -> None:
    embed = {
        "title": "t" * 300,
        "description": "d" * 5000,
        "fields": [{"name": f"n{i}", "value": "v" * 2000, "inline": False} for i in range(30)],
        "footer": {"text": "f" * 3000},
    }
    fitted = fit_embed(embed)
    check_limits({"embeds": [fitted]})
    assert len(fitted["fields"]) == EMBED_FIELDS
    assert fitted["fields"][0]["name"] == "n0"


def test_fit_embed_shortens_free_text_fields_before_the_description() -> None:
    embed = {
        "title": "#42",
        "description": "d" * 4096,
        "fields": [{"name": f"n{i}", "value": "v" * 1024, "inline": False} for i in range(5)]
        + [{"name": "Statut", "value": "Résolu", "inline": True}],
    }
    fitted = fit_embed(embed)
    assert embed_length(fitted) <= EMBED_TOTAL
    assert len(fitted["description"]) == 4096
    assert fitted["fields"][-1]["value"] == "Résolu"
    assert all(len(f["value"]) >= 100 for f in fitted["fields"][:5])


# --- any incident renders within Discord's limits ---------------------------------------------------------


# Typed text at the longest allowed, made of what escaping lengthens most.
def typed(limit: int, min_size: int = 0) -> st.SearchStrategy[str]:
    pieces = st.sampled_from([*"*_~`|[]<>\\#-@ \nabcé", "@everyone", "🔥"])
    return st.lists(pieces, min_size=min_size, max_size=limit).map(lambda p: "".join(p)[:limit])


all_refs = [t.ref for t in territories.all_territories()]


@st.composite
def incidents(draw: st.DrawFn) -> Incident:
    start = paris(2024, 10, 19, 12)
    status = draw(st.sampled_from(list(Status)))
    names = draw(st.lists(typed(TextField.SERVICE_NAME.limit, 1), max_size=MAX_SERVICES, unique_by=name_key))
    services = tuple(
        IncidentService(
            name=n,
            key=name_key(n),
            state=draw(st.sampled_from(list(ServiceState))),
            since=start + timedelta(hours=1),
            affected_since=start,
        )
        for n in names
    )
    workaround = draw(st.none() | typed(TextField.WORKAROUND.limit, 1))
    return Incident(
        guild_id=GUILD,
        number=draw(st.integers(1, 10**6)),
        title=draw(typed(TextField.TITLE.limit, 1)),
        organisation=draw(st.none() | typed(TextField.ORGANISATION.limit, 1)),
        description=draw(st.none() | typed(TextField.DESCRIPTION.limit, 1)),
        impact=draw(st.none() | typed(TextField.IMPACT.limit, 1)),
        sector=draw(typed(TextField.SECTOR.limit, 1)),
        territories=tuple(draw(st.lists(st.sampled_from(all_refs), min_size=1, max_size=MAX_TERRITORIES, unique=True))),
        severity=draw(st.sampled_from(list(Severity))),
        cause=draw(st.sampled_from(list(Cause))),
        status=status,
        started_at=start,
        declared_at=start + timedelta(minutes=40),
        declared_by=ANNE,
        owner_id=ANNE,
        updated_at=start + timedelta(days=2),
        eta=draw(st.none() | st.just(start + timedelta(days=2))),
        next_update_at=draw(st.none() | st.just(start + timedelta(days=1))),
        next_update_by=YANN,
        workaround=Workaround(version=draw(st.integers(1, 99)), text=workaround, set_at=start, set_by=ANNE)
        if workaround
        else None,
        services=services,
        affected_count=draw(st.integers(0, 10**6)),
        resolved_at=start + timedelta(days=3) if status == Status.RESOLVED else None,
        resolution_note=draw(st.none() | typed(TextField.RESOLUTION_NOTE.limit, 1))
        if status == Status.RESOLVED
        else None,
        cancelled_reason=draw(st.sampled_from(list(CancelReason))) if status == Status.CANCELLED else None,
        duplicate_of=41 if status == Status.CANCELLED else None,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(incidents(), st.sampled_from(["fr", "en"]), typed(TextField.NOTE.limit))
def test_any_incident_renders_within_discord_limits(incident: Incident, language: str, note: str) -> None:
    lang: Any = language
    roles = [201, 202]
    payloads: list[dict[str, Any] | None] = [
        status_message(incident, lang),
        announcement(incident, lang, role_ids=roles, url="https://discord.com/channels/1/2"),
        no_longer_concerns(incident, lang),
        news_message(
            incident,
            list(AnnounceReason),
            lang,
            role_ids=roles,
            durations=service_durations(incident, [], now=incident.updated_at),
        ),
    ]
    if incident.is_open:
        entries = [
            Update(UpdateKind.NOTE, incident.updated_at, ANNE, details={"text": note}),
            Update(
                UpdateKind.SERVICES_CHANGED,
                incident.updated_at,
                ANNE,
                details={
                    "changes": [
                        {"name": s.name, "key": s.key, "from": "down", "to": s.state.value} for s in incident.services
                    ]
                },
            ),
        ]
        if incident.workaround is not None:
            entries.append(
                Update(
                    UpdateKind.WORKAROUND_CHANGED,
                    incident.updated_at,
                    ANNE,
                    details={"version": incident.workaround.version, "text": incident.workaround.text},
                )
            )
        payloads.append(thread_post(incident, entries, lang, follow_role_id=555, mention_users=[YANN]))
    for payload in payloads:
        if payload is None:
            continue
        check_limits(payload)
        check_mentions(payload)
        assert "@everyone" not in all_text(payload)


def worst_case(status: Status) -> Incident:
    """Every typed field at its limit, made of characters that escaping doubles."""
    start = paris(2024, 10, 19, 12)
    services = tuple(
        IncidentService(
            name=f"{i:02d}" + "*" * 58, key=str(i), state=ServiceState.DOWN, since=start, affected_since=start
        )
        for i in range(MAX_SERVICES)
    )
    return replace(
        cerp_declared().incident,
        status=status,
        title="*" * TextField.TITLE.limit,
        organisation="_" * TextField.ORGANISATION.limit,
        description="[" * TextField.DESCRIPTION.limit,
        impact="`" * TextField.IMPACT.limit,
        sector="~" * TextField.SECTOR.limit,
        territories=tuple(all_refs[:MAX_TERRITORIES]),
        workaround=Workaround(version=99, text="|" * TextField.WORKAROUND.limit, set_at=start, set_by=ANNE),
        services=services,
        next_update_at=start + timedelta(days=1),
        next_update_by=YANN,
        resolved_at=start + timedelta(days=3) if status == Status.RESOLVED else None,
        resolution_note="<" * TextField.RESOLUTION_NOTE.limit if status == Status.RESOLVED else None,
        cancelled_reason=CancelReason.DUPLICATE if status == Status.CANCELLED else None,
        duplicate_of=41 if status == Status.CANCELLED else None,
        number=10**9,
        affected_count=10**9,
    )


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_longest_incident_still_fits(status: Status, language: Any) -> None:
    incident = worst_case(status)
    notes = [Update(UpdateKind.NOTE, incident.updated_at, ANNE, details={"text": "*" * TextField.NOTE.limit})]
    for payload in (
        status_message(incident, language),
        announcement(incident, language, role_ids=list(range(10**17, 10**17 + 10))),
        news_message(incident, list(AnnounceReason), language, role_ids=[1], durations=()),
        thread_post(incident, notes, language, follow_role_id=5),
    ):
        assert payload is not None
        check_limits(payload)
    # Nothing essential is squeezed out: the short facts and every service stay whole.
    embed = status_message(incident, language)["embeds"][0]
    assert embed["description"].count("🔴") == MAX_SERVICES
    fields = {f["name"] for f in embed["fields"]}
    assert {"Statut", "Status"} & fields and {"Gravité", "Severity"} & fields


def test_a_silent_workaround_change_is_posted_without_notifying() -> None:
    outcome = apply_update(
        cerp_declared().incident,
        UpdateRequest(workaround="Commander via le confrère.", silent=True),
        at=paris(2024, 10, 19, 14),
        by=ANNE,
    )
    payload = news_message(
        outcome.incident, outcome.announce.reasons, "fr", role_ids=[PHARMA_ROLE], silent=outcome.announce.silent
    )
    assert payload is not None and payload["silent"] is True
    assert payload["allowed_mentions"]["roles"] == [PHARMA_ROLE]
