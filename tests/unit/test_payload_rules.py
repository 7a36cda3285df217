"""The checks Discord makes for its own clients, made again on whatever arrives (bot/interactions/payload_rules.py).

Against the real command tree as it is synced to Discord: every payload a Discord client could send passes, each
kind of payload only a modified client sends is refused with its sentence, and no data at all makes the rules
fail in any other way than a refusal.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import COGS, TocsinBot
from bot.common.i18n import LANGUAGES, Msg, default_catalogue
from bot.config import Settings
from bot.interactions.payload_rules import (
    BOOLEAN,
    BUTTON,
    CHANNEL,
    CHANNEL_SELECT,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    ROLE_SELECT,
    STRING,
    STRING_SELECT,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
    USER_SELECT,
    FormField,
    Named,
    PayloadError,
    check_command,
    check_form,
    check_menu,
    either,
    printable,
    shown,
    unreadable,
)
from bot.interactions.translator import TocsinTranslator
from bot.storage.store import Store
from bot.timers.clock import SystemClock

# Any data JSON can carry.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


GUILD_CHANNEL = 101
GUILD_ROLE = 202
MEMBER = 303


def synced_commands() -> list[dict[str, Any]]:
    """The real tree's commands as they are synced to Discord, French names included."""

    async def build() -> list[dict[str, Any]]:
        with tempfile.TemporaryDirectory() as folder:
            store = await Store.open(Path(folder) / "tree.db")
            settings = Settings(_env_file=None)  # type: ignore[call-arg]
            client = TocsinBot(settings=settings, store=store, clock=SystemClock(), catalogue=default_catalogue())
            for extension in COGS:
                await client.load_extension(extension)
            translator = TocsinTranslator(default_catalogue())
            await client.tree.set_translator(translator)
            payloads = [await c.get_translated_payload(client.tree, translator) for c in client.tree.get_commands()]
            await client.close()
            await store.close()
        return payloads

    return asyncio.run(build())


@pytest.fixture(scope="module")
def commands() -> list[dict[str, Any]]:
    return synced_commands()


def leaves(command: dict[str, Any]) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """(path of subcommand declarations, options) of every command that runs."""

    def walk(path: list[dict[str, Any]], options: list[dict[str, Any]]) -> Iterator[Any]:
        subs = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if not subs:
            yield path, options
        for sub in subs:
            yield from walk([*path, sub], sub.get("options") or [])

    yield from walk([], command.get("options") or [])


def value_for(spec: dict[str, Any]) -> Any:
    """A value Discord's own client could send for this option."""
    if spec.get("choices"):
        return spec["choices"][-1]["value"]
    option_type = spec["type"]
    if option_type == STRING:
        return "Cerp Bretagne Atlantique ✓ 🚨\tà l'arrêt"
    if option_type in (INTEGER, NUMBER):
        return spec.get("max_value", 3)
    if option_type == BOOLEAN:
        return True
    return str({USER: MEMBER, ROLE: GUILD_ROLE, CHANNEL: GUILD_CHANNEL, MENTIONABLE: MEMBER}[option_type])


def resolved_for(channel_type: int = 0) -> dict[str, Any]:
    return {
        "users": {str(MEMBER): {"id": str(MEMBER), "username": "anne"}},
        "members": {str(MEMBER): {"roles": []}},
        "roles": {str(GUILD_ROLE): {"id": str(GUILD_ROLE), "name": "coordination"}},
        "channels": {str(GUILD_CHANNEL): {"id": str(GUILD_CHANNEL), "type": channel_type, "name": "bretagne"}},
    }


def data_for(
    command: dict[str, Any], path: list[dict[str, Any]], options: list[dict[str, Any]], *, channel_type: int = 0
) -> dict[str, Any]:
    nested: list[dict[str, Any]] = options
    for sub in reversed(path):
        nested = [{"name": sub["name"], "type": sub["type"], "options": nested}]
    return {"id": "1", "name": command["name"], "type": 1, "options": nested, "resolved": resolved_for(channel_type)}


def full(spec_options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": s["name"], "type": s["type"], "value": value_for(s)} for s in spec_options]


def refusal(error: pytest.ExceptionInfo[PayloadError]) -> str:
    return error.value.message_id


def words(error: pytest.ExceptionInfo[PayloadError], language: str = "fr") -> str:
    catalogue = default_catalogue()
    return catalogue.word(language, Msg(error.value.message_id, error.value.args_map))  # type: ignore[arg-type]


def command_named(commands: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(c for c in commands if c["name"] == name)


def leaf(commands: list[dict[str, Any]], full_name: str) -> tuple[dict[str, Any], list[Any], list[dict[str, Any]]]:
    top, *subs = full_name.split()
    command = command_named(commands, top)
    for path, options in leaves(command):
        if [p["name"] for p in path] == subs:
            return command, path, options
    raise LookupError(full_name)


# --- what Discord's own clients send passes ---------------------------------------------------------------


def test_every_command_with_every_option_as_a_client_sends_it_passes(commands: list[dict[str, Any]]) -> None:
    checked = 0
    for command in commands:
        for path, options in leaves(command):
            channel_type = next((k for o in options for k in o.get("channel_types") or []), 0)
            data = data_for(command, path, full(options), channel_type=channel_type)
            named = {(n.kind, n.id) for n in check_command(command, data, locale="fr")}
            kinds = {o["type"] for o in options}
            assert (("channel", GUILD_CHANNEL) in named) == (CHANNEL in kinds)
            assert (("role", GUILD_ROLE) in named) == (ROLE in kinds)
            assert (("member", MEMBER) in named) == (USER in kinds)
            required = [o for o in options if o.get("required")]
            assert check_command(command, data_for(command, path, full(required)), locale="en") is not None
            checked += 1
    assert checked > 25


def test_an_autocomplete_needs_only_what_is_typed(commands: list[dict[str, Any]]) -> None:
    command, path, _ = leaf(commands, "outage update")
    typing = [{"name": "services", "type": STRING, "value": "commandes: ré", "focused": True}]
    assert check_command(command, data_for(command, path, typing), locale="fr", autocomplete=True) == []


# --- what only a modified client sends is refused with its sentence -----------------------------------------


def test_a_value_outside_the_choices_names_them_in_the_persons_words(commands: list[dict[str, Any]]) -> None:
    command, path, _ = leaf(commands, "outage declare")
    data = data_for(command, path, [{"name": "severity", "type": STRING, "value": "catastrophique"}])
    with pytest.raises(PayloadError) as refused:
        check_command(command, data, locale="fr")
    assert words(refused) == (
        "« catastrophique » ne fait pas partie des choix de « gravite » : choisissez critique, majeure ou mineure."
    )
    with pytest.raises(PayloadError) as refused:
        check_command(command, data, locale="en-GB")
    assert words(refused, "en") == (
        "“catastrophique” is not one of the choices for “severity”: choose critical, major or minor."
    )


@pytest.mark.parametrize(
    ("value", "option_type"),
    [
        ("douze", STRING),
        ("12", INTEGER),
        (12.5, INTEGER),
        (True, INTEGER),
        (2**60, INTEGER),
        (None, INTEGER),
        ([12], INTEGER),
        ({"value": 12}, INTEGER),
    ],
)
def test_anything_but_a_whole_number_in_an_integer_option_is_refused(
    commands: list[dict[str, Any]], value: Any, option_type: int
) -> None:
    command, path, _ = leaf(commands, "setup archive-delay")
    with pytest.raises(PayloadError) as refused:
        check_command(
            command, data_for(command, path, [{"name": "hours", "type": option_type, "value": value}]), locale="fr"
        )
    assert refusal(refused) == "core.error.option_kind"
    assert words(refused).startswith("« heures » attend un nombre entier, pas « ")


@pytest.mark.parametrize(("value", "expected"), [(-1, "core.error.option_minimum"), (169, "core.error.option_maximum")])
def test_a_number_outside_its_range_is_refused(commands: list[dict[str, Any]], value: int, expected: str) -> None:
    command, path, _ = leaf(commands, "setup archive-delay")
    with pytest.raises(PayloadError) as refused:
        check_command(
            command, data_for(command, path, [{"name": "hours", "type": INTEGER, "value": value}]), locale="fr"
        )
    assert refusal(refused) == expected


def test_a_missing_option_an_unknown_one_or_one_twice_are_refused(commands: list[dict[str, Any]]) -> None:
    command, path, _ = leaf(commands, "outage show")
    incident = {"name": "incident", "type": STRING, "value": "1"}
    cases = {
        "core.error.option_required": [],
        "core.error.outdated_command": [incident, {"name": "bogus", "type": STRING, "value": "x"}],
    }
    for expected, options in cases.items():
        with pytest.raises(PayloadError) as refused:
            check_command(command, data_for(command, path, options), locale="fr")
        assert refusal(refused) == expected
    with pytest.raises(PayloadError) as refused:
        check_command(command, data_for(command, path, [incident, incident]), locale="fr")
    assert refusal(refused) == "core.error.outdated_command"


def test_subcommands_that_do_not_exist_or_come_several_are_refused(commands: list[dict[str, Any]]) -> None:
    outage = command_named(commands, "outage")
    for options in (
        [],
        [{"name": "explode", "type": SUB_COMMAND, "options": []}],
        [{"name": "show", "type": SUB_COMMAND_GROUP, "options": []}],
        [{"name": "list", "type": SUB_COMMAND}, {"name": "list", "type": SUB_COMMAND}],
        [{"name": "incident", "type": STRING, "value": "1"}],
        "show",
        [["show"]],
    ):
        with pytest.raises(PayloadError) as refused:
            check_command(outage, {"name": "outage", "type": 1, "options": options}, locale="fr")
        assert refusal(refused) == "core.error.outdated_command", options
    with pytest.raises(PayloadError):
        check_command(outage, {"name": "panne", "type": 1, "options": []}, locale="fr")


@pytest.mark.parametrize("text", ["Panne \ud800", "\udc00", "Europe/Paris\x00", "a\x07b", "x\x1b[31m", "\x7f", "\x85"])
def test_text_no_keyboard_types_is_refused(commands: list[dict[str, Any]], text: str) -> None:
    assert unreadable(text)
    command, path, _ = leaf(commands, "outage declare")
    with pytest.raises(PayloadError) as refused:
        check_command(command, data_for(command, path, [{"name": "title", "type": STRING, "value": text}]), locale="fr")
    assert refusal(refused) == "core.error.unreadable_text"
    assert words(refused).startswith("« titre » contient un caractère qu'aucun clavier ne tape")


@pytest.mark.parametrize("text", ["à l'arrêt", "🚨 Cerp", "a\tb", "ligne\nautre", "\u200bzéro", "رمز"])
def test_text_people_type_is_readable(text: str) -> None:
    assert not unreadable(text)


def test_a_string_longer_than_discord_takes_is_refused(commands: list[dict[str, Any]]) -> None:
    command, path, _ = leaf(commands, "outage show")
    with pytest.raises(PayloadError) as refused:
        check_command(
            command, data_for(command, path, [{"name": "incident", "type": STRING, "value": "1" * 6001}]), locale="fr"
        )
    assert words(refused) == "Trop long : « incident » fait 6001 caractères, 6000 au plus. Raccourcissez-le."


def test_a_channel_of_a_kind_the_option_does_not_take_is_named(commands: list[dict[str, Any]]) -> None:
    command, path, _ = leaf(commands, "tocsin test-delivery")
    data = data_for(command, path, [{"name": "channel", "type": CHANNEL, "value": str(GUILD_CHANNEL)}], channel_type=15)
    with pytest.raises(PayloadError) as refused:
        check_command(command, data, locale="fr")
    assert words(refused) == (
        f"<#{GUILD_CHANNEL}> est un forum : pour « salon », choisissez un salon textuel ou un salon d'annonces."
    )
    incident, path, _ = leaf(commands, "setup incident-channel")
    data = data_for(
        incident, path, [{"name": "channel", "type": CHANNEL, "value": str(GUILD_CHANNEL)}], channel_type=11
    )
    with pytest.raises(PayloadError) as refused:
        check_command(incident, data, locale="en-US")
    assert words(refused, "en") == (
        f"<#{GUILD_CHANNEL}> is a thread: for “channel”, choose a text channel, an announcement channel or a forum."
    )


def test_ids_discord_did_not_resolve_name_nothing_of_this_server(commands: list[dict[str, Any]]) -> None:
    cases = [
        ("setup log-channel", "channel", "access.error.other_server"),
        ("setup coordinator-role", "role", "access.error.other_server_role"),
        ("outage assign", "coordinator", "access.error.other_server_member"),
    ]
    for name, option, expected in cases:
        command, path, options = leaf(commands, name)
        given = [{"name": o["name"], "type": o["type"], "value": value_for(o)} for o in options if o.get("required")]
        for item in given:
            if item["name"] == option:
                item["value"] = "999"
        with pytest.raises(PayloadError) as refused:
            check_command(command, data_for(command, path, given), locale="fr")
        assert refusal(refused) == expected, name
        assert "999" in words(refused)


def test_a_user_who_is_not_a_member_is_named_as_nobody_to_find(commands: list[dict[str, Any]]) -> None:
    command, path, _ = leaf(commands, "setup audit")
    data = data_for(command, path, [{"name": "member", "type": USER, "value": str(MEMBER)}])
    del data["resolved"]["members"]
    assert check_command(command, data, locale="fr") == []


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.data(), JSON)
def test_no_data_fails_the_rules_otherwise_than_by_a_refusal(
    commands: list[dict[str, Any]], data: st.DataObject, value: Any
) -> None:
    command = data.draw(st.sampled_from(commands))
    path, options = data.draw(st.sampled_from(list(leaves(command))))
    if not options:
        return
    spec = data.draw(st.sampled_from(options))
    forged = {
        "name": data.draw(st.sampled_from([spec["name"], "x"])),
        "type": data.draw(st.integers(0, 12)),
        "value": value,
    }
    payload = data_for(command, path, [forged])
    if data.draw(st.booleans()):
        payload["resolved"] = value
    try:
        check_command(
            command,
            payload,
            locale=data.draw(st.sampled_from(["fr", "en-GB", "de"])),
            autocomplete=data.draw(st.booleans()),
        )
    except PayloadError as refused:
        for language in LANGUAGES:
            assert default_catalogue().word(language, Msg(refused.message_id, refused.args_map))


# --- buttons and menus ------------------------------------------------------------------------------------

MENU = {
    "type": STRING_SELECT,
    "custom_id": "tocsin:reminders:cancel:1",
    "options": [{"label": "a", "value": "11"}, {"label": "b", "value": "12"}],
}


def test_a_menu_takes_only_its_own_options_as_many_as_it_allows() -> None:
    assert check_menu(MENU, {"values": ["12"]}) == []
    for values, expected in (
        (["abc"], "core.error.menu_choice"),
        (["99"], "core.error.menu_choice"),
        (["11", "12"], "core.error.menu_one"),
        ([], "core.error.menu_one"),
        ("11", "core.error.menu_choice"),
        ([11], "core.error.menu_choice"),
        (None, "core.error.menu_choice"),
    ):
        with pytest.raises(PayloadError) as refused:
            check_menu(MENU, {"values": values})
        assert refusal(refused) == expected, values
    several = {**MENU, "min_values": 1, "max_values": 2}
    assert check_menu(several, {"values": ["11", "12"]}) == []
    with pytest.raises(PayloadError) as refused:
        check_menu(several, {"values": ["11", "11"]})
    assert words(refused) == "Choisissez de 1 à 2 éléments dans ce menu."


def test_a_click_carries_nothing_to_check() -> None:
    assert check_menu({"type": BUTTON, "custom_id": "tocsin:follow:1:2"}, {"values": "anything"}) == []


def test_user_role_and_channel_menus_name_what_must_be_found_in_the_server() -> None:
    resolved = resolved_for(channel_type=2)
    assert check_menu({"type": ROLE_SELECT}, {"values": [str(GUILD_ROLE)], "resolved": resolved}) == [
        Named("role", GUILD_ROLE)
    ]
    assert check_menu({"type": USER_SELECT}, {"values": [str(MEMBER)], "resolved": resolved}) == [
        Named("member", MEMBER)
    ]
    assert check_menu({"type": CHANNEL_SELECT}, {"values": [str(GUILD_CHANNEL)], "resolved": resolved}) == [
        Named("channel", GUILD_CHANNEL)
    ]
    voice = {"type": CHANNEL_SELECT, "channel_types": [0, 5]}
    with pytest.raises(PayloadError) as refused:
        check_menu(voice, {"values": [str(GUILD_CHANNEL)], "resolved": resolved})
    assert words(refused) == (
        f"<#{GUILD_CHANNEL}> est un salon vocal : dans ce menu, choisissez un salon textuel ou un salon d'annonces."
    )
    refusals = [
        ({"type": ROLE_SELECT}, {"values": ["999"], "resolved": resolved}, "access.error.other_server_role"),
        ({"type": CHANNEL_SELECT}, {"values": ["999"], "resolved": resolved}, "access.error.other_server"),
        ({"type": USER_SELECT}, {"values": ["abc"], "resolved": resolved}, "core.error.menu_choice"),
    ]  # fmt: skip
    no_member = resolved_for()
    del no_member["members"]
    refusals.append(({"type": USER_SELECT}, {"values": [str(MEMBER)], "resolved": no_member},
                     "access.error.other_server_member"))  # fmt: skip
    for component, data, expected in refusals:
        with pytest.raises(PayloadError) as refused:
            check_menu(component, data)
        assert refusal(refused) == expected, (component, data)


# --- forms ------------------------------------------------------------------------------------------------

FIELDS = [FormField("title", "Titre", max_length=100), FormField("started", "Depuis quand", required=False)]


def rows(**values: Any) -> list[dict[str, Any]]:
    return [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()]


def test_a_form_as_a_client_submits_it_passes() -> None:
    assert check_form(FIELDS, rows(title="Panne", started="")) == {"title": "Panne", "started": ""}
    labelled = [{"type": 18, "component": {"type": 4, "custom_id": "title", "value": "Panne\nsuite"}}]
    assert check_form(FIELDS, labelled)["title"] == "Panne\nsuite"


@pytest.mark.parametrize(
    ("components", "expected"),
    [
        (rows(started="hier"), "core.error.option_required"),
        (rows(title=""), "core.error.option_required"),
        (rows(title="x" * 101), "core.error.option_too_long"),
        (rows(title="Pa\ud83dnne"), "core.error.unreadable_text"),
        (rows(title="Panne\x00"), "core.error.unreadable_text"),
        (rows(title=12), "core.error.option_kind"),
        ("rows", "core.error.form_closed"),
        (["row"], "core.error.form_closed"),
    ],
)
def test_a_form_altered_on_its_way_is_refused(components: Any, expected: str) -> None:
    with pytest.raises(PayloadError) as refused:
        check_form(FIELDS, components)
    assert refusal(refused) == expected


# --- how refused values are quoted ------------------------------------------------------------------------


def test_a_refused_value_is_quoted_readable_inert_and_short() -> None:
    assert shown("@everyone <@&1> **gras**") == "@\u200beveryone \\<@&\u200b1\\> \\*\\*gras\\*\\*"
    assert shown("a\ud800b") == "a\ufffdb"
    assert len(shown("x" * 500)) == 60
    assert shown(12) == "12" and shown(True) == "true" and shown(None) == "null"
    assert printable({"a\ud800": ["b\x00"]}) == {"a\ufffd": ["b\ufffd"]}


def test_lists_read_naturally_in_both_languages() -> None:
    catalogue = default_catalogue()
    three = either(["a", "b", "c"])
    assert isinstance(three, Msg)
    assert catalogue.word("fr", three) == "a, b ou c"
    assert catalogue.word("en", three) == "a, b or c"
    assert either(["seul"]) == "seul"


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([MENU, {"type": ROLE_SELECT}, {"type": USER_SELECT}, {"type": CHANNEL_SELECT}]), JSON, JSON, JSON
)
def test_no_menu_choice_nor_form_fails_otherwise_than_by_a_refusal(
    component: dict[str, Any], values: Any, resolved: Any, form: Any
) -> None:
    for check in (
        lambda: check_menu(component, {"values": values, "resolved": resolved}),
        lambda: check_menu(component, {"values": [values] if isinstance(values, str) else values}),
        lambda: check_form(FIELDS, form),
        lambda: check_form(FIELDS, [{"type": 1, "components": form}]),
    ):
        try:
            check()
        except PayloadError as refused:
            for language in LANGUAGES:
                assert default_catalogue().word(language, Msg(refused.message_id, refused.args_map))
