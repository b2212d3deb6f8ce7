"""docs/localaws.md's conformance table: every row quotes AWS (or says AWS documents nothing) and names tests that
exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def table_rows() -> list[list[str]]:
    text = (ROOT / "docs" / "localaws.md").read_text()
    section = text.split("## Conformance", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| # ")]
    return [[c.strip() for c in r.strip().strip("|").split(" | ")] for r in rows]


def test_every_row_quotes_aws_and_names_existing_tests():
    rows = table_rows()
    assert rows, "the conformance table has no rows"
    functions: dict[str, set[str]] = {}
    for cells in rows:
        assert len(cells) == 4, cells[0]
        number, _, quote, tests = cells
        assert re.fullmatch(r"[A-Z]+\d+", number), number
        assert '"' in quote or "not documented" in quote.lower(), f"{number}: no AWS sentence quoted"
        refs = TEST_REF.findall(tests)
        assert refs, f"{number}: no test named"
        for path, name in refs:
            if path not in functions:
                tree = ast.parse((ROOT / path).read_text())
                functions[path] = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
            assert name in functions[path], f"{number}: {path}::{name} does not exist"
    numbers = [c[0] for c in rows]
    assert len(numbers) == len(set(numbers)), "row numbers repeat"
