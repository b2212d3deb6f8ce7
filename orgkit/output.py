"""Shared CLI formatting: frames as a table, CSV or JSON; the exit statuses and the one-line user error.
Imports no analysis (every command module imports this one).

Tables are drawn by `rich <https://rich.readthedocs.io>`_ to fit the terminal (``COLUMNS`` when set, else the
terminal's width, else 120 columns): by default only the columns a person reads first (each command passes its
``columns``; a frame without such a list gets as many of its leading columns as fit), text left-aligned, numbers
right-aligned, a missing value shown as ``-``. No character is ever lost: each cell is broken into lines here
(:mod:`orgkit.wrap`: free text at its spaces, identifiers only after a separator), every column is at least as wide
as its longest unbreakable piece, and a column that cannot fit is left out and named (:func:`_layout` says in which
order), except free text (a reason, a change's before/after) and what a row is about (an account id, a region):
when one does not fit beside the other columns, it is written under each row, indented, as ``name: value`` lines
the terminal's width (:func:`_under_rows`, :func:`_draw_stacked`). ``--wide`` shows every column, ``--columns
a,b,c`` exactly those, as wide as their cells. Verdicts are coloured with the palette's tiers when the output is a terminal (SCP decisions stay neutral); rich honours
``NO_COLOR`` (and ``FORCE_COLOR``). Control characters in values are written out (``\\x1b``), never obeyed. CSV and
JSON always carry every column, unformatted.
"""

from __future__ import annotations

import re

import argparse
import json
import math
import shutil
import sys
from typing import Sequence

import numpy as np
import pandas as pd

from orgkit import wrap
from orgkit.palette import TIERS

# Exit statuses of the orgkit command (README, "Exit statuses"; docs/faults.md)
EXIT_OK = 0
EXIT_CHECK = 1  # the check failed: coverage --fail-on, scp lint --fail-on, a blocked plan, a migration step failed
EXIT_INPUT = 2  # usage or input: bad arguments, a snapshot or journal that cannot be used, --out unusable
EXIT_AWS = 3  # AWS access: no or unknown credentials/profile, endpoint unreachable, the organization unreadable
EXIT_INTERNAL = 70  # a bug in orgkit (EX_SOFTWARE): one line, --debug shows the traceback
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


class UserError(Exception):
    """A failure the user can fix: ``orgkit`` prints ``orgkit COMMAND: MESSAGE`` and exits with ``code``."""

    def __init__(self, message: str, code: int = EXIT_INPUT):
        super().__init__(message)
        self.code = code


#: columns whose words are statuses (coloured in a terminal)
STATUS_COLUMNS = {"status", "decision", "severity", "state", "relationship_status", "health", "result"}
#: rich styles of the palette's tiers (terminal colours: the palette's fills are too pale for text)
TIER_STYLES = {"good": "blue", "warn": "yellow", "bad": "bold red", "unknown": "magenta", "na": "dim", "neutral": ""}
#: yes/no columns that are verdicts (yes is good): coloured as the palette's good and bad
_YES_IS_GOOD = {"protected", "cloudtrail_protected", "guardduty_protected", "is_logging"}
#: cells of these columns are never broken across lines
_NO_WRAP = {"account_id", "region", "home_region", "status", "decision", "severity", "state", "step_id",
            "priority", "service", "kind", "tie", "rows", "frame"}
MISSING = "-"
#: when a table's columns cannot all fit, these are left out first (a label of a row another column identifies)
_DROP_FIRST = ("account_name", "ou_path", "env", "service", "priority", "before")
#: free text (folded at its spaces): left out last
_PROSE_WIDTH = 28
_KEEP = {"account_id", "region", "trail_arn", "address"}
_PROSE = {"reason", "why", "exposure", "message", "detail", "after", "before", "summary"}
#: prose columns that hold a value the free text beside them repeats in words (a change's ``reason`` says "now
#: explicit_deny (was allow)"): left out before the free text when a table does not fit
_VALUES = {"after", "before"}


#: the note every command prints (stderr) when it reads the bundled demo because no snapshot was given
DEMO_NOTE = "no snapshot given: reading the bundled demo organisation (fictional); give a SNAPSHOT for yours"


def add_demo(p: argparse.ArgumentParser) -> None:
    """``--demo``: a command with a ``--fail-on`` gate runs on the bundled demo only when asked to."""
    p.add_argument("--demo", action="store_true",
                   help="run on the bundled demo snapshot (a --fail-on gate refuses to without it or a SNAPSHOT)")


def demo_note(command: str, snapshot, *, gate=None, demo: bool = False) -> None:
    """When ``snapshot`` is None (the command will read the bundled demo): say so on stderr in one line; and when a
    ``--fail-on`` ``gate`` is set without ``--demo``, refuse (a UserError, exit 2): an empty ``$SNAPSHOT`` in CI must
    not turn the gate into a check of the demo."""
    if snapshot is not None:
        return
    if gate and not demo:
        raise UserError("--fail-on with no snapshot: give the SNAPSHOT directory to check "
                        "(or --demo to run the gate on the bundled demo organisation)")
    print(f"{command}: {DEMO_NOTE}", file=sys.stderr)


def visible(text) -> str:
    """``text`` as a terminal shows it literally: every control or format character (ESC, C1, DEL, newline, bidi
    overrides...) written as its escape (``\\x1b``, ``\\u202e``), nothing else changed; linear in the length (one
    rule, :func:`orgkit.wrap.visible`). Tables and messages pass values from AWS or files through it; CSV and JSON
    keep the exact value."""
    return wrap.visible(str(text))


def add_format(p: argparse.ArgumentParser, choices: Sequence[str] = ("table", "csv", "json"),
               help: str = "output format") -> None:
    """``--format``, and the table's ``--wide`` / ``--columns``."""
    p.add_argument("--format", choices=list(choices), default="table", help=help)
    p.add_argument("--wide", action="store_true",
                   help="table: show every column (csv and json always carry every column)")
    p.add_argument("--columns", metavar="A,B,C", help="table: show these columns, in this order")


def terminal_width(default: int = 120) -> int:
    """``COLUMNS`` when set, else the terminal's width, else ``default``."""
    return max(40, shutil.get_terminal_size((default, 24)).columns)


def write_frame(df: pd.DataFrame, fmt: str, out=None, *, columns: Sequence[str] | None = None,
                args: argparse.Namespace | None = None, wide: bool = False, select: str | None = None,
                width: int | None = None, ocsf: dict | None = None) -> None:
    """Print rows as a table, CSV, JSON (a list of row objects) or OCSF findings; account ids stay strings.

    ``columns``: the table's default columns (those present are shown, in this order); ``args`` supplies
    ``--wide`` and ``--columns`` (or pass ``wide`` / ``select``). CSV and JSON ignore all three. ``ocsf``: for
    ``--format ocsf``, the keywords of :func:`orgkit.ocsf.findings` (the kind of rows, the organisation id and
    the snapshot's time); a view without it has no findings to write.
    """
    out = out or sys.stdout
    if fmt == "ocsf":
        if ocsf is None:
            raise UserError("--format ocsf: this view has no findings; use it with the coverage cells, "
                            "scp tamper or diff")
        from orgkit.ocsf import findings

        rows = json.loads(df.to_json(orient="records", date_format="iso", default_handler=str))
        out.write(json.dumps(findings(rows, **ocsf), indent=1, ensure_ascii=False))
        out.write("\n")
    elif fmt == "csv":
        df.to_csv(out, index=False)
    elif fmt == "json":
        # through json again: pandas escapes "/" (ARNs would read arn:aws:...:trail\/name)
        rows = json.loads(df.to_json(orient="records", date_format="iso", default_handler=str))
        out.write(json.dumps(rows, indent=1, ensure_ascii=False))
        out.write("\n")
    else:
        if args is not None:
            wide = wide or bool(getattr(args, "wide", False))
            select = select or getattr(args, "columns", None)
        write_table(df, out, columns=columns, wide=wide, select=select, width=width)


def _pick(df: pd.DataFrame, columns, wide: bool, select: str | None, width: int) -> list[str]:
    cols = [str(c) for c in df.columns]
    if select:
        want = [c.strip() for c in select.split(",") if c.strip()]
        bad = [c for c in want if c not in cols]
        if bad:
            print(f"orgkit: --columns: no column {', '.join(bad)}; this table has: {', '.join(cols)}",
                  file=sys.stderr)
            raise SystemExit(2)
        return want
    if wide:
        return cols
    if columns:
        chosen = [c for c in columns if c in cols]
        if chosen:
            return chosen
    # no list: the leading columns that fit (a column needs about its header or typical cell, capped at 40)
    chosen, used = [], 0
    for c in cols:
        cells = df[c].head(200).map(_cell_text)
        need = min(40, max(len(c), int(cells.str.len().quantile(0.9)) if len(cells) else 0)) + 3
        if chosen and used + need > width:
            break
        chosen.append(c)
        used += need
    return chosen


def _cell_text(v) -> str:
    if v is None:
        return MISSING
    if isinstance(v, float) and math.isnan(v):
        return MISSING
    if isinstance(v, (list, tuple, set)):
        return "; ".join(map(str, v)) if len(v) else MISSING
    if isinstance(v, dict):
        return ", ".join(f"{k}={val}" for k, val in v.items()) if v else MISSING
    if v is pd.NaT or (not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v)):
        return MISSING
    if isinstance(v, (bool, np.bool_)):  # numpy's too (a nullable boolean column such as is_logging)
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 1000 or v != round(v, 4) else f"{v:g}"
    if isinstance(v, pd.Timestamp):
        return v.isoformat(sep=" ")  # as the CSV writes it
    if isinstance(v, str) and v == "":
        return MISSING
    return str(v)


def _format_column(name: str, s: pd.Series) -> list[str]:
    if "share" in name and pd.api.types.is_float_dtype(s):
        return [MISSING if pd.isna(v) else f"{v:.0%}" for v in s]
    if name.endswith("usd") and pd.api.types.is_numeric_dtype(s):
        return [MISSING if pd.isna(v) else f"{v:,.2f}" for v in s]
    return [_cell_text(v) for v in s]


def write_table(df: pd.DataFrame, out=None, *, columns=None, wide: bool = False, select: str | None = None,
                width: int | None = None) -> None:
    """The table view of :func:`write_frame`."""
    from rich.console import Console

    import io

    out = out or sys.stdout
    width = width or terminal_width()
    # colour as rich decides for ``out`` (a terminal, NO_COLOR, FORCE_COLOR); drawn into a buffer so that the
    # padding rich adds after the last column can be cut off
    probe = Console(file=out)
    buf = io.StringIO()
    console = Console(file=buf, width=width, highlight=False, soft_wrap=False, emoji=False, markup=False,
                      force_terminal=probe.is_terminal, color_system=probe.color_system, no_color=probe.no_color,
                      legacy_windows=False)
    try:
        _draw(console, df, columns, wide, select, width)
    finally:
        out.write("".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines()))


#: between two columns of a drawn table (rich's SIMPLE_HEAD box without edges, padding collapsed)
_GAP = 2


def _layout(heads: list[str], cells: dict[str, list[str]], fixed: set[str], width: int,
            fit: bool) -> tuple[list[str], dict[str, int]]:
    """The columns drawn and their widths. A column is never narrower than its header's and its cells' longest
    unbreakable piece (:mod:`orgkit.wrap`; a ``fixed`` column: its longest cell); when those minimums do not fit
    ``width`` and ``fit`` is set, columns are left out from the right (the caller names them). The room left is
    shared out so that short columns get their whole width first."""
    shown_head = {c: wrap.visible(str(c)) for c in heads}  # a header is drawn as visible() writes it
    least = {c: max([wrap.min_width(shown_head[c], wrap.HEADER_SEPARATORS)]
                    + [len(v) if c in fixed else wrap.min_width(v) for v in cells[c]]) for c in heads}
    natural = {c: max([len(shown_head[c])] + [len(v) for v in cells[c]]) for c in heads}
    shown = list(heads)
    if fit:
        # left out first: columns with no value at all, labels of what another column identifies and columns empty
        # in most rows; then other columns
        # (and the before/after values the free text repeats) from the right; then the free text; then the statuses; the first column, account ids and regions (what a row is about) last
        def tier(c):
            missing = sum(v == MISSING for v in cells[c])
            return (-1 if missing == len(cells[c]) else 0 if c in _DROP_FIRST or (c != shown[0] and missing * 2 > len(cells[c]))
                    else 4 if c in _KEEP or c == shown[0] else 3 if c in STATUS_COLUMNS
                    else 2 if c in _PROSE and c not in _VALUES else 1)

        order = sorted(reversed(shown), key=lambda c: (tier(c), _DROP_FIRST.index(c) if c in _DROP_FIRST else 0))
        while len(shown) > 1 and sum(least[c] for c in shown) + _GAP * (len(shown) - 1) > width:
            shown.remove(order.pop(0))
    widths = {c: least[c] for c in shown}
    room = width - sum(widths.values()) - _GAP * (len(shown) - 1)
    if not fit:
        return shown, dict(natural)
    # free text first gets room for a few words a line, then every column grows towards its natural width, the
    # ones that need least first
    for c in shown:
        if c in _PROSE and room > 0:
            give = max(0, min(room, min(natural[c], _PROSE_WIDTH) - widths[c]))
            widths[c] += give
            room -= give
    want = sorted((c for c in shown if natural[c] > widths[c]), key=lambda c: natural[c] - widths[c])
    while room > 0 and want:
        share = max(1, room // len(want))
        for c in list(want):
            give = min(share, natural[c] - widths[c], room)
            widths[c] += give
            room -= give
            if widths[c] >= natural[c]:
                want.remove(c)
            if room <= 0:
                break
    return shown, widths


def _draw(console, df: pd.DataFrame, columns, wide: bool, select: str | None, width: int) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    if not len(df.columns):
        console.print("(no rows)")
        return
    picked = _pick(df, columns, wide, select, width)
    if not len(df):
        console.print("(no rows)")
        return
    cells = {c: [wrap.visible(v) for v in _format_column(c, df[c])] for c in picked}
    numeric = {c for c in picked if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])}
    fixed = (_NO_WRAP | numeric) & set(picked)
    fit = not (wide or select)
    shown, widths = _layout(picked, cells, fixed, width, fit)
    under = _under_rows(picked, shown, cells, fixed, width) if fit else None
    if under:
        shown, widths, under = under
        _draw_stacked(console, shown, widths, under, cells, numeric, width)
        _notes(console, df, picked, shown + under, width)
        return
    if not fit:
        # every column asked for, as wide as its cells: scroll, or pipe to `less -S`
        console.width = max(width, sum(widths[c] for c in shown) + _GAP * (len(shown) - 1))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold", expand=False,
                  collapse_padding=True)
    for c in shown:
        w = widths[c]
        table.add_column(Text("\n".join(wrap.wrap(visible(c), w, wrap.HEADER_SEPARATORS))),
                         justify="right" if c in numeric else "left", no_wrap=False, overflow="fold", width=w)
    for i in range(len(df)):
        row = []
        for c in shown:
            v = cells[c][i]
            row.append(Text("\n".join(wrap.wrap(v, widths[c])), style=_style(c, v),
                            justify="right" if c in numeric else "left"))
        table.add_row(*row)
    console.print(table)
    _notes(console, df, picked, shown, width)


def _style(c: str, v: str) -> str:
    """A cell's rich style: a verdict in its palette tier's colour, a missing value dim, anything else plain."""
    if v == MISSING:
        return "dim"
    if c in _YES_IS_GOOD and v in ("yes", "no"):
        return TIER_STYLES["good" if v == "yes" else "bad"]
    return TIER_STYLES.get(TIERS.get(v, ""), "") if c in STATUS_COLUMNS else ""


#: the indent of the free text under a row (:func:`_draw_stacked`), and the gap between two fields on one line
_UNDER_INDENT = 4
_FIELD_GAP = 3


def _under_rows(picked: list[str], shown: list[str], cells: dict[str, list[str]], fixed: set[str],
                width: int):
    """When a free-text column (:data:`_PROSE`: a reason, a before/after value) or a column naming what a row is
    about (:data:`_KEEP`: a region empty in most rows is left out early) with a value is left out of the table, the
    layout that shows it: the other columns as the table's row (laid out by :func:`_layout`) and, under
    each row, the free text and the columns that did not fit beside it as ``name: value`` lines the width of the
    terminal (a label that another column identifies, :data:`_DROP_FIRST`, is left out and named instead).
    None when every free-text column fits (or none has a value)."""
    def has_value(c):
        return any(v != MISSING for v in cells[c])

    if not any((c in _PROSE or c in _KEEP) and c not in shown and has_value(c) for c in picked):
        return None
    keys = [c for c in picked if c not in _PROSE]
    if not keys:
        return None
    shown, widths = _layout(keys, cells, fixed, width, True)
    under = [c for c in picked if c not in shown and has_value(c) and (c in _PROSE or c not in _DROP_FIRST)]
    return shown, widths, under


def _draw_stacked(console, shown: list[str], widths: dict[str, int], under: list[str],
                  cells: dict[str, list[str]], numeric: set[str], width: int) -> None:
    """Each row's ``shown`` columns on its line(s), then its ``under`` values (a missing one is not written) as
    ``name: value`` fields indented below it: short values side by side, free text (a reason) and a long value on
    lines of their own, folded at spaces and separators (:func:`orgkit.wrap.wrap`), continuation lines aligned under
    the value's first; a token longer than the line is the only thing folded inside, and each such line ends with
    :data:`orgkit.wrap.FOLD`."""
    from rich.cells import cell_len
    from rich.text import Text

    def put(parts: list[tuple[str, int, bool, str]]) -> None:
        """One drawn line of cells: (text, width, right-aligned, style) each, two spaces between."""
        line = Text()
        for k, (text, w, right, style) in enumerate(parts):
            pad = " " * max(0, w - cell_len(text))
            line.append(" " * _GAP if k else "")
            line.append(pad if right else "")
            line.append(text, style=style)
            line.append("" if right else pad)
        console.print(line, soft_wrap=True)

    def block(column_lines: list[list[str]], styles: list[str]) -> None:
        for r in range(max(map(len, column_lines))):
            put([(ls[r] if r < len(ls) else "", widths[c], c in numeric, st)
                 for c, ls, st in zip(shown, column_lines, styles)])

    block([wrap.wrap(visible(c), widths[c], wrap.HEADER_SEPARATORS) for c in shown], ["bold"] * len(shown))
    console.print(Text("─" * (sum(widths[c] for c in shown) + _GAP * (len(shown) - 1))), soft_wrap=True)
    labels = {c: visible(c) + ": " for c in under}
    n = len(next(iter(cells.values())))
    for i in range(n):
        block([wrap.wrap(cells[c][i], widths[c]) for c in shown], [_style(c, cells[c][i]) for c in shown])
        line, used = None, 0
        for c in under:
            v = cells[c][i]
            if v == MISSING:
                continue
            field = cell_len(labels[c]) + cell_len(v)
            text = c in _PROSE and c not in _VALUES  # free text (a reason) starts a line of its own
            if line is not None and not text and used + _FIELD_GAP + field <= width:
                line.append(" " * _FIELD_GAP)
                line.append(labels[c], style="dim")
                line.append(v, style=_style(c, v))
                used += _FIELD_GAP + field
                continue
            if line is not None:
                console.print(line, soft_wrap=True)
            hang = _UNDER_INDENT + cell_len(labels[c])
            parts = wrap.wrap(v, max(8, width - hang), mark=wrap.FOLD)
            line = Text(" " * _UNDER_INDENT)
            line.append(labels[c], style="dim")
            for k, part in enumerate(parts):
                if k:
                    console.print(line, soft_wrap=True)
                    line = Text(" " * hang)
                folded = part.endswith(wrap.FOLD) and k < len(parts) - 1
                line.append(part[:-1] if folded else part, style=_style(c, v))
                if folded:
                    line.append(wrap.FOLD, style="dim")
            used = hang + cell_len(parts[-1]) if len(parts) == 1 and not text else width  # nothing beside those
        if line is not None:
            console.print(line, soft_wrap=True)


def _notes(console, df: pd.DataFrame, picked: list[str], shown: list[str], width: int) -> None:
    """The dim lines under a table naming the columns it does not show."""
    from rich.text import Text

    left_out = [c for c in picked if c not in shown]
    if left_out:
        console.print(Text(f"columns left out (no room in {width} columns): {visible(', '.join(left_out))}; "
                           "use --wide or --columns, or a wider terminal", style="dim"), overflow="fold")
    hidden = [str(c) for c in df.columns if str(c) not in picked]
    if hidden:
        more = visible(", ".join(hidden))
        console.print(Text(f"{len(hidden)} more column(s), shown with --wide or --columns: {more}", style="dim"),
                      overflow="fold")


_REST = re.compile(r"``(.+?)``|:(?:func|class|mod|data|meth|attr|obj|ref|doc):`~?([^`]+)`")


def plain_help(doc: str) -> str:
    """A module docstring as a command's ``--help`` text: reST literals and roles (double backquotes, ``:func:``...)
    become the plain words they wrap."""
    return _REST.sub(lambda m: m.group(1) or m.group(2), doc or "")
