"""Tests that run a program pip does not install carry the `needs_apt` marker, so the quick subset the README
documents (`-m "not e2e and not needs_apt"`) runs from a fresh clone with nothing taken from apt.

Read on the test sources: a function uses such a program when one of its strings names it as a command
(`"chromium"`, `["systemd-analyze", "verify", …]`), or when it calls a function that does (in its own module or
imported from another test module), or takes as a parameter a fixture that does (its module's or a conftest's).
A test that uses one must be marked: `@pytest.mark.needs_apt`, or `pytestmark` on its module or class.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The commands of the Debian packages the full suite needs (.ci/run installs them).
PROGRAMS = {"chromium", "chromium-browser", "soffice", "libreoffice", "systemd-analyze", "nginx", "openssl"}
MARKER = "needs_apt"

Key = tuple[str, str]  # (module path relative to the root, function name)


@dataclass
class Function:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    marked: bool
    calls: set[Key] = field(default_factory=set)
    names_a_program: bool = False


def docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def names_program(node: ast.AST, skip: set[int]) -> bool:
    for inner in ast.walk(node):
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str) and id(inner) not in skip:
            words = inner.value.split()
            if words and words[0] in PROGRAMS:
                return True
    return False


def carries_marker(expressions: list[ast.expr]) -> bool:
    return any(isinstance(inner, ast.Attribute) and inner.attr == MARKER for e in expressions for inner in ast.walk(e))


def module_of(name: str) -> str:
    return name.replace(".", "/") + ".py"


def conftests(path: str) -> list[str]:
    folders = Path(path).parents
    return [str(folder / "conftest.py") for folder in folders if str(folder) != "."]


def functions(sources: dict[str, str]) -> dict[Key, Function]:
    """Every function of the test modules, with what it calls resolved to other functions of these modules."""
    found: dict[Key, Function] = {}
    imported: dict[str, dict[str, Key]] = {}
    for path, source in sources.items():
        tree = ast.parse(source)
        skip = docstrings(tree)
        imports = imported.setdefault(path, {})
        module_marked = False
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    imports[alias.asname or alias.name] = (module_of(node.module), alias.name)
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in node.targets):
                module_marked = module_marked or carries_marker([node.value])
        scopes: list[tuple[list[ast.stmt], bool]] = [(tree.body, module_marked)]
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                class_marked = carries_marker(node.decorator_list) or any(
                    isinstance(s, ast.Assign) and carries_marker([s.value]) for s in node.body
                )
                scopes.append((node.body, module_marked or class_marked))
        for body, marked in scopes:
            for node in body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    function = Function(node, marked or carries_marker(node.decorator_list))
                    function.names_a_program = names_program(node, skip)
                    found[(path, node.name)] = function
    for (path, _), function in found.items():
        local = {name: key for key in found if key[0] == path for name in [key[1]]}
        visible = imported.get(path, {}) | local
        for inner in ast.walk(function.node):
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id in visible:
                function.calls.add(visible[inner.func.id])
        for argument in function.node.args.args:
            for place in [path, *conftests(path)]:
                if (place, argument.arg) in found:
                    function.calls.add((place, argument.arg))
    return found


def unmarked_users(sources: dict[str, str]) -> list[str]:
    found = functions(sources)
    users = {key for key, f in found.items() if f.names_a_program}
    grew = True
    while grew:
        more = {key for key, f in found.items() if key not in users and f.calls & users}
        users |= more
        grew = bool(more)
    return sorted(
        f"{path}::{name}" for path, name in users if name.startswith("test") and not found[(path, name)].marked
    )


def suite_sources() -> dict[str, str]:
    return {
        str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "tests").rglob("*.py"))
        if p != Path(__file__)
    }


def test_every_test_that_runs_a_program_from_apt_is_marked_needs_apt() -> None:
    assert unmarked_users(suite_sources()) == []


def test_the_marker_is_registered_and_the_known_users_are_found() -> None:
    assert f'"{MARKER}: ' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = functions(suite_sources())
    users = [key for key, f in found.items() if f.names_a_program]
    assert ("tests/exports/tools.py", "chromium") in users and ("tests/exports/tools.py", "libreoffice_to_csv") in users
    assert ("tests/unit/test_deploy.py", "verify") in users


def test_an_unmarked_test_is_found_through_helpers_imports_and_fixtures() -> None:
    sources = {
        "tests/x/tools.py": 'def render(page):\n    return run(["chromium", "--headless", page])\n',
        "tests/x/conftest.py": "import pytest\n@pytest.fixture\ndef rendered():\n    return render_twice()\n"
        "from tests.x.tools import render\ndef render_twice():\n    return render(1), render(2)\n",
        "tests/x/test_a.py": "from tests.x.tools import render\n"
        "def test_direct():\n    render(0)\n"
        "def test_fixture(rendered):\n    pass\n"
        "def test_own():\n    subprocess.run(['systemd-analyze', 'verify'])\n"
        "def test_docstring_only():\n    '''chromium is not run here.'''\n"
        "@pytest.mark.needs_apt\ndef test_marked():\n    render(0)\n"
        "class TestGroup:\n    pytestmark = pytest.mark.needs_apt\n    def test_in_class(self):\n        render(0)\n",
        "tests/x/test_b.py": "import pytest\npytestmark = [pytest.mark.needs_apt]\n"
        "from tests.x.tools import render\ndef test_module_marked():\n    render(0)\n",
    }
    assert unmarked_users(sources) == [
        "tests/x/test_a.py::test_direct",
        "tests/x/test_a.py::test_fixture",
        "tests/x/test_a.py::test_own",
    ]
