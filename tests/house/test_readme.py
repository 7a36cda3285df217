"""The README's commands, as a fresh clone runs them: the test command is the one CI runs (.ci/run), the quick
subset is that command with registered markers left out, and every Python command goes through the project's
environment (`.venv/bin/python`), never a bare `python` that may not be it."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", ROOT / "docs" / "guide-coordination.md"]


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)


def pytest_runs(text: str) -> list[list[str]]:
    """Each pytest run of the README's shell blocks, as words, from `.venv/bin/python` on."""
    runs = []
    for block in shell_blocks(text):
        for command in block.split("&&"):
            words = shlex.split(command)
            if words[:3] == [".venv/bin/python", "-m", "pytest"]:
                runs.append(words)
    return runs


def ci_test_run() -> list[str]:
    lines = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines() if "-m pytest" in line]
    (line,) = lines
    return shlex.split(line)


def test_the_readmes_test_command_is_the_one_ci_runs() -> None:
    runs = pytest_runs((ROOT / "README.md").read_text(encoding="utf-8"))
    assert runs[0] == ci_test_run()


def test_the_quick_subset_is_the_ci_command_without_registered_markers() -> None:
    runs = pytest_runs((ROOT / "README.md").read_text(encoding="utf-8"))
    quick = [run for run in runs if "-m" in run[3:]]
    assert quick == [[*ci_test_run(), "-m", "not e2e and not needs_apt"]]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    registered = {m.split(":")[0] for m in pyproject["tool"]["pytest"]["ini_options"]["markers"]}
    assert {"e2e", "needs_apt"} <= registered


def test_python_commands_go_through_the_projects_environment() -> None:
    bare = re.compile(r"(?<![\w/.])python -m ")
    found = [
        f"{document.name}:{number}: {line.strip()}"
        for document in DOCUMENTS
        for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1)
        if bare.search(line)
    ]
    assert found == []
