from __future__ import annotations

import discord
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox.permissions import (
    ALL,
    DEFAULT_EVERYONE,
    SEND_DEPENDENT,
    Overwrite,
    Perm,
    base_permissions,
    can_manage_role,
    can_send_messages,
    channel_permissions,
)

GUILD = 1000
OWNER = 1
USER = 2
ROLE_A = 10
ROLE_B = 11

# discord.py's attribute name for each permission the double must know.
DPY_NAMES = {
    "CREATE_INSTANT_INVITE": "create_instant_invite",
    "KICK_MEMBERS": "kick_members",
    "BAN_MEMBERS": "ban_members",
    "ADMINISTRATOR": "administrator",
    "MANAGE_CHANNELS": "manage_channels",
    "MANAGE_GUILD": "manage_guild",
    "ADD_REACTIONS": "add_reactions",
    "VIEW_AUDIT_LOG": "view_audit_log",
    "VIEW_CHANNEL": "view_channel",
    "SEND_MESSAGES": "send_messages",
    "SEND_TTS_MESSAGES": "send_tts_messages",
    "MANAGE_MESSAGES": "manage_messages",
    "EMBED_LINKS": "embed_links",
    "ATTACH_FILES": "attach_files",
    "READ_MESSAGE_HISTORY": "read_message_history",
    "MENTION_EVERYONE": "mention_everyone",
    "USE_EXTERNAL_EMOJIS": "use_external_emojis",
    "MANAGE_ROLES": "manage_roles",
    "MANAGE_WEBHOOKS": "manage_webhooks",
    "USE_APPLICATION_COMMANDS": "use_application_commands",
    "MANAGE_THREADS": "manage_threads",
    "CREATE_PUBLIC_THREADS": "create_public_threads",
    "CREATE_PRIVATE_THREADS": "create_private_threads",
    "SEND_MESSAGES_IN_THREADS": "send_messages_in_threads",
    "MODERATE_MEMBERS": "moderate_members",
    "PIN_MESSAGES": "pin_messages",
}


@pytest.mark.parametrize(("ours", "theirs"), sorted(DPY_NAMES.items()))
def test_bit_agrees_with_discord_py(ours: str, theirs: str) -> None:
    value = int(Perm[ours])
    dpy = discord.Permissions(value)
    assert getattr(dpy, theirs) is True
    assert [name for name, on in dpy if on] == [theirs] or sum(1 for _, on in dpy if on) == 1


def test_all_is_every_discord_py_permission() -> None:
    assert discord.Permissions.all().value == ALL


def test_default_everyone_can_talk_but_not_moderate() -> None:
    dpy = discord.Permissions(DEFAULT_EVERYONE)
    assert dpy.view_channel and dpy.send_messages and dpy.send_messages_in_threads
    assert dpy.use_application_commands and dpy.read_message_history
    assert not (dpy.administrator or dpy.manage_roles or dpy.manage_messages or dpy.kick_members)


def _base(user: int = USER, roles: tuple[int, ...] = (), perms: dict[int, int] | None = None) -> int:
    return base_permissions(
        guild_owner_id=OWNER,
        user_id=user,
        everyone_role_id=GUILD,
        role_permissions=perms if perms is not None else {GUILD: int(Perm.VIEW_CHANNEL)},
        member_role_ids=roles,
    )


def test_owner_has_everything() -> None:
    assert _base(user=OWNER, perms={GUILD: 0}) == ALL


def test_base_is_union_of_everyone_and_roles() -> None:
    perms = {GUILD: int(Perm.VIEW_CHANNEL), ROLE_A: int(Perm.KICK_MEMBERS), ROLE_B: int(Perm.BAN_MEMBERS)}
    assert _base(roles=(ROLE_A,), perms=perms) == Perm.VIEW_CHANNEL | Perm.KICK_MEMBERS


def test_roles_the_member_lacks_do_not_count() -> None:
    perms = {GUILD: 0, ROLE_A: int(Perm.KICK_MEMBERS)}
    assert _base(roles=(), perms=perms) == 0


def test_administrator_role_gives_all() -> None:
    assert _base(roles=(ROLE_A,), perms={GUILD: 0, ROLE_A: int(Perm.ADMINISTRATOR)}) == ALL


def _chan(
    overwrites: list[Overwrite],
    *,
    roles: tuple[int, ...] = (),
    everyone: int = DEFAULT_EVERYONE,
    role_perms: dict[int, int] | None = None,
    user: int = USER,
    **kw: object,
) -> int:
    perms = {GUILD: everyone, **(role_perms or {})}
    return channel_permissions(
        guild_owner_id=OWNER,
        user_id=user,
        everyone_role_id=GUILD,
        role_permissions=perms,
        member_role_ids=roles,
        overwrites=overwrites,
        **kw,  # type: ignore[arg-type]
    )


def test_no_overwrites_gives_base() -> None:
    assert _chan([]) == DEFAULT_EVERYONE


def test_everyone_deny_hides_the_channel_entirely() -> None:
    assert _chan([Overwrite(GUILD, 0, 0, int(Perm.VIEW_CHANNEL))]) == 0


def test_role_allow_beats_everyone_deny() -> None:
    ows = [Overwrite(GUILD, 0, 0, int(Perm.VIEW_CHANNEL)), Overwrite(ROLE_A, 0, int(Perm.VIEW_CHANNEL), 0)]
    assert _chan(ows, roles=(ROLE_A,)) & Perm.VIEW_CHANNEL
    assert _chan(ows, roles=()) == 0


def test_role_allow_beats_another_roles_deny_whatever_the_order() -> None:
    # Discord's docs example: role A denies VIEW_CHANNEL, role B allows it → the user can view.
    a_deny = Overwrite(ROLE_A, 0, 0, int(Perm.VIEW_CHANNEL))
    b_allow = Overwrite(ROLE_B, 0, int(Perm.VIEW_CHANNEL), 0)
    assert _chan([a_deny, b_allow], roles=(ROLE_A, ROLE_B)) & Perm.VIEW_CHANNEL
    assert _chan([b_allow, a_deny], roles=(ROLE_A, ROLE_B)) & Perm.VIEW_CHANNEL


def test_member_overwrite_beats_role_overwrite() -> None:
    ows = [
        Overwrite(ROLE_A, 0, int(Perm.SEND_MESSAGES), 0),
        Overwrite(USER, 1, 0, int(Perm.SEND_MESSAGES)),
    ]
    assert not _chan(ows, roles=(ROLE_A,)) & Perm.SEND_MESSAGES
    allow_member = [
        Overwrite(GUILD, 0, 0, int(Perm.SEND_MESSAGES)),
        Overwrite(USER, 1, int(Perm.SEND_MESSAGES), 0),
    ]
    assert _chan(allow_member) & Perm.SEND_MESSAGES


def test_member_overwrite_for_someone_else_is_ignored() -> None:
    assert _chan([Overwrite(999, 1, 0, int(Perm.VIEW_CHANNEL))]) == DEFAULT_EVERYONE


def test_role_overwrite_with_a_member_id_type_is_not_a_member_overwrite() -> None:
    # An overwrite of type role whose id happens to equal the user's id must not apply as a member one.
    assert _chan([Overwrite(USER, 0, 0, int(Perm.VIEW_CHANNEL))]) == DEFAULT_EVERYONE


def test_administrator_bypasses_overwrites() -> None:
    ows = [Overwrite(GUILD, 0, 0, ALL), Overwrite(USER, 1, 0, ALL)]
    assert _chan(ows, roles=(ROLE_A,), role_perms={ROLE_A: int(Perm.ADMINISTRATOR)}) == ALL


def test_owner_bypasses_overwrites() -> None:
    assert _chan([Overwrite(OWNER, 1, 0, ALL)], user=OWNER) == ALL


def test_no_send_messages_removes_send_dependent_bits() -> None:
    perms = _chan([Overwrite(GUILD, 0, 0, int(Perm.SEND_MESSAGES))])
    assert perms & Perm.VIEW_CHANNEL
    assert perms & SEND_DEPENDENT == 0
    assert perms & Perm.READ_MESSAGE_HISTORY
    assert not can_send_messages(perms)


def test_implicit_rules_match_discord_py() -> None:
    everyone = DEFAULT_EVERYONE | int(Perm.SEND_TTS_MESSAGES)
    ours = _chan([Overwrite(GUILD, 0, 0, int(Perm.SEND_MESSAGES))], everyone=everyone)
    dpy = discord.Permissions(everyone & ~int(Perm.SEND_MESSAGES))
    # discord.py's abc.GuildChannel._apply_implicit_permissions, applied by hand.
    dpy.send_tts_messages = dpy.mention_everyone = dpy.embed_links = dpy.attach_files = False
    assert ours == dpy.value


def test_thread_uses_parent_overwrites_and_send_in_threads() -> None:
    parent = [Overwrite(GUILD, 0, 0, int(Perm.SEND_MESSAGES))]
    perms = _chan([], parent_overwrites=parent, is_thread=True)
    # Parent denies SEND_MESSAGES, but threads need SEND_MESSAGES_IN_THREADS, which @everyone has.
    assert not perms & Perm.SEND_MESSAGES
    assert can_send_messages(perms, is_thread=True)
    assert perms & Perm.EMBED_LINKS
    assert not can_send_messages(perms, is_thread=False)


def test_thread_without_send_in_threads_cannot_send_even_with_send_messages() -> None:
    parent = [Overwrite(GUILD, 0, 0, int(Perm.SEND_MESSAGES_IN_THREADS))]
    perms = _chan([], parent_overwrites=parent, is_thread=True)
    assert perms & Perm.SEND_MESSAGES
    assert not can_send_messages(perms, is_thread=True)
    assert perms & SEND_DEPENDENT == 0


def test_thread_hidden_when_parent_hidden() -> None:
    parent = [Overwrite(GUILD, 0, 0, int(Perm.VIEW_CHANNEL))]
    assert _chan([], parent_overwrites=parent, is_thread=True) == 0
    # Without parent_overwrites, `overwrites` is taken as the parent's.
    assert _chan(parent, is_thread=True) == 0


@pytest.mark.parametrize(
    ("top", "role", "perms", "owner", "expected"),
    [
        (5, 3, int(Perm.MANAGE_ROLES), False, True),
        (3, 3, int(Perm.MANAGE_ROLES), False, False),
        (2, 3, int(Perm.MANAGE_ROLES), False, False),
        (5, 3, 0, False, False),
        (5, 3, int(Perm.ADMINISTRATOR), False, True),
        (3, 5, int(Perm.ADMINISTRATOR), False, False),
        (0, 5, 0, True, True),
    ],
)
def test_can_manage_role(top: int, role: int, perms: int, owner: bool, expected: bool) -> None:
    assert (
        can_manage_role(actor_top_position=top, role_position=role, actor_perms=perms, actor_is_owner=owner) is expected
    )


overwrite_st = st.builds(
    Overwrite,
    id=st.sampled_from([GUILD, ROLE_A, ROLE_B, USER]),
    type=st.sampled_from([0, 1]),
    allow=st.integers(0, ALL),
    deny=st.integers(0, ALL),
)


@given(
    everyone=st.integers(0, ALL),
    roles=st.sets(st.sampled_from([ROLE_A, ROLE_B])),
    ows=st.lists(overwrite_st, max_size=6, unique_by=lambda o: (o.id, o.type)),
)
def test_member_allow_view_always_wins_unless_nothing(everyone: int, roles: set[int], ows: list[Overwrite]) -> None:
    ows = [o for o in ows if not (o.type == 1 and o.id == USER)]
    ows.append(Overwrite(USER, 1, int(Perm.VIEW_CHANNEL), 0))
    perms = _chan(ows, roles=tuple(roles), everyone=everyone)
    assert perms & Perm.VIEW_CHANNEL
    assert perms & ~ALL == 0


@given(everyone=st.integers(0, ALL), ows=st.lists(overwrite_st, max_size=6))
def test_hidden_means_zero_and_sending_implies_embed_rules(everyone: int, ows: list[Overwrite]) -> None:
    perms = _chan(ows, roles=(ROLE_A,), everyone=everyone)
    if not perms & Perm.VIEW_CHANNEL:
        assert perms == 0
    if perms != ALL and not perms & Perm.SEND_MESSAGES:
        assert perms & SEND_DEPENDENT == 0
