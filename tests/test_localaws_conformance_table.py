"""docs/localaws.md's conformance table: every row quotes AWS (or says AWS documents nothing) and names tests that
exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_REF = re.compile(r"(?:((?:tests/)?[\w/]+\.py))?(?:::)?\b(test_\w+)")


def table_rows() -> list[list[str]]:
    text = (ROOT / "docs" / "localaws.md").read_text()
    section = text.split("## Conformance", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| # ")]
    return [[c.strip() for c in r.strip().strip("|").split(" | ")] for r in rows]


def test_every_row_quotes_aws_and_names_existing_tests():
    rows = table_rows()
    assert rows, "the conformance table has no rows"
    defined: dict[str, set[str]] = {}  # test function -> files (tests/...) that define it
    for f in sorted((ROOT / "tests").glob("test_*.py")):
        for n in ast.walk(ast.parse(f.read_text())):
            if isinstance(n, ast.FunctionDef) and n.name.startswith("test_"):
                defined.setdefault(n.name, set()).add(f"tests/{f.name}")
    for cells in rows:
        assert len(cells) == 4, cells[0]
        number, _, quote, tests = cells
        assert re.fullmatch(r"[A-Z]+\d+", number), number
        assert '"' in quote or "not documented" in quote.lower() or "documents nothing" in quote.lower(), \
            f"{number}: no AWS sentence quoted"
        refs = [m for code in re.findall(r"`([^`]*)`", tests) for m in TEST_REF.findall(code)]
        assert refs, f"{number}: no test named"
        for path, name in refs:
            assert name in defined, f"{number}: no test function {name}"
            if path:
                path = path if path.startswith("tests/") else f"tests/{path}"
                assert path in defined[name], f"{number}: {path} does not define {name}"
    numbers = [c[0] for c in rows]
    assert len(numbers) == len(set(numbers)), "row numbers repeat"
