"""Shared CLI formatting: frames as a table, CSV or JSON; the exit statuses and the one-line user error.
Imports no analysis (every command module imports this one)."""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

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


def write_frame(df: pd.DataFrame, fmt: str, out=None) -> None:
    """Print rows as a table, CSV or JSON (a list of row objects); account ids stay strings."""
    out = out or sys.stdout
    if fmt == "csv":
        df.to_csv(out, index=False)
    elif fmt == "json":
        # through json again: pandas escapes "/" (ARNs would read arn:aws:...:trail\/name)
        rows = json.loads(df.to_json(orient="records", date_format="iso", default_handler=str))
        out.write(json.dumps(rows, indent=1, ensure_ascii=False))
        out.write("\n")
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                               "display.max_colwidth", 80):
            out.write((df.to_string(index=False) if len(df) else "(no rows)") + "\n")


def add_format(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["table", "csv", "json"], default="table", help="output format")
