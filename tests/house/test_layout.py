"""The house's shape (ARCHITECTURE.md), checked on the source itself:

- every feature package under `bot/` holds only the agreed parts, each a module or a package: `rules` (pure),
  `use_cases` (one transaction each), `store` (the only SQL) and `presentation` (what it shows);
- every cog is named like a feature;
- only the delivery package sends to Discord on behalf of a use case: outside it, a call that sends, edits or
  deletes something on Discord is a reply on the interaction being answered (import-linter cannot say this:
  cogs hold interaction objects, so the check reads the calls);
- no module outside the Discord double is longer than 600 lines, and no cog looks another one up.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARTS = {"rules", "use_cases", "store", "presentation"}
# What every feature shares, apart from the features (ARCHITECTURE.md "Shared").
SHARED = {"common", "storage", "delivery", "timers", "interactions", "sandbox", "web"}
# What the double and the demo may do: they are Discord, or drive it.
SENDERS = ("bot/delivery/", "bot/sandbox/", "bot/demo.py")
# discord.py calls that change something on Discord (or ask it to).
SENDING = {
    "send", "edit", "delete", "create_thread", "create_forum_post", "create_role", "add_roles", "remove_roles",
    "pin", "unpin", "publish", "add_reaction", "remove_reaction", "create_dm", "add_tags", "remove_tags", "purge",
    "send_message", "edit_message", "send_modal", "defer", "edit_original_response", "delete_original_response",
    "archive", "add_user", "remove_user", "ban", "kick", "move",
}  # fmt: skip
# Replies on the interaction being answered go straight back to the person (DESIGN.md), and use cases may have a
# method of the same name as a discord.py call (`lifecycle.edit`).
ANSWERING = re.compile(r"^(interaction|self\.interaction)(\.response|\.followup)?$")
USE_CASE = re.compile(r"^(self\.)?(services\.)?(lifecycle|following|reminders|nudging|settings|exports|operations)$")


def features() -> list[Path]:
    return sorted(p for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists() and p.name not in SHARED)


def parts(package: Path) -> set[str]:
    return {
        p.stem if p.suffix == ".py" else p.name
        for p in package.iterdir()
        if p.name not in ("__init__.py", "__pycache__") and (p.suffix == ".py" or (p / "__init__.py").exists())
    }


def product_modules() -> Iterator[Path]:
    for top in ("bot", "cogs"):
        yield from sorted((ROOT / top).rglob("*.py"))


def receiver(node: ast.expr) -> str:
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    names.append(node.id if isinstance(node, ast.Name) else f"<{type(node).__name__}>")
    return ".".join(reversed(names))


def sends_outside_delivery(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SENDING:
            owner = receiver(node.func.value)
            if not ANSWERING.match(owner) and not USE_CASE.match(owner):
                found.append(f"line {node.lineno}: {owner}.{node.func.attr}(…)")
        elif (
            isinstance(node, ast.Call)
            and ".http." in receiver(node.func)
            and not receiver(node.func).startswith("discord.")
        ):
            found.append(f"line {node.lineno}: {receiver(node.func)}(…) (discord.py's HTTP client)")
    return found


def test_there_are_features_and_each_holds_only_the_agreed_parts() -> None:
    assert len(features()) >= 5
    for feature in features():
        found = parts(feature)
        assert found <= PARTS, f"{feature.name}: {sorted(found - PARTS)} is not one of {sorted(PARTS)}"
        assert "use_cases" in found, f"{feature.name} has no use cases"


def test_each_feature_init_holds_no_code() -> None:
    for feature in features():
        tree = ast.parse((feature / "__init__.py").read_text(encoding="utf-8"))
        assert all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in tree.body), feature.name


def test_every_cog_is_named_like_a_feature() -> None:
    names = {p.name for p in features()}
    for cog in (ROOT / "cogs").iterdir():
        name = cog.stem if cog.suffix == ".py" else cog.name
        if name in ("__init__", "__pycache__", "common"):
            continue
        assert name in names, f"cogs/{cog.name} is not named like a feature of bot/ ({sorted(names)})"


def test_only_the_delivery_package_sends_to_discord() -> None:
    offences = []
    for path in product_modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(SENDERS):
            continue
        offences += [f"{relative} {o}" for o in sends_outside_delivery(path.read_text(encoding="utf-8"))]
    assert offences == []


def test_the_send_check_catches_a_send_on_a_channel_and_lets_replies_through() -> None:
    source = """
async def f(interaction, channel, bot, lifecycle):
    await interaction.response.send_message("ok")
    await interaction.followup.send("ok")
    await lifecycle.edit(1)
    await channel.send("announcement")
    await (await bot.fetch_channel(1)).create_thread(name="x")
    await bot.http.send_message(1, params=None)
"""
    found = sends_outside_delivery(source)
    assert [line.split(":")[0] for line in found] == ["line 6", "line 7", "line 8"]


def test_no_module_outside_the_double_is_over_600_lines() -> None:
    long = {}
    for path in product_modules():
        relative = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if not relative.startswith("bot/sandbox/") and lines > 600:
            long[relative] = lines
    assert long == {}


def test_no_cog_looks_another_one_up() -> None:
    users = [p.relative_to(ROOT).as_posix() for p in product_modules() if "get_cog(" in p.read_text(encoding="utf-8")]
    assert users == []
