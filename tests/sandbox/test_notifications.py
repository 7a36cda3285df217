from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import discord
from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox.notifications import (
    SUPPRESS_NOTIFICATIONS,
    Notification,
    mentions_in,
    message_mentions_payload,
    notified_by_message,
    validate_allowed_mentions,
)

AUTHOR = 1
ALICE = 2
BOB = 3
CAROL = 4
HIDDEN = 5  # a member who cannot see the channel
ROLE = 50
QUIET_ROLE = 51  # not mentionable
VIEWERS = {AUTHOR, ALICE, BOB, CAROL}
MEMBERS = {ROLE: {ALICE, BOB, HIDDEN}, QUIET_ROLE: {CAROL, HIDDEN}}


def notify(
    content: str,
    *,
    am: Mapping[str, Any] | None = None,
    flags: int = 0,
    reply_to: int | None = None,
    is_dm: bool = False,
    recipient: int | None = None,
    viewers: Collection[int] = VIEWERS,
    may_everyone: bool = False,
    mentionable: Collection[int] = (ROLE,),
    author: int = AUTHOR,
) -> dict[int, str]:
    result = notified_by_message(
        message_id=900,
        channel_id=800,
        author_id=author,
        content=content,
        allowed_mentions=am,
        flags=flags,
        message_reference_author_id=reply_to,
        is_dm=is_dm,
        dm_recipient_id=recipient,
        viewers=viewers,
        role_members=MEMBERS,
        mentionable_role_ids=mentionable,
        author_may_mention_everyone=may_everyone,
    )
    assert all(n.channel_id == 800 and n.message_id == 900 for n in result)
    return {n.user_id: n.reason for n in result}


def test_mentions_in_parses_every_form() -> None:
    users, roles, everyone, here = mentions_in(f"hi <@{ALICE}> <@!{BOB}> <@&{ROLE}> @everyone")
    assert users == {ALICE, BOB}
    assert roles == {ROLE}
    assert everyone and not here
    assert mentions_in("@here")[3]


def test_mentions_in_ignores_code() -> None:
    content = f"`<@{ALICE}>` ``<@&{ROLE}>`` ```\n@everyone <@{BOB}>\n``` <@{CAROL}>"
    assert mentions_in(content) == ({CAROL}, set(), False, False)


def test_mentions_in_unclosed_backtick_is_not_code() -> None:
    assert mentions_in(f"` <@{ALICE}>")[0] == {ALICE}


def test_user_mention_notifies_viewer_only() -> None:
    assert notify(f"<@{ALICE}> <@{HIDDEN}>") == {ALICE: "user_mention"}


def test_role_mention_notifies_members_who_can_see() -> None:
    assert notify(f"<@&{ROLE}>") == {ALICE: "role_mention", BOB: "role_mention"}


def test_unmentionable_role_needs_mention_everyone() -> None:
    assert notify(f"<@&{QUIET_ROLE}>") == {}
    assert notify(f"<@&{QUIET_ROLE}>", may_everyone=True) == {CAROL: "role_mention"}


def test_everyone_and_here_need_permission() -> None:
    assert notify("@everyone") == {}
    assert notify("@everyone", may_everyone=True) == {ALICE: "everyone", BOB: "everyone", CAROL: "everyone"}
    assert notify("@here", may_everyone=True) == {ALICE: "here", BOB: "here", CAROL: "here"}


def test_allowed_mentions_empty_parse_pings_nobody() -> None:
    content = f"<@{ALICE}> <@&{ROLE}> @everyone"
    assert notify(content, am={"parse": []}, may_everyone=True, reply_to=BOB) == {}


def test_allowed_mentions_explicit_role_list() -> None:
    content = f"<@{CAROL}> <@&{ROLE}> <@&{QUIET_ROLE}>"
    got = notify(content, am={"parse": [], "roles": [str(ROLE)]}, may_everyone=True)
    assert got == {ALICE: "role_mention", BOB: "role_mention"}


def test_allowed_mentions_explicit_users_only_if_in_content() -> None:
    got = notify(f"<@{ALICE}>", am={"parse": [], "users": [str(ALICE), str(BOB)]})
    assert got == {ALICE: "user_mention"}


def test_allowed_mentions_parse_users_does_not_allow_everyone() -> None:
    got = notify(f"@everyone <@{BOB}>", am={"parse": ["users"]}, may_everyone=True)
    assert got == {BOB: "user_mention"}


def test_reply_pings_by_default_but_not_with_allowed_mentions() -> None:
    assert notify("ok", reply_to=BOB) == {BOB: "reply"}
    assert notify("ok", reply_to=BOB, am={"parse": ["users"]}) == {}
    assert notify("ok", reply_to=BOB, am={"parse": [], "replied_user": True}) == {BOB: "reply"}


def test_author_is_never_notified() -> None:
    assert notify(f"<@{AUTHOR}> @everyone", may_everyone=True, reply_to=AUTHOR).get(AUTHOR) is None


def test_suppressed_message_notifies_nobody() -> None:
    assert notify(f"<@{ALICE}> @everyone", flags=SUPPRESS_NOTIFICATIONS, may_everyone=True) == {}
    assert notify("hello", is_dm=True, recipient=ALICE, flags=SUPPRESS_NOTIFICATIONS) == {}


def test_dm_notifies_recipient_even_without_mention() -> None:
    assert notify("hello", is_dm=True, recipient=ALICE, viewers=set()) == {ALICE: "dm"}
    assert notify(f"<@{ALICE}>", is_dm=True, recipient=ALICE, viewers={AUTHOR, ALICE}) == {ALICE: "dm"}


def test_dm_from_the_recipient_side_does_not_notify_author() -> None:
    assert notify("hello", is_dm=True, recipient=AUTHOR) == {}


def test_first_reason_wins() -> None:
    got = notify(f"@everyone <@&{ROLE}> <@{ALICE}>", may_everyone=True, reply_to=BOB)
    assert got == {ALICE: "user_mention", BOB: "reply", CAROL: "everyone"}


def test_validate_allowed_mentions() -> None:
    assert validate_allowed_mentions(None) is None
    assert validate_allowed_mentions({"parse": ["users"], "roles": ["1"]}) is None
    assert "mutually exclusive" in (validate_allowed_mentions({"parse": ["users"], "users": ["1"]}) or "")
    assert "100" in (validate_allowed_mentions({"roles": [str(i) for i in range(101)]}) or "")
    assert validate_allowed_mentions({"roles": [str(i) for i in range(100)]}) is None
    assert validate_allowed_mentions({"parse": ["nobody"]}) is not None


def test_discord_py_allowed_mentions_payloads_are_valid_and_behave() -> None:
    role = discord.Object(id=ROLE)
    none = discord.AllowedMentions.none().to_dict()
    only_role = discord.AllowedMentions(everyone=False, users=False, roles=[role], replied_user=False).to_dict()
    assert validate_allowed_mentions(none) is None
    assert validate_allowed_mentions(only_role) is None
    content = f"@everyone <@{CAROL}> <@&{ROLE}>"
    assert notify(content, am=dict(none), may_everyone=True) == {}
    assert notify(content, am=dict(only_role), may_everyone=True) == {
        ALICE: "role_mention",
        BOB: "role_mention",
    }


def test_mentions_payload_reflects_what_may_ping() -> None:
    payload = message_mentions_payload(
        content=f"<@{ALICE}> <@&{ROLE}> <@&{QUIET_ROLE}> @here",
        allowed_mentions=None,
        message_reference_author_id=BOB,
        mentionable_role_ids={ROLE},
        author_may_mention_everyone=False,
    )
    assert payload == {
        "mention_user_ids": [ALICE, BOB],
        "mention_roles": [str(ROLE)],
        "mention_everyone": False,
    }
    filtered = message_mentions_payload(
        content=f"<@{ALICE}> <@&{ROLE}> @everyone",
        allowed_mentions={"parse": ["everyone"]},
        message_reference_author_id=BOB,
        mentionable_role_ids={ROLE},
        author_may_mention_everyone=True,
    )
    assert filtered == {"mention_user_ids": [], "mention_roles": [], "mention_everyone": True}


ids = st.sampled_from([AUTHOR, ALICE, BOB, CAROL, HIDDEN])
token = st.one_of(
    ids.map(lambda i: f"<@{i}>"),
    ids.map(lambda i: f"<@!{i}>"),
    st.sampled_from([ROLE, QUIET_ROLE]).map(lambda r: f"<@&{r}>"),
    st.sampled_from(["@everyone", "@here", "`", "```", " ", "text"]),
)
am_st = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"parse": st.lists(st.sampled_from(["users", "roles", "everyone"]), unique=True)},
        optional={"replied_user": st.booleans()},
    ),
)


@given(
    tokens=st.lists(token, max_size=12),
    am=am_st,
    flags=st.sampled_from([0, SUPPRESS_NOTIFICATIONS, 1 << 2]),
    reply_to=st.one_of(st.none(), ids),
    is_dm=st.booleans(),
    recipient=ids,
    viewers=st.sets(ids),
    may_everyone=st.booleans(),
    author=ids,
)
def test_notification_invariants(
    tokens: list[str],
    am: dict[str, Any] | None,
    flags: int,
    reply_to: int | None,
    is_dm: bool,
    recipient: int,
    viewers: set[int],
    may_everyone: bool,
    author: int,
) -> None:
    result: list[Notification] = notified_by_message(
        message_id=1,
        channel_id=2,
        author_id=author,
        content=" ".join(tokens),
        allowed_mentions=am,
        flags=flags,
        message_reference_author_id=reply_to,
        is_dm=is_dm,
        dm_recipient_id=recipient if is_dm else None,
        viewers=viewers,
        role_members=MEMBERS,
        mentionable_role_ids={ROLE},
        author_may_mention_everyone=may_everyone,
    )
    users = [n.user_id for n in result]
    assert len(users) == len(set(users))
    assert author not in users
    if flags & SUPPRESS_NOTIFICATIONS:
        assert result == []
    for n in result:
        if n.reason != "dm":
            assert n.user_id in viewers
        if n.reason in ("everyone", "here"):
            assert may_everyone
        if n.reason == "dm":
            assert is_dm and n.user_id == recipient
    if am is not None and not am["parse"] and not am.get("replied_user"):
        assert {n.reason for n in result} <= {"dm"}
