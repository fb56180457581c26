"""The command-line modules import each other without cycles (main → commands → common)."""
from __future__ import annotations

import ast
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "glassbox" / "cli"


def _cli_imports(path: Path) -> set[str]:
    """The sibling cli modules ``path`` imports, at module level or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names & {p.stem for p in CLI.glob("*.py")}


def test_no_import_cycles_in_cli():
    graph = {p.stem: _cli_imports(p) for p in CLI.glob("*.py")}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            assert state.get(nxt) != 1, "import cycle: " + " → ".join(path + [node, nxt])
            if nxt not in state:
                visit(nxt, path + [node])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [])
    assert graph["common"] == set()  # the shared pieces depend on no command
