"""orgkit.output: tables that fit the terminal (rich), csv and json with every column, colour only on a terminal."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from orgkit.cli import main
from orgkit.output import write_frame

ARN = "arn:aws:cloudtrail:us-east-1:012345678901:trail/" + "a-very-long-trail-name-" * 4


def frame(n=5):
    return pd.DataFrame({
        "account_id": [f"{i:012d}" for i in range(n)], "account_name": ["Production Data"] * n,
        "region": ["ap-southeast-2"] * n, "status": ["covered", "none", "partial", "unknown", None][:n],
        "reason": ["read and write management events recorded by prod-data-s3-audit (multi-region), org-trail"] * n,
        "source": [ARN] * n, "share": [0.5, 0.25, 1.0, float("nan"), 0.0][:n],
        "extra1": ["x" * 30] * n, "extra2": [{"a": 1}] * n})


def table(df, **kw):
    out = io.StringIO()
    write_frame(df, "table", out, width=kw.pop("width", 120), **kw)
    return out.getvalue()


def test_table_fits_120_columns_and_names_what_it_left_out():
    text = table(frame(), columns=["account_id", "account_name", "region", "status", "reason"])
    lines = text.splitlines()
    assert max(map(len, lines)) <= 120
    assert lines[0].split() == ["account_id", "account_name", "region", "status", "reason"]
    assert "source" not in lines[0] and "--wide" in lines[-1] and "source" in lines[-1]
    # region names and account ids are never broken; text is left-aligned (header and cell start together)
    assert "ap-southeast-2" in text and text.count("ap-southeast-2") == 5
    assert lines[2].index("000000000000") == lines[0].index("account_id")
    # missing values one way
    assert "None" not in text and "nan" not in text.lower().replace("name", "")


def test_wide_shows_every_column_whole():
    text = table(frame(), wide=True, width=100)
    assert "extra2" in text and "50%" in text  # shares as percentages
    assert ARN in text  # as wide as it needs: nothing folded or cut
    assert "more column" not in text


def test_select_columns_and_unknown_column(capsys):
    text = table(frame(), select="status,account_id")
    assert text.splitlines()[0].split() == ["status", "account_id"]
    with pytest.raises(SystemExit) as e:
        table(frame(), select="status,nope")
    assert e.value.code == 2 and "nope" in capsys.readouterr().err


def test_without_a_list_the_leading_columns_that_fit():
    df = pd.DataFrame({f"column_{i}": ["value"] * 3 for i in range(30)})
    text = table(df)
    assert max(map(len, text.splitlines())) <= 120 and "column_0" in text and "more column(s)" in text


def test_csv_and_json_keep_every_column():
    df = frame()
    out = io.StringIO()
    write_frame(df, "csv", out, columns=["account_id"])
    assert out.getvalue().splitlines()[0].split(",") == list(df.columns)
    out = io.StringIO()
    write_frame(df, "json", out, columns=["account_id"], wide=False)
    rows = json.loads(out.getvalue())
    assert set(rows[0]) == set(df.columns) and rows[0]["account_id"] == "000000000000"


class TTY(io.StringIO):
    def isatty(self):
        return True


def test_status_words_coloured_on_a_terminal_only(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    tty = TTY()
    write_frame(frame(), "table", tty, width=120)
    assert "\x1b[" in tty.getvalue()
    assert "\x1b[" not in table(frame())  # not a terminal: plain text
    monkeypatch.setenv("NO_COLOR", "1")
    tty = TTY()
    write_frame(frame(), "table", tty, width=120)
    assert "\x1b[3" not in tty.getvalue()  # NO_COLOR: no colour (bold may stay)


@pytest.mark.parametrize("argv", [
    ["coverage"], ["coverage", "--service", "guardduty"], ["coverage", "--service", "cloudtrail"],
    ["coverage", "--duplicates"], ["coverage", "--trails"], ["coverage", "--gaps"], ["coverage", "--summary", "ou"],
    ["show", "--frame", "trails"], ["show", "--frame", "detectors"], ["scp", "lint"], ["scp", "tamper"],
    ["scp", "can", "cloudtrail:StopLogging"], ["guardduty", "state"], ["guardduty", "plan"],
])
def test_every_command_fits_120_columns(argv, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    main(argv)
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 120
    lines = out.splitlines()
    rule = next(i for i, x in enumerate(lines) if x.startswith("─"))
    first = lines[rule - 1]  # the last line of the header (a long header is broken at "_", the rest above it)
    assert first == first.lstrip()  # left-aligned


def test_csv_of_a_command_is_unchanged_by_the_table_defaults(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    main(["coverage", "--service", "guardduty", "--format", "csv"])
    header = capsys.readouterr().out.splitlines()[0].split(",")
    assert {"source", "ou_path", "features", "detector_id", "relationship_status"} <= set(header)


def _coloured(monkeypatch, df):
    """The ANSI style each cell of the table is drawn in (None: plain)."""
    import re

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    tty = TTY()
    write_frame(df, "table", tty, width=120)
    styles = {}
    for m in re.finditer(r"(\x1b\[[0-9;]*m)?([a-z_]+)(\x1b\[0m)?", tty.getvalue()):
        styles.setdefault(m.group(2), m.group(1))
    return styles


def test_decisions_are_neutral_and_verdicts_wear_the_palette(monkeypatch):
    # issue 19, point 4: an SCP decision's goodness depends on the question (a denied StopLogging protects)
    df = pd.DataFrame({"account_id": ["000000000001", "000000000002", "000000000003", "000000000004"],
                       "decision": ["allow", "explicit_deny", "implicit_deny", "conditional"],
                       "severity": ["regression", "improvement", "neutral", "regression"],
                       "status": ["covered", "not_logging", "unknown", "partial"],
                       "protected": [True, False, True, False]})
    s = _coloured(monkeypatch, df)
    for word in ("allow", "explicit_deny", "implicit_deny", "conditional"):
        assert s[word] is None, (word, s[word])
    assert "31" in s["regression"] and "34" in s["improvement"]  # bad as not_logging (red), good as covered (blue)
    assert s["regression"] == s["not_logging"] and s["improvement"] == s["covered"]
    assert s["yes"] == s["covered"] and s["no"] == s["not_logging"]


def test_one_palette_for_severities():
    from orgkit import palette
    from orgkit.diff import notebook

    assert notebook.SEVERITY_COLOURS is palette.SEVERITY_COLOURS
    assert palette.SEVERITY_COLOURS["regression"] == palette.STATUS_COLOURS["not_logging"]
    assert palette.SEVERITY_COLOURS["improvement"] == palette.STATUS_COLOURS["covered"]
    for word in ("allow", "explicit_deny", "implicit_deny", "conditional"):
        assert palette.TIERS[word] == "neutral"
    from orgkit.display import cell_css

    assert cell_css("explicit_deny") == "" and cell_css("allow") == "" and cell_css("regression")


def test_a_mistyped_action_is_an_error_with_a_suggestion(capsys):
    # issue 19: `orgkit scp can s3:CreatBucket` answered a full table with exit 0
    assert main(["scp", "can", "s3:CreatBucket"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "did you mean s3:CreateBucket" in err and "--allow-unknown-action" in err
    assert main(["scp", "can", "s3:CreatBucket", "--allow-unknown-action", "--format", "csv"]) == 0
    assert "account_id" in capsys.readouterr().out
    assert main(["scp", "can", "s3:Create*", "--format", "csv"]) == 0  # a wildcard expands against the catalog


def test_booleans_read_yes_and_no_numpy_ones_too():
    import numpy as np

    df = pd.DataFrame({"is_logging": pd.array([True, False, None], dtype="boolean"),
                       "flag": [np.bool_(True), np.bool_(False), True]})
    text = table(df, wide=True)
    assert "True" not in text and "False" not in text and text.count("yes") == 3 and text.count("no") == 2


def test_hostile_cells_are_shown_as_text_and_whole():
    from orgkit import wrap

    evil = "Prod\x1b[31mRED\x1b[0m\nnext-line\u202eevil"
    long = "arn:aws:iam::123456789012:role/" + "/".join(["path-segment"] * 500)
    text = table(pd.DataFrame({"account_id": ["000000000001", "000000000002"], "reason": [evil, long]}), width=80)
    assert "\x1b" not in text and "\u202e" not in text
    assert "\\x1b[31mRED" in text.replace("\n", "").replace(" ", "")
    assert max(map(len, text.splitlines())) <= 80
    body = "".join(x[14:].strip() for x in text.splitlines()[2:])
    assert long in body  # folded after its separators, every character kept
    for w in (1, 7, 40):  # no width loses a character
        for s in (evil, long, "read and write  events", "x" * 100):
            v = wrap.visible(s)
            assert "".join(wrap.wrap(v, w)).replace(" ", "") == v.replace(" ", "")


def test_a_quoted_region_or_id_stays_whole():
    """A quote is not a letter: ``"us-west-2"`` in a reason has parts of 2 letters, so it is never broken (the
    README's plan review at 80 columns broke it as ``"us-`` / ``west-2"``)."""
    from orgkit import wrap

    for token in ('"us-west-2"', "('us-east-1')", '"p-FullAWSAccess"'):
        assert wrap.pieces(token) == [token], wrap.pieces(token)
    assert wrap.pieces("security-insights") == ["security-", "insights"]


# --- free text that does not fit beside the key columns is written under each row (issue 19, point 5) -------------

def _changes(reason_token=32):
    return pd.DataFrame({
        "kind": ["guardduty", "scp_edited", "tamper"], "severity": ["regression", "improvement", "neutral"],
        "account_id": ["000000000001", None, "000000000003"], "account_name": ["Sandbox", None, "Prod"],
        "region": ["eu-south-1", None, None], "before": ["standalone", None, "allow"],
        "after": ["suspended", None, "explicit_deny"],
        "reason": [f"detector {'d' * reason_token} is suspended (status DISABLED)",
                   "edited: statement Protect: Action -cloudtrail:StopLogging; changes SCP decisions in 10 accounts",
                   None]})


def test_free_text_that_does_not_fit_is_written_under_each_row():
    df = _changes()
    cols = list(df.columns)
    wide_enough = table(df, columns=cols, width=200)  # fits: one line a row, every column beside the others
    assert wide_enough.splitlines()[0].split() == cols and len(wide_enough.splitlines()) == 5
    text = table(df, columns=cols, width=60)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 60 and "left out" not in text
    r = next(k for k, x in enumerate(lines) if x.startswith("─"))
    assert "".join(lines[:r]).split() == ["kind", "severity", "account_id", "account_", "region", "name"]
    # the row's columns on its line, the rest under it as name: value (a missing value not written)
    assert lines[r + 1].split() == ["guardduty", "regression", "000000000001", "Sandbox", "eu-south-1"]
    assert lines[r + 2] == "    before: standalone   after: suspended"
    assert lines[r + 3] == "    reason: detector " + "d" * 32 + " is"  # the detector id whole
    assert lines[r + 4] == " " * len("    reason: ") + "suspended (status DISABLED)"  # aligned under the value
    assert lines[r + 5].startswith("scp_edited") and lines[r + 6].startswith("    reason: edited")
    assert lines[-2].split() == ["tamper", "neutral", "000000000003", "Prod", "-"]
    assert lines[-1] == "    before: allow   after: explicit_deny"  # no reason: none written


def test_a_token_longer_than_the_line_is_the_only_thing_folded_and_is_marked():
    from orgkit.wrap import FOLD

    df = _changes(reason_token=150)
    text = table(df, columns=list(df.columns), width=80)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 80
    folded = [x for x in lines if x.endswith(FOLD)]
    assert len(folded) == 2  # 150 characters on lines of 68: two folds
    start = lines.index("    before: standalone   after: suspended") + 1
    under = "".join(x.strip().removesuffix(FOLD) for x in lines[start:start + 4])
    want = "reason: detector " + "d" * 150 + " is suspended (status DISABLED)"
    assert under.replace(" ", "") == want.replace(" ", "")


def test_under_the_rows_verdicts_keep_their_colour(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    tty = TTY()
    write_frame(_changes(), "table", tty, width=60, columns=list(_changes().columns))
    out = tty.getvalue()
    assert "reason" in out and "\x1b[1;31mregression" in out.replace("\x1b[1m\x1b[31m", "\x1b[1;31m")
    assert "\x1b[34mimprovement" in out
