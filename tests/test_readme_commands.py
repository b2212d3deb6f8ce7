"""Every ``orgkit`` command line in the README's ```sh blocks runs as written against the bundled demo.

Each line gives the exit status its comment announces (``exit N``; else 0), prints a sane first line (no traceback,
not empty) and, for tables, fits a 120-column terminal. Lines that need a real AWS organisation (``--profile``) are
listed as skipped with that reason; the install lines (``pip install -e``, ``pytest``) are what ``.ci/run`` itself
runs, and ``orgkit demo`` is run by tests/test_demo.py.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from orgkit.cli import main

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith("orgkit "):
                lines.append(line.strip())
    return lines


COMMANDS = readme_commands()


def test_the_readme_has_commands():
    assert len(COMMANDS) >= 10 and any(c.startswith("orgkit guardduty migrate") for c in COMMANDS)


@pytest.mark.parametrize("line", COMMANDS)
def test_readme_command_runs(line, capsys, monkeypatch, tmp_path):
    argv = shlex.split(line, comments=True)
    if "--profile" in argv or argv[1] == "demo":
        pytest.skip("needs a real AWS organisation" if "--profile" in argv else "run by tests/test_demo.py")
    comment = line.split("#", 1)[1] if "#" in line else ""
    m = re.search(r"\bexit (\d)", comment)
    expected = int(m.group(1)) if m else 0
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.chdir(ROOT)  # the README's paths are relative to the clone
    code = main(argv[1:])
    out, err = capsys.readouterr()
    assert code == expected, f"{line}: exit {code}\n{err}"
    assert "Traceback" not in out + err
    first = out.lstrip("\n").splitlines()[0] if out.strip() else ""
    assert first.strip() and not first.startswith(("orgkit:", "error")), f"{line}: first line {first!r}"
    if not {"--format", "--wide", "--columns"} & set(argv):
        widest = max(len(x) for x in out.splitlines())
        assert widest <= 120, f"{line}: a line of {widest} characters"


# --- no lost character, no token broken inside (issue 19, points 1 and 2) -------------------------------------------

#: a wrapped cell may break at a space or after one of these, nowhere else (the same set as orgkit/wrap.py, written
#: out here so that the test does not trust the code it checks)
BREAK_AFTER = set(":/-.,;=")
REGION = re.compile(r"\b(?:us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d\b")
ACCOUNT = re.compile(r"(?<!\d)\d{12}(?!\d)")
NOTE = re.compile(r"^(columns left out|\d+ more column)")


def _spans(lines: list[str]) -> list[tuple[int, int]]:
    """Column spans of a drawn table: the runs between gutters (two or more positions blank on every line)."""
    width = max(map(len, lines))
    blank = [all(p >= len(x) or x[p] == " " for x in lines) for p in range(width)]
    spans, start, p = [], None, 0
    while p < width:
        if not blank[p]:
            start = p if start is None else start
            p += 1
            continue
        run = p
        while run < width and blank[run]:
            run += 1
        if start is not None and (run - p >= 2 or run == width):
            spans.append((start, p))
            start = None
        p = run
    if start is not None:
        spans.append((start, width))
    return spans


#: the text under a row when the free text does not fit beside its columns: ``    name: value`` fields (several on a
#: line three spaces apart), a field's further lines indented under its value; a token folded inside ends with FOLD
UNDER_INDENT = "    "
FOLD = "\u21a9"


def split_under(body: list[str], names: set[str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The lines of the table's columns, and the fields written under the rows: [(column, [its lines])], top down."""
    label = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    first = re.compile(rf"^{UNDER_INDENT}({label}): ")
    beside = re.compile(rf" {{3}}({label}): ")
    rows, fields, hang = [], [], None
    for x in body:
        if first.match(x):
            # split the line at each "   name: " (a field beside another)
            cuts = [first.match(x)]
            cuts += list(beside.finditer(x, cuts[0].end()))
            for k, m in enumerate(cuts):
                end = cuts[k + 1].start() if k + 1 < len(cuts) else len(x)
                fields.append((m.group(1), [x[m.end():end]]))
            hang = len(UNDER_INDENT) + len(fields[-1][0]) + 2
        elif hang and x.startswith(" " * hang) and x[hang:hang + 1] != " ":
            fields[-1][1].append(x[hang:])
        else:
            rows.append(x)
            hang = None
    return rows, fields


def drawn_tables(out: str, names: set[str]):
    """Each table in ``out`` whose headers are columns of the CSV: ({header: [the non-empty pieces, top down]},
    [(column, [lines]) of the fields written under the rows])."""
    lines = out.splitlines()
    for r, line in enumerate(lines):
        if not line or set(line) != {"─"}:
            continue
        end = r + 1
        while end < len(lines) and lines[end].strip() and not NOTE.match(lines[end]):
            end += 1
        body, under = split_under(lines[r + 1:end], names)
        for k in (3, 2, 1):
            if r - k < 0 or not all(lines[r - k:r]):
                continue
            head = lines[r - k:r]
            spans = _spans(head + body)
            heads = ["".join(h[a:b].strip() for h in head) for a, b in spans]
            if heads and all(heads) and set(heads) <= names:
                yield ({h: [x[a:b].strip() for x in body if x[a:b].strip()] for h, (a, b) in zip(heads, spans)},
                       under)
                break


def _same(shown: str, value: str) -> bool:
    """``shown`` (the table's text, spaces taken out) says ``value`` (a CSV cell): the same characters, or the same
    number, yes/no for a boolean, ``-`` for an empty cell."""
    bare = value.replace(" ", "")
    if shown == bare or (value == "" and shown == "-") or {"True": "yes", "False": "no"}.get(value) == shown:
        return True
    try:
        return abs(float(shown.replace(",", "").rstrip("%")) / (100 if shown.endswith("%") else 1)
                   - float(value)) < 0.006
    except ValueError:
        return False


def check_column(name: str, pieces: list[str], values: list[str]) -> None:
    """Every value of the CSV column, in order, is in the table's column whole: its lines joined give it back, and
    each line ends at a space or after a separator of the value, never inside a token (unless the line was folded
    and says so: it ends with FOLD); nothing else is there."""
    folded = {k for k, p in enumerate(pieces) if p.endswith(FOLD)}
    pieces = [p[:-1] if k in folded else p for k, p in enumerate(pieces)]
    i = 0
    for row, value in enumerate(values):
        bare = value.replace(" ", "") or "-"
        got, ends = "", []
        single = _same(pieces[i] if i < len(pieces) else "", value)  # a number, yes/no, "-": one line
        while i < len(pieces) and len(got) < len(bare) and not (single and got):
            got += pieces[i].replace(" ", "")
            ends.append(len(got))
            i += 1
        assert _same(got, value), f"{name}, row {row}: the table shows {got!r} for {value!r}"
        if got != bare:
            continue  # a number or a boolean, one line
        # where each line ended, in the value with its spaces: after a separator or at a space
        pos, k = [], 0
        for j, ch in enumerate(value):
            if ch != " ":
                k += 1
                pos.append(j)
        for n, e in enumerate(ends[:-1]):
            j = pos[e - 1]  # the value's last character on that line
            assert i - len(ends) + n in folded or value[j] in BREAK_AFTER or value[j + 1:j + 2] == " ", \
                f"{name}, row {row}: {value!r} broken inside a token after {value[:j + 1]!r}"
        for token in ACCOUNT.findall(value) + REGION.findall(value):
            assert any(token in p for p in pieces[i - len(ends):i]), f"{name}, row {row}: {token} broken"
    assert i == len(pieces), f"{name}: the table shows more than the CSV: {pieces[i:i + 3]}"


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("line", COMMANDS)
def test_readme_table_keeps_every_character(line, columns, capsys, monkeypatch):
    argv = shlex.split(line, comments=True)
    if "--profile" in argv or argv[1] == "demo" or "--format" in argv:
        pytest.skip("needs AWS" if "--profile" in argv else "not a table")
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.chdir(ROOT)
    main(argv[1:])
    table = capsys.readouterr().out
    if "─" not in table:
        pytest.skip("prints no table")
    try:
        assert main(argv[1:] + ["--format", "csv"]) in (0, 1)
    except SystemExit:
        pytest.skip("no --format csv to compare with")
    import io

    import pandas as pd

    csv = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)
    if "--fail-on" in argv and argv[1] == "coverage":  # the table: the verdict and the rows that fail; CSV: every row
        csv = csv[csv["status"].isin(argv[argv.index("--fail-on") + 1].split(","))].reset_index(drop=True)
    drawn = list(drawn_tables(table, set(csv.columns)))
    assert drawn, f"{line}: no table with the CSV's columns in\n{table[:2000]}"
    for columns_shown, under in drawn[:1]:
        assert columns_shown
        for name, pieces in columns_shown.items():
            check_column(name, pieces, list(csv[name]))
        check_under(under, csv, set(columns_shown))
        # with fields under the rows: a column neither shown nor written there is named (left out, or one of the
        # more columns; some commands' tables show another frame than their CSV, hence only here)
        lines = table.splitlines()
        notes = " ".join(lines[next((k for k, x in enumerate(lines) if NOTE.match(x)), len(lines)):])
        for c in (set(csv.columns) - set(columns_shown) - {n for n, _ in under}) if under else ():
            assert re.search(rf"(?<![\w]){re.escape(c)}(?![\w])", notes), f"{line}: column {c} neither shown nor named"
    assert max(map(len, table.splitlines())) <= columns or "--wide" in argv or "--columns" in argv


def check_under(under: list[tuple[str, list[str]]], csv, shown: set[str]) -> None:
    """The fields under the rows are, top down, each row's values of the columns written there (in any order within
    a row, an empty value not written), each whole (:func:`check_column`)."""
    cols = [c for c in csv.columns if c in {n for n, _ in under}]
    assert not set(cols) & shown, f"{set(cols) & shown} both in the table and under its rows"
    i = 0
    for r, row in csv.iterrows():
        want = {c: row[c] for c in cols if row[c] != ""}
        got = dict(under[i:i + len(want)])
        assert len(got) == len(want) and set(got) == set(want), \
            f"row {r}: under it {sorted(got)}, the CSV has values in {sorted(want)}"
        for name, value in want.items():
            check_column(name, [x.strip() for x in got[name]], [value])
        i += len(want)
    assert i == len(under), f"more fields under the rows than the CSV has: {under[i:i + 3]}"


def test_readme_example_of_text_under_the_rows_is_what_the_diff_prints(capsys, monkeypatch):
    """The README shows, at 80 columns, the demo diff's rows with their free text under them: its lines are the
    command's, in order (the rows between them left out)."""
    block = re.search(r"```text\n(kind +severity.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.chdir(ROOT)
    main(["diff", "orgkit/datasets/demo", "orgkit/datasets/demo-later"])
    printed = iter(capsys.readouterr().out.splitlines())
    for line in block.splitlines():
        assert any(x == line for x in printed), f"the README's {line!r} is not printed (in this order)"


# --- no silent demo (issue 19, point 3) ------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["show"], ["coverage"], ["coverage", "--gaps"], ["scp", "lint"], ["scp", "tamper"],
                                  ["scp", "can", "s3:CreateBucket"], ["scp", "explain", "936374038853", "s3:CreateBucket"],
                                  ["guardduty", "state"], ["guardduty", "plan", "--admin", "408053428601"],
                                  ["guardduty", "migrate", "--admin", "408053428601"],
                                  ["diff", "--terraform-plan", "orgkit/datasets/demo-later-plan.json"],
                                  ["scp", "suggest", "--target", "Root/Engineering"]])
def test_no_snapshot_says_the_demo(argv, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    main(argv)
    err = capsys.readouterr().err
    notes = [x for x in err.splitlines() if "bundled demo" in x]
    assert len(notes) == 1 and "no snapshot given" in notes[0], err


def test_a_snapshot_given_means_no_demo_note(capsys):
    from orgkit.model import bundled_demo_path

    assert main(["coverage", str(bundled_demo_path())]) == 0
    assert "bundled demo" not in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["coverage", "--fail-on", "none", "--format", "json"],
                                  ["scp", "lint", "--fail-on", "error"], ["scp", "tamper", "--fail-on", "exposed"],
                                  ["diff", "--fail-on", "regression",
                                  "--terraform-plan", "orgkit/datasets/demo-later-plan.json"]])
def test_a_gate_refuses_the_demo_unless_asked(argv, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "--demo" in err and "SNAPSHOT" in err
    assert main(argv + ["--demo"]) in (0, 1)  # asked for: runs, and says it reads the demo
    assert "bundled demo" in capsys.readouterr().err
