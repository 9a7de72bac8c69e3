"""The package's import graph: no cycles, and no layer importing one above it.

Read from the source with ``ast`` (nothing is imported or run). Every import counts,
including those inside functions (a deferred import that closes a circle is still a
circle); imports under ``if TYPE_CHECKING:`` do not (they never run: annotations only).
``from package import name`` points at the submodule when ``name`` is one, else at the
package.

The layers (ARCHITECTURE.md, "Rules of the house"): the foundation modules (errors,
models, settings, metrics) at the bottom, then ``storage/`` (imports nothing above
it), then the pipeline in its order ``ingest/ -> stories/ -> ai/`` (a stage may use an
earlier one, never a later one), ``community/`` beside it over storage, then ``web/``,
then ``demo/`` and ``cli/`` on top.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "newsdesk"

FOUNDATION = {"newsdesk", "newsdesk.errors", "newsdesk.models", "newsdesk.settings",
              "newsdesk.metrics", "newsdesk.language", "newsdesk.sentences", "newsdesk.speech",
              "newsdesk.words"}
# layer -> the layers it may import (itself always)
MAY_IMPORT = {
    "foundation": set(),
    "storage": {"foundation"},
    "ingest": {"foundation", "storage"},
    "stories": {"foundation", "storage", "ingest"},
    "ai": {"foundation", "storage", "ingest", "stories"},
    "community": {"foundation", "storage"},
    "web": {"foundation", "storage", "ingest", "stories", "ai", "community"},
    "demo": {"foundation", "storage", "ingest", "stories", "ai", "community"},
    "cli": {"foundation", "storage", "ingest", "stories", "ai", "community", "web", "demo"},
}


def modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    return skipped


def _run_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of a module that runs (not those under ``if TYPE_CHECKING:``)."""
    skipped = _type_checking_only(tree)
    return [node for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in skipped]


def import_graph() -> dict[str, dict[str, int]]:
    """Module -> {imported module inside the package: line of the first such import}."""
    mods = modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, int]] = defaultdict(dict)
    for name, (path, is_package) in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        here = name if is_package else name.rpartition(".")[0]
        for node in _run_imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = here.split(".")[:len(here.split(".")) - node.level + 1]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in mods else origin
                           for a in node.names]
            for target in targets:
                found = resolve(target) if target.startswith("newsdesk") else None
                if found and found != name:
                    graph[name].setdefault(found, node.lineno)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def layer(module: str) -> str:
    if module in FOUNDATION:
        return "foundation"
    top = module.split(".")[1]
    return "cli" if top == "__main__" else top


def upward(graph: dict[str, dict[str, int]]) -> list[str]:
    """Every import of a layer the importer may not use, as "a -> b (line n)"."""
    return [f"{a} -> {b} (line {line})" for a, targets in sorted(graph.items())
            for b, line in sorted(targets.items())
            if layer(b) != layer(a) and layer(b) not in MAY_IMPORT[layer(a)]]


def test_the_graph_is_read():
    graph = import_graph()
    # a few edges every reader of ARCHITECTURE.md expects: the reader sees real data
    assert "newsdesk.ingest.jsonfeed" in graph["newsdesk.ingest.feeds"]
    assert "newsdesk.storage.db" in graph["newsdesk.ai.service"]
    assert "newsdesk.storage.migrations" in graph["newsdesk.storage.db"]   # deferred import
    assert "newsdesk.ingest.refresh" not in graph["newsdesk.ingest.revisions"]  # TYPE_CHECKING
    assert set(MAY_IMPORT) >= {layer(m) for m in modules()}, "a package with no layer"


def test_no_import_cycles():
    graph = import_graph()
    found = cycles(graph)
    described = []
    for component in found:
        members = set(component)
        edges = [f"{a} -> {b} (line {graph[a][b]})" for a in component
                 for b in sorted(graph[a]) if b in members]
        described.append("\n    ".join(edges))
    assert not found, "import cycles:\n    " + "\n\n    ".join(described)


def test_no_upward_imports():
    found = upward(import_graph())
    assert not found, "imports against the layers:\n    " + "\n    ".join(found)


def test_the_checks_catch_what_they_should():
    """The two checks on a made-up graph: a circle of three, and storage importing web."""
    graph = {"newsdesk.a.x": {"newsdesk.a.y": 1}, "newsdesk.a.y": {"newsdesk.a.z": 2},
             "newsdesk.a.z": {"newsdesk.a.x": 3, "newsdesk.a.w": 4}, "newsdesk.a.w": {}}
    assert cycles(graph) == [["newsdesk.a.x", "newsdesk.a.y", "newsdesk.a.z"]]
    assert upward({"newsdesk.storage.db": {"newsdesk.settings": 5, "newsdesk.web.app": 9},
                   "newsdesk.ingest.feeds": {"newsdesk.stories.stage": 3},
                   "newsdesk.stories.stage": {"newsdesk.ingest.feeds": 4},
                   "newsdesk.web.app": {"newsdesk.storage.db": 6}}) == [
        "newsdesk.ingest.feeds -> newsdesk.stories.stage (line 3)",
        "newsdesk.storage.db -> newsdesk.web.app (line 9)"]


def test_every_module_imports():
    """Moving code between modules leaves no name behind: each module imports on its own
    (``__main__`` runs the command line, so it is left out)."""
    import importlib
    failed = []
    for name in sorted(modules()):
        if name.endswith("__main__"):
            continue
        try:
            importlib.import_module(name)
        except Exception as exc:  # report every module that fails, not just the first
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
    assert not failed, "\n".join(failed)


# ----------------------------------------------------------------- SQL lives in storage/
# Modules outside newsdesk/storage/ may not build or run SQL: no SQLAlchemy import (its
# statement builders, text(), engines, its exceptions: storage raises ConstraintError and
# StorageError instead), no table of storage/schema.py, and no SQL statement in a string.
# They call storage functions, passing the connection of the transaction they choose
# (``with db.write() as conn``). bench/ and tests/ are outside the package and free.
# An exception must be listed here with the reason it cannot move; there is none.
SQL_ALLOWED: dict[str, str] = {}
SQL_TEXT = re.compile(r"\b(SELECT\b[\s\S]+\bFROM\b|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|"
                      r"DELETE\s+FROM\b|ON\s+CONFLICT\b|PRAGMA\s+\w+)")


def _strings(tree: ast.AST):
    """Every string literal with its line; an f-string's literal parts joined around '{}'."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inside.update(id(v) for v in node.values)
            yield node.lineno, "{}".join(v.value for v in node.values if isinstance(v, ast.Constant))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside:
            yield node.lineno, node.value


def sql_outside_storage(sources: dict[str, str]) -> list[str]:
    """Each SQLAlchemy or schema import, and each SQL string, of a module (name -> source)
    that is not in storage/, as "module: what (line n)"."""
    found = []
    for name, source in sorted(sources.items()):
        if name.startswith("newsdesk.storage.") or name in SQL_ALLOWED:
            continue
        tree = ast.parse(source)
        for node in _run_imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:   # the module, and each name as a submodule ("from ..storage import schema")
                module = node.module or ""
                targets = [module] + [f"{module}.{a.name}".lstrip(".") for a in node.names]
            for target in targets:
                if target.split(".")[0] == "sqlalchemy" or target.endswith("storage.schema"):
                    found.append(f"{name}: imports {target} (line {node.lineno})")
                    break
        for line, value in _strings(tree):
            if SQL_TEXT.search(value):
                found.append(f"{name}: SQL {' '.join(value.split())[:60]!r} (line {line})")
    return found


def test_sql_stays_in_storage():
    sources = {name: path.read_text(encoding="utf-8") for name, (path, _) in modules().items()}
    found = sql_outside_storage(sources)
    assert not found, "SQL outside newsdesk/storage/ (move it into a storage module):\n    " + \
        "\n    ".join(found)
    assert set(SQL_ALLOWED) <= set(sources), "an allowlisted module that no longer exists"


def test_the_sql_check_catches_what_it_should():
    caught = sql_outside_storage({
        "newsdesk.community.a": "from sqlalchemy import text\n",
        "newsdesk.web.b": "def f():\n    import sqlalchemy.exc\n",
        "newsdesk.stories.c": "from ..storage.schema import articles\n",
        "newsdesk.cli.d": "from ..storage import schema\n",
        "newsdesk.ai.e": "Q = f\"SELECT id {cols} FROM comments WHERE x = 1\"\n",
        "newsdesk.demo.f": "q = ('UPDATE users SET role = :r '\n     'WHERE id = :id')\n",
        "newsdesk.ingest.g": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                             "    from sqlalchemy.engine import Connection\n",
        "newsdesk.web.h": "doc = 'select the story, then update it'\n",
        "newsdesk.storage.i": "from sqlalchemy import text\nQ = 'DELETE FROM users'\n"})
    assert [c.split(":")[0] for c in caught] == [
        "newsdesk.ai.e", "newsdesk.cli.d", "newsdesk.community.a", "newsdesk.demo.f",
        "newsdesk.stories.c", "newsdesk.web.b"], caught
