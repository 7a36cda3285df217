"""Following on a real SQLite file: the follow role planned once per incident, one role add per follower, the
thread posts mentioning it, DMs for those who asked (capped), the role deleted at closing and given back at a
reopening; territory and sector follows through the routes' roles."""

from __future__ import annotations

from bot.common.actor import Actor
from bot.delivery import outbox
from bot.following import store as follows
from bot.following.rules import covering_roles
from bot.following.use_cases import Following
from bot.incidents.rules.routing import Route
from bot.settings.rules.config import ServerDefaults
from bot.storage import member_locales
from bot.storage.store import Store
from tests.services.test_lifecycle import ANNE, CERP, GUILD, NOW, PHARMACIES_ROLE, UpdateInput, configure, lifecycle


def service(store: Store) -> Following:
    return Following(store, ServerDefaults())


async def rows_of(store: Store, kind: str) -> list[outbox.OutboxRow]:
    async with store.reading() as conn:
        async with conn.execute("SELECT id FROM outbox WHERE kind = ? ORDER BY id", (kind,)) as cursor:
            ids = [int(r[0]) for r in await cursor.fetchall()]
        found = [await outbox.get(conn, i) for i in ids]
    return [r for r in found if r is not None]


async def declared(store: Store) -> None:
    await configure(store)
    await lifecycle(store).declare(ANNE, CERP, now=NOW)


async def test_the_first_follow_creates_the_role_every_follow_adds_it_once(store: Store) -> None:
    await declared(store)
    following = service(store)
    for user in (2001, 2002, 2001):
        await following.follow_incident(Actor(GUILD, user), 1, dm=None, now=NOW)
    (create,) = await rows_of(store, "create_role")
    assert create.payload["name"] == "suivi #1" and create.lane == outbox.roles_lane(GUILD)
    adds = await rows_of(store, "add_role")
    assert [r.payload["user_id"] for r in adds] == [2001, 2002]
    assert all(r.payload["role_id"] == outbox.ref(create.id, "role_id") for r in adds)
    # "Affected too" follows as well, with the same single role add.
    await lifecycle(store).affected(ANNE.__class__(guild_id=GUILD, user_id=2003), GUILD, 1, now=NOW)
    assert [r.payload["user_id"] for r in await rows_of(store, "add_role")] == [2001, 2002, 2003]


async def test_thread_posts_mention_the_role_and_dms_go_to_those_who_asked(store: Store) -> None:
    await declared(store)
    following = service(store)
    await following.follow_incident(Actor(GUILD, 2001), 1, dm=True, now=NOW)
    await following.follow_incident(Actor(GUILD, 2002), 1, dm=None, now=NOW)
    async with store.unit_of_work() as conn:
        await member_locales.remember(conn, user_id=2001, locale="en-GB", seen_at=NOW)
    await lifecycle(store).update(ANNE, 1, UpdateInput(note="Rien de neuf."), now=NOW)
    (create,) = await rows_of(store, "create_role")
    post = [r for r in await rows_of(store, "send_message") if r.lane == "incident:1:1"][-1]
    assert post.payload["allowed_mentions"]["roles"] == [{**outbox.ref(create.id, "role_id"), "default": None}]
    assert post.payload["content"]["$concat"][0]["format"] == "<@&{}> "
    (dm,) = await rows_of(store, "send_dm")
    assert dm.payload["user_id"] == 2001 and dm.lane == outbox.dm_lane(2001)
    assert dm.payload["content"]["$concat"][0].startswith("🔔 New update"), "in the member's language"
    assert dm.payload["allowed_mentions"] == {"parse": [], "users": [], "roles": []}
    # Once the role exists, its id is used directly.
    async with store.unit_of_work() as conn:
        await outbox.mark_done(conn, create.id, {"role_id": "777"}, now=NOW)
    await lifecycle(store).update(ANNE, 1, UpdateInput(note="Toujours rien.", silent=True), now=NOW)
    post = [r for r in await rows_of(store, "send_message") if r.lane == "incident:1:1"][-1]
    assert post.payload["content"].startswith("<@&777> ") and post.payload["allowed_mentions"]["roles"] == [777]
    assert len(await rows_of(store, "send_dm")) == 1, "a silent update sends no DM"


async def test_the_dm_cap_refuses_the_opt_in_with_a_sentence(store: Store) -> None:
    await declared(store)
    async with store.unit_of_work() as conn:
        await conn.execute("UPDATE guild_settings SET dm_cap_per_incident = 1 WHERE guild_id = ?", (GUILD,))
    following = service(store)
    assert (await following.follow_incident(Actor(GUILD, 2001), 1, dm=True, now=NOW)).dm
    refused = await following.follow_incident(Actor(GUILD, 2002), 1, dm=True, now=NOW)
    assert refused.dm_refused and not refused.dm and refused.new


async def test_closing_deletes_the_role_after_the_final_post_and_a_reopening_gives_it_back(store: Store) -> None:
    await declared(store)
    following = service(store)
    await following.follow_incident(Actor(GUILD, 2001), 1, dm=None, now=NOW)
    (create,) = await rows_of(store, "create_role")
    async with store.unit_of_work() as conn:
        await outbox.mark_done(conn, create.id, {"role_id": "777"}, now=NOW)
    await lifecycle(store).resolve(ANNE, 1, summary=None, silent=False, now=NOW)
    lane = [r for r in await rows_of(store, "send_message") if r.lane == "incident:1:1"]
    (delete,) = await rows_of(store, "delete_role")
    assert delete.lane == "incident:1:1" and delete.id > lane[-1].id, "after the final thread post"
    assert delete.payload["role_id"] == 777
    async with store.reading() as conn:
        assert await follows.follow_role(conn, 1) == (None, None)
    await lifecycle(store).reopen(ANNE, 1, reason="Rechute", now=NOW)
    creates = await rows_of(store, "create_role")
    assert len(creates) == 2
    assert [r.payload["user_id"] for r in await rows_of(store, "add_role")] == [2001, 2001]


async def test_unfollowing_takes_the_role_back(store: Store) -> None:
    await declared(store)
    following = service(store)
    await following.follow_incident(Actor(GUILD, 2001), 1, dm=None, now=NOW)
    assert (await following.unfollow_incident(Actor(GUILD, 2001), 1, now=NOW)).new
    (removal,) = await rows_of(store, "remove_role")
    assert removal.payload["user_id"] == 2001
    assert not (await following.unfollow_incident(Actor(GUILD, 2001), 1, now=NOW)).new


def test_covering_roles() -> None:
    routes = [
        Route(id=1, guild_id=1, channel_id=11, territory="R53"),
        Route(id=2, guild_id=1, channel_id=12, sector="pharmacie", role_id=304),
        Route(id=3, guild_id=1, channel_id=13, territory="16", sector="collectivite", role_id=306),
        Route(id=4, guild_id=1, channel_id=14, territory="R75", role_id=475),
    ]
    assert covering_roles(routes, territory=None, sector="pharmacie") == [304]
    assert covering_roles(routes, territory=None, sector="Collectivité") == [306]
    assert covering_roles(routes, territory="16", sector=None) == [475], "a département in the region"
    assert covering_roles(routes, territory="R53", sector=None) == [], "the Brittany route has no role"
    assert covering_roles(routes, territory="FR", sector=None) == [475]


async def test_sector_follow_gives_the_route_role_once_and_unfollow_takes_it(store: Store) -> None:
    await configure(store)
    following = service(store)
    member = Actor(GUILD, 2001)
    result = await following.follow_area(member, territory=None, sector="pharmacie", now=NOW)
    assert result.roles_given == (PHARMACIES_ROLE,) and result.new
    holder = Actor(GUILD, 2002, role_ids=frozenset({PHARMACIES_ROLE}))
    assert (await following.follow_area(holder, territory=None, sector="pharmacie", now=NOW)).roles_held == (
        PHARMACIES_ROLE,
    )
    assert [r.payload["user_id"] for r in await rows_of(store, "add_role")] == [2001]
    nothing = await following.follow_area(member, territory="R53", sector=None, now=NOW)
    assert nothing.roles_given == () and nothing.roles_held == ()
    await following.unfollow_area(member, territory=None, sector="pharmacie", now=NOW)
    await following.unfollow_area(holder, territory=None, sector="pharmacie", now=NOW)
    assert [r.payload["user_id"] for r in await rows_of(store, "remove_role")] == [2001], "a role held before stays"
