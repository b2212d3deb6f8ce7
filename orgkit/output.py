"""Shared CLI formatting: frames as a table, CSV or JSON; the exit statuses and the one-line user error.
Imports no analysis (every command module imports this one).

Tables are drawn by `rich <https://rich.readthedocs.io>`_ to fit the terminal (``COLUMNS`` when set, else the
terminal's width, else 120 columns): by default only the columns a person reads first (each command passes its
``columns``; a frame without such a list gets as many of its leading columns as fit), long cells wrapped, text
left-aligned, numbers right-aligned, a missing value shown as ``-``. ``--wide`` shows every column, ``--columns
a,b,c`` exactly those. Status words are coloured with the palette's tiers when the output is a terminal; rich honours
``NO_COLOR`` (and ``FORCE_COLOR``). CSV and JSON always carry every column, unformatted.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from typing import Sequence

import pandas as pd

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
TIER_STYLES = {"good": "blue", "warn": "yellow", "bad": "bold red", "unknown": "magenta", "na": "dim"}
#: cells of these columns are never broken across lines
_NO_WRAP = {"account_id", "region", "home_region", "status", "decision", "severity", "state", "step_id",
            "priority", "service", "kind", "tie", "rows", "frame"}
MISSING = "-"

#: characters a terminal would act on rather than show: C0 controls (ESC, CR, BS, newline, tab...), DEL, C1
#: controls (CSI U+009B...), the bidirectional embeddings, overrides and isolates (U+202A-202E, U+2066-2069), the
#: marks LRM/RLM/ALM and the line and paragraph separators
_INVISIBLE = {c: (f"\\x{c:02x}" if c <= 0xFF else f"\\u{c:04x}")
              for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A),
                        0x200E, 0x200F, 0x061C, 0x2028, 0x2029]} | {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def visible(text) -> str:
    """``text`` as a terminal shows it literally: every control character (ESC, C1, DEL, bidi overrides...) written
    as its escape (``\\x1b``, ``\\u202e``), nothing else changed; linear in the length. Tables and messages pass
    values from AWS or files through it; CSV and JSON keep the exact value."""
    return str(text).translate(_INVISIBLE)


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
                width: int | None = None) -> None:
    """Print rows as a table, CSV or JSON (a list of row objects); account ids stay strings.

    ``columns``: the table's default columns (those present are shown, in this order); ``args`` supplies
    ``--wide`` and ``--columns`` (or pass ``wide`` / ``select``). CSV and JSON ignore all three.
    """
    out = out or sys.stdout
    if fmt == "csv":
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
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 1000 or v != round(v, 4) else f"{v:g}"
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d %H:%M:%S%z") if v.tzinfo else v.strftime("%Y-%m-%d %H:%M:%S")
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


def _draw(console, df: pd.DataFrame, columns, wide: bool, select: str | None, width: int) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    if not len(df.columns):
        console.print("(no rows)")
        return
    shown = _pick(df, columns, wide, select, width)
    hidden = [str(c) for c in df.columns if str(c) not in shown]
    if not len(df):
        console.print("(no rows)")
        return
    if wide or select:
        # every column asked for: as wide as the cells need (scroll, or pipe to `less -S`), never folded to nothing
        natural = sum(max([len(str(c))] + [len(_cell_text(v)) for v in df[c]]) + 2 for c in shown)
        console.width = max(width, min(natural, 4000))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold", expand=False,
                  collapse_padding=True)
    cells = {}
    for c in shown:
        s = df[c]
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        cells[c] = [visible(v) for v in _format_column(c, s)]
        # a header is never broken when the columns' headers fit side by side
        longest = max([len(v) for v in cells[c]] + [1])
        head_fit = sum(len(str(h)) + 3 for h in shown) <= width
        table.add_column(Text(visible(c)), justify="right" if numeric else "left", no_wrap=c in _NO_WRAP,
                         overflow="ellipsis" if c in _NO_WRAP else "fold",
                         min_width=min(len(c), 24, longest if longest > len(c) else len(c)) if head_fit else None)
    for i in range(len(df)):
        row = []
        for c in shown:
            v = cells[c][i]
            style = TIER_STYLES.get(TIERS.get(v, ""), "") if c in STATUS_COLUMNS else ""
            row.append(Text(v, style="dim" if v == MISSING else style))
        table.add_row(*row)
    console.print(table)
    if hidden:
        more = visible(", ".join(hidden))
        console.print(Text(f"{len(hidden)} more column(s), shown with --wide or --columns: {more}", style="dim"),
                      overflow="fold")
