"""Hostile names through the paths users meet them (issue 17, point 1; docs/faults.md, "Hostile names").

The CLI: every table and message shows terminal control characters as escapes (``\\x1b``, ``\\u202e``) and rich
markup as the text it is, in a colour terminal too; CSV and JSON keep the exact value. The notebooks' HTML: every
name escaped (the browser tests in tests/test_browser.py run the notebooks and reports in chromium).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hostile_org import (ACCOUNT_ESC, ACCOUNT_IMG, ACCOUNT_MARKUP, ACCOUNT_MATH, ACCOUNT_SCRIPT, OU_BIDI, OU_SVG,
                         PLAN_POLICY_NAME, POLICY_NAME, TRAIL_NAME, hostile_plan,
                         hostile_snapshot)
from orgkit.output import visible, write_frame

ROOT = Path(__file__).resolve().parents[1]
#: rich's own colour codes (FORCE_COLOR): the only escape sequences allowed in the output
SGR = re.compile(r"\x1b\[[0-9;]*m")
#: what a terminal acts on: C0 but newline, DEL, C1, bidi embeddings/overrides/isolates, LRM/RLM/ALM, LS/PS
ACTIVE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029]")


@pytest.fixture(scope="module")
def snaps(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    hostile_plan(d / "plan.json")
    return hostile_snapshot(d / "before"), hostile_snapshot(d / "later", later=True)


def orgkit(*argv, colour=True, columns=400):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(PYTHONPATH=str(ROOT), COLUMNS=str(columns))
    if colour:
        env["FORCE_COLOR"] = "1"  # styles on: markup would be acted on here if rich read it
    else:
        env["NO_COLOR"] = "1"
    p = subprocess.run([sys.executable, "-m", "orgkit.cli", *map(str, argv)], capture_output=True, text=True,
                       env=env, timeout=300)
    return p.returncode, p.stdout, p.stderr


def shown_safely(text: str) -> str:
    """``text`` with rich's colour codes taken out, after checking nothing else would drive the terminal."""
    plain = SGR.sub("", text)
    bad = ACTIVE.findall(plain)
    assert not bad, f"control characters reach the terminal: {sorted(set(bad))!r}"
    return plain


def test_visible_shows_every_control_character_and_nothing_else():
    assert visible("a\x1b[2Jb") == r"a\x1b[2Jb"
    assert visible("\x9b31m\x7f\x00") == r"\x9b31m\x7f\x00"
    assert visible("x\ny\tz\r") == r"x\ny\tz\r"
    assert visible("Prod\u202eved\u2066x\u200f") == r"Prod\u202eved\u2066x\u200f"
    assert visible("[red]x[/red] <b> $\\alpha$ é 日本 Root/a\\/b") == "[red]x[/red] <b> $\\alpha$ é 日本 Root/a\\/b"
    assert not ACTIVE.search(visible("".join(map(chr, range(0x0, 0x3000)))))
    assert visible(None) == "None"


@pytest.mark.parametrize("argv, names", [
    (["show", "{a}", "--frame", "accounts"], [ACCOUNT_SCRIPT, ACCOUNT_IMG, ACCOUNT_MARKUP, ACCOUNT_ESC, ACCOUNT_MATH]),
    (["show", "{a}", "--frame", "ous", "--wide"], [OU_SVG, OU_BIDI]),
    (["coverage", "{a}", "--wide"], [ACCOUNT_SCRIPT, ACCOUNT_MARKUP, ACCOUNT_ESC, OU_BIDI, TRAIL_NAME]),
    (["coverage", "{a}", "--trails"], [TRAIL_NAME]),
    (["coverage", "{a}", "--gaps"], [ACCOUNT_ESC, ACCOUNT_MARKUP]),
    (["scp", "tamper", "{a}"], [ACCOUNT_SCRIPT, ACCOUNT_MARKUP, ACCOUNT_ESC]),
    (["scp", "can", "cloudtrail:StopLogging", "{a}", "--wide"], [ACCOUNT_MARKUP, ACCOUNT_ESC, POLICY_NAME, OU_BIDI]),
    (["scp", "explain", "022222222224", "cloudtrail:StopLogging", "{a}"], [POLICY_NAME, OU_SVG]),
    (["scp", "lint", "{a}"], [ACCOUNT_MARKUP, ACCOUNT_ESC, OU_BIDI]),
    (["diff", "{a}", "{b}"], [ACCOUNT_MARKUP, ACCOUNT_ESC + " v2", ACCOUNT_SCRIPT]),
    (["diff", "{a}", "--terraform-plan", "{plan}", "--wide"], [POLICY_NAME, PLAN_POLICY_NAME, OU_SVG]),
    (["guardduty", "plan", "{a}", "--admin", "022222222221"], [ACCOUNT_ESC]),
    (["guardduty", "state", "{a}", "--what", "suspended"], [ACCOUNT_ESC]),
    (["guardduty", "state", "{a}", "--what", "no-detector", "--wide"], [ACCOUNT_MARKUP, ACCOUNT_MATH]),
])
@pytest.mark.parametrize("colour", [True, False], ids=["colour", "no-colour"])
def test_cli_tables_show_names_as_text(snaps, argv, names, colour):
    a, b = snaps
    rc, out, err = orgkit(*[x.format(a=a, b=b, plan=a.parent / "plan.json") for x in argv], colour=colour)
    assert rc in (0, 1), err
    assert "Traceback" not in err
    text = shown_safely(out) + shown_safely(err)
    for name in names:
        assert visible(name) in text, f"{name!r} is not shown literally"
    if ACCOUNT_MARKUP in names:
        assert "[red]x[/red] [bold]b" in text  # rich markup in a name is text, never a style


@pytest.mark.parametrize("argv, names", [
    (["diff", "{a}", "{b}"], [ACCOUNT_ESC, OU_SVG, POLICY_NAME]),
    (["diff", "{a}", "--terraform-plan", "{plan}"], [POLICY_NAME, PLAN_POLICY_NAME, OU_SVG]),
])
@pytest.mark.parametrize("colour", [True, False], ids=["colour", "no-colour"])
def test_names_in_the_text_under_the_rows_are_shown_as_text(snaps, argv, names, colour):
    """At 80 columns the diff's reason, before and after are written under each row (orgkit.output._draw_stacked):
    the names in them are shown there as text too, control characters written out, markup not obeyed."""
    a, b = snaps
    rc, out, err = orgkit(*[x.format(a=a, b=b, plan=a.parent / "plan.json") for x in argv], colour=colour, columns=80)
    assert rc in (0, 1) and "Traceback" not in err, err
    plain = shown_safely(out)
    assert max(map(len, plain.splitlines())) <= 80
    under = "".join(x for x in plain.splitlines() if x.startswith("    ")).replace(" ", "")
    for name in names:
        assert visible(name).replace(" ", "") in under, f"{name!r} is not shown literally under the rows"


def test_messages_that_carry_names_show_them_literally(snaps):
    a, _ = snaps
    # an error naming the hostile value: one line, the control characters shown
    rc, out, err = orgkit("scp", "explain", "999999999999\x1b[2J", "cloudtrail:StopLogging", a)
    assert rc == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert r"\x1b[2J" in shown_safely(err)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_csv_and_json_keep_the_exact_value(snaps, fmt):
    a, _ = snaps
    rc, out, err = orgkit("show", a, "--frame", "accounts", "--format", fmt)
    assert rc == 0, err
    if fmt == "json":
        names = [r["account_name"] for r in json.loads(out)]
    else:
        names = [r["account_name"] for r in csv.DictReader(io.StringIO(out))]
    for name in (ACCOUNT_SCRIPT, ACCOUNT_IMG, ACCOUNT_MARKUP, ACCOUNT_ESC, ACCOUNT_MATH):
        assert name in names
    rc, out, _ = orgkit("show", a, "--frame", "ous", "--format", "json")
    assert OU_BIDI in [r["name"] for r in json.loads(out)]


def test_table_header_and_folded_column_names_are_shown_literally():
    df = pd.DataFrame({"status": ["covered"], "x\x1b]0;title\x07": ["[blink]y"]})
    buf = io.StringIO()
    write_frame(df, "table", buf, width=200)
    text = shown_safely(buf.getvalue())
    assert r"x\x1b]0;title\x07" in text and "[blink]y" in text


def _texts(fig):
    """Every text a figure draws (titles, tick labels, annotations, legends), after drawing it."""
    from matplotlib.text import Text

    fig.canvas.draw()
    return [t for t in fig.findobj(Text) if t.get_text()]


def test_figure_labels_are_literal(snaps):
    """``$\\alpha$`` in a name is drawn as typed: no figure reads a name as mathtext (heatmaps, OU tree, SCP map,
    change tree)."""
    import matplotlib

    matplotlib.use("Agg")
    import orgkit
    from orgkit import coverage, scp
    from orgkit.diff import diff
    from orgkit.diff.notebook import draw_change_tree
    from orgkit.ougraph import draw_ou_tree
    from orgkit.plots import coverage_heatmap
    from orgkit.scp.plots import service_heatmap

    a, b = snaps
    org, later = orgkit.load(a), orgkit.load(b)
    ct = coverage.cloudtrail_coverage(org)
    figs = {"heatmap": coverage_heatmap(ct, title=f"{ACCOUNT_MATH} coverage"),
            "heatmap (OU labels)": coverage_heatmap(ct, max_labels=1),
            "ou tree": draw_ou_tree(org, coverage=ct).figure,
            "scp map": service_heatmap(scp.summary(org, by="service"), top=5, title=ACCOUNT_MATH),
            "change tree": draw_change_tree(later, diff(org, later), title=ACCOUNT_MATH).figure}
    for what, fig in figs.items():
        texts = _texts(fig)
        for t in texts:
            _, is_math = t._preprocess_math(t.get_text())
            assert not is_math, f"{what}: {t.get_text()!r} is read as mathtext"
        if what != "heatmap (OU labels)":  # what is drawn reads as the name (matplotlib undoes the escaping)
            shown = [t._preprocess_math(t.get_text())[0] for t in texts]
            assert any(ACCOUNT_MATH in x for x in shown), f"{what}: the name is not drawn as typed"


def test_every_html_table_escapes_values_labels_and_names(snaps):
    """The HTML of the tables the notebooks and reports show (display.style and Table, the change table, the Org
    summary): no tag or attribute made of a value, every value there as escaped text."""
    import html as _html

    import orgkit
    from orgkit.diff import diff
    from orgkit.diff.notebook import table as change_table
    from orgkit.display import Table, style

    evil = "<img src=q onerror=alert(1)>"
    df = pd.DataFrame({"account_name": [ACCOUNT_SCRIPT, [evil, "b"], {"k": evil}], "status": ["covered", evil, None],
                       evil: [1.5, 2.0, 3.0]},
                      index=pd.Index([OU_SVG, "a", "b"], name=evil))
    df.columns.name = ACCOUNT_IMG
    a, b = snaps
    org, later = orgkit.load(a), orgkit.load(b)
    pages = {"style": style(df, caption=evil).to_html(), "Table": Table(df)._repr_html_(),
             "Table (folded)": Table(df, columns=["status"])._repr_html_(),
             "accounts": Table(org.accounts)._repr_html_(), "ous": Table(org.ous)._repr_html_(),
             "changes": change_table(diff(org, later)).to_html(), "org": org._repr_html_()}
    for what, page in pages.items():
        for tag in ("<img", "<script", "<svg", "<iframe", "<body"):
            assert tag not in page, f"{what}: {tag} made of a value"
        assert "mathjax_ignore" in page, what
    # the text a reader sees (break opportunities <wbr> and the spans that keep a token whole are markup of orgkit's)
    seen = re.sub(r"<wbr>|<span class=\"[^\"<>]*\">|</span>", "", pages["style"])
    assert _html.escape(ACCOUNT_SCRIPT) in seen or _html.escape(ACCOUNT_SCRIPT, quote=False) in seen
    assert "&lt;img src=q onerror=alert(1)&gt;" in pages["Table (folded)"]  # in the folded columns' list too
