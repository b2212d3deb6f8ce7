"""Presentation: one colour-blind-safe palette for heatmaps, tables and the tree; notebook tables; the pictures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import orgkit  # noqa: E402
from orgkit import coverage as cov  # noqa: E402
from orgkit import palette  # noqa: E402
from orgkit.coverage import cloudtrail as ct_mod, guardduty as gd_mod  # noqa: E402
from orgkit.display import MISSING, Table, cell_css, style  # noqa: E402


def _rgb(h):
    h = h.lstrip("#")
    return [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]


def _lightness(h):
    r, g, b = _rgb(h)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _deuteranopia(h):
    """Machado et al. (2009) deuteranopia simulation (severity 1), on linear-ish RGB: enough to compare colours."""
    r, g, b = _rgb(h)
    m = [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 1.968881]]
    return [min(1, max(0, m[i][0] * r + m[i][1] * g + m[i][2] * b)) for i in range(3)]


def _distance(a, b):
    return sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5


def test_every_coverage_status_has_a_colour_including_not_delivering():
    for s in set(ct_mod.STATUSES) | set(gd_mod.STATUSES) | {"not_delivering"}:
        assert s in palette.STATUS_COLOURS, s


@pytest.mark.parametrize("a,b", [("administrator", "org_member"), ("org_member", "invited_member"),
                                 ("standalone", "suspended"), ("partial", "not_delivering"),
                                 ("not_delivering", "not_logging"), ("covered", "not_logging"),
                                 ("covered", "none"), ("suspended", "none"), ("covered", "partial")])
def test_neighbouring_statuses_stay_apart_for_colour_blind_readers(a, b):
    ca, cb = palette.STATUS_COLOURS[a], palette.STATUS_COLOURS[b]
    assert _distance(_deuteranopia(ca), _deuteranopia(cb)) > 0.15, (a, b)


def test_good_is_not_green_and_gaps_darken():
    r, g, b = _rgb(palette.STATUS_COLOURS["covered"])
    assert b > g  # good is blue, never the green of a red/green pair
    gaps = [palette.STATUS_COLOURS[s] for s in ("partial", "not_delivering", "not_logging", "none")]
    assert [_lightness(c) for c in gaps] == sorted((_lightness(c) for c in gaps), reverse=True)


def test_cell_text_is_readable_on_every_fill():
    for fill in palette.STATUS_COLOURS.values():
        text = palette.text_colour(fill)
        lf, lt = _lightness(fill), _lightness(text)
        assert abs(lf - lt) > 0.4, fill


def test_tables_colour_status_cells_show_shares_and_missing_one_way():
    df = pd.DataFrame({"account_id": ["000000000001", "000000000002"], "region": ["ap-southeast-2", None],
                       "status": ["covered", "not_logging"], "cloudtrail_share": [0.5, float("nan")],
                       "reason": [None, ""]})
    html = style(df).to_html()
    assert palette.STATUS_COLOURS["not_logging"].lower() in html.lower()
    assert "50%" in html and "nan" not in html.lower() and "None" not in html
    assert html.count(MISSING) == 4  # None (twice), NaN and "" all look the same
    assert "white-space: nowrap" in html
    assert cell_css("covered").startswith("background-color: #4477aa")


def test_wide_frames_fold_the_details():
    inv = cov.trail_inventory(orgkit.load())
    h = Table(inv)._repr_html_()
    main, folded = h.split("<details>", 1)
    assert "trail_arn" not in main.split("</table>")[0].split("<thead>")[1] and "trail_arn" in folded
    assert "status" in main


def test_runbook_headline_is_done_only_when_nothing_is_pending():
    from orgkit.guardduty.notebook import GroupRun

    pending = GroupRun("enrol", "preview", pd.DataFrame({"status": ["pending", "skipped"], "message": ["", ""],
                                                         "expected": ["", ""]}))
    done = GroupRun("enrol", "apply", pd.DataFrame({"status": ["done", "skipped"], "message": ["", ""],
                                                    "expected": ["", ""]}))
    stopped = GroupRun("enrol", "apply", pd.DataFrame({"status": ["failed"], "message": [""], "expected": [""]}),
                       stopped_at="x")
    assert pending.outcome() == "pending" and "Pending." in pending._repr_html_()
    assert done.outcome() == "done" and "Done." in done._repr_html_()
    assert stopped.outcome() == "stopped" and "Stopped." in stopped._repr_html_()


def test_cloudtrail_heatmap_shows_the_stopped_trail():
    from orgkit.coverage.report import trail_marks
    from orgkit.plots import coverage_heatmap

    org = orgkit.load()
    ct = cov.cloudtrail_coverage(org)
    marks = trail_marks(org, ct)
    inv = cov.trail_inventory(org)
    stopped = inv[inv["status"] == "not_logging"]
    assert len(stopped)  # the demo plants one
    assert set(stopped["account_id"]) <= set(marks.loc[marks["mark"] == "trail stopped", "account_id"])
    fig = coverage_heatmap(ct, "CloudTrail", marks=marks)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("trail stopped" in t for t in texts)
    assert any("trail stopped" in t.get_text() for t in fig.axes[0].get_legend().get_texts())


def test_ou_tree_coloured_by_coverage_without_full_aws_access():
    from orgkit.ougraph import coverage_shares, draw_ou_tree

    org = orgkit.load()
    cv = pd.concat([cov.cloudtrail_coverage(org), cov.guardduty_coverage(org)])
    fig = draw_ou_tree(org, coverage=cv)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert not any("FullAWSAccess" in t and "no FullAWSAccess" not in t for t in texts)
    assert any(t.endswith("%") for t in texts)
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= 8
    fills = {tuple(c.get_facecolor()[0]) for c in fig.axes[0].collections}
    assert len(fills) >= 2  # coverage differs across the demo's nodes
    shares = coverage_shares(org, cv)
    root = next(n for n, k in org.graph.in_degree() if k == 0)
    assert shares[root][1] == int((cv["status"] != "not_applicable").sum())


def test_empty_and_numeric_wide_frames_display():
    empty = pd.DataFrame({f"c{i}": pd.Series([], dtype="int64") for i in range(14)})
    assert "<table" in Table(empty)._repr_html_()
    numbers = pd.DataFrame({f"column_number_{i}": [1, 2] for i in range(20)})
    h = Table(numbers)._repr_html_()
    assert "<details>" in h and "column_number_0" in h


def test_a_frame_with_repeated_row_labels_displays():
    df = pd.DataFrame({"account_name": ["a", "b"], "exposure": [["x", "y"], ["z"]]}).explode("exposure")
    assert not df.index.is_unique
    assert "<table" in Table(df)._repr_html_() and "<table" in style(df).to_html()


# --- notebook tables never break a token inside (issue 19, point 2) ---------------------------------------------------

import html as _html  # noqa: E402
import re as _re  # noqa: E402

_PART = _re.compile(r'<span class="ok-tok">(.*?)</span>|(<wbr>)|([^<]+)', _re.S)


def loose_breaks(cell: str) -> list[str]:
    """The places in a cell's HTML where a browser may break a line other than at a space or a ``<wbr>``: a
    character such as ``-`` or ``/`` in plain text (outside a nowrap span) that is not followed by ``<wbr>``."""
    bad = []
    parts = [m for m in _PART.finditer(cell)]
    assert "".join(m.group(0) for m in parts) == cell, f"unexpected markup in {cell!r}"
    for i, m in enumerate(parts):
        text = m.group(3)
        if text is None:
            continue
        for word in _html.unescape(text).split(" "):
            inner = word.rstrip(":/-.,;=") if (word and i + 1 < len(parts) and parts[i + 1].group(2)
                                              and text.endswith(word)) else word
            if len(inner) > 1 and any(not (ch.isalnum() or ch in "_'\"()#*&<>;@+%,=[]{}!?$") for ch in inner):
                bad.append(word)
    return bad


def cells(page: str) -> list[str]:
    return _re.findall(r"<td[^>]*>(.*?)</td>", page, flags=_re.S)


def test_notebook_cells_break_only_at_spaces_and_after_separators():
    from orgkit.display import cell_html

    values = ["us-east-1", "arn:aws:cloudtrail:us-east-1:012345678901:trail/org-trail", "Root/Engineering/Dev",
              "p-FullAWSAccess", "408053428601", "read and write events by org-trail (p-sovnyomh)",
              "<script>alert(1)</script> & Co", "evil\x1b[31m\nname"]
    page = style(pd.DataFrame({"source": values, "reason": values, "region": values})).to_html()
    assert "overflow-wrap: anywhere" not in page and "break-all" not in page
    assert "span.ok-tok" in page and "white-space: nowrap" in page
    found = cells(page)
    assert len(found) == 3 * len(values)
    for c, v in zip(found, [v for v in values for _ in range(3)]):
        assert _html.unescape(_re.sub(r"<[^>]+>", "", c)) == v.replace("\x1b", "\\x1b").replace("\n", "\\n"), c
        assert not loose_breaks(c), (c, loose_breaks(c))
    assert "<script>" not in page
    assert cell_html("us-east-1") == '<span class="ok-tok">us-east-1</span>'
    assert cell_html("Root/Engineering/Dev").count("<wbr>") == 2


def test_the_breaks_check_can_fail():
    assert loose_breaks("us-east-1") == ["us-east-1"]
    assert loose_breaks("Root/<wbr>Dev") == []


def test_an_ou_in_the_change_tree_wears_the_worst_below_it():
    # issue 19, point 4: the OU of an account with a regression is not shown unchanged or better
    from orgkit.diff import diff
    from orgkit.diff.notebook import demo_paths, worst_by_node

    before, later, _ = demo_paths()
    after = orgkit.load(later)
    changes = diff(orgkit.load(before), after)
    worst = worst_by_node(after, changes)
    rank = {"regression": 0, "improvement": 1, "neutral": 2}
    import networkx as nx

    checked = 0
    for node, sev in worst.items():
        for above in nx.ancestors(after.graph, node):
            assert above in worst and rank[worst[above]] <= rank[sev], (node, sev, above, worst.get(above))
            checked += 1
    assert checked and any(v == "regression" for v in worst.values())
    root = next(n for n, d in after.graph.nodes(data=True) if d.get("kind") == "root")
    assert worst[root] == "regression"


def test_every_table_of_the_committed_notebooks_breaks_only_at_separators():
    # issue 19, point 2, "for every notebook table": the HTML outputs as committed (rebuilt with tools/notebooks)
    import json
    from pathlib import Path

    books = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
    assert len(books) >= 5
    for book in books:
        n = 0
        for cell in json.loads(book.read_text())["cells"]:
            for out in cell.get("outputs", []):
                page = out.get("data", {}).get("text/html")
                if not page:
                    continue
                page = "".join(page) if isinstance(page, list) else page
                assert "overflow-wrap: anywhere" not in page and "break-all" not in page, book.name
                for td in cells(page):
                    n += 1
                    assert not loose_breaks(td), (book.name, td[:200])
                if "ok-tok" in page:
                    assert "span.ok-tok" in page, book.name  # the nowrap rule travels with the table
        assert n, f"{book.name}: no table"


def test_tables_keep_the_key_columns_within_the_page_and_name_what_they_fold():
    """Issue 19: the plan review's action/before/after/reason were off-screen in a 968 px output area. A Table keeps
    the columns a reader needs first, no more than fit :data:`PAGE_PX` at their narrowest, and folds the rest in
    tables that fit too, naming each folded column."""
    import re

    from orgkit.diff.notebook import demo_paths, plan_review, table
    from orgkit.display import PAGE_PX, column_px

    _, later, plan = demo_paths()
    planned = plan_review(orgkit.load(later), plan, principal="role/Developer")
    cols = ["kind", "severity", "policy_id", "policy_name", "account_name", "action", "before", "after", "reason"]
    t = table(planned[planned.kind != "scp_effect"], cols)
    assert {"severity", "action", "before", "after", "reason"} <= set(t.columns)
    assert t.folded and set(t.columns) | set(t.folded) == set(cols)
    assert sum(column_px(t.df.head(200), c, t.wrap)[0] for c in t.columns) <= PAGE_PX
    h = t._repr_html_()
    summary = re.search(r"<summary>(.*?)</summary>", h).group(1)
    assert all(c in summary for c in t.folded)
    folded_tables = h.split("<details>", 1)[1]
    for c in t.folded:
        assert f">{c}</th>" in folded_tables.replace("<wbr>", "")
    # each folded table fits the page too (beside the columns that name its rows)
    for part in folded_tables.split("</table>")[:-1]:
        heads = [re.sub("<[^>]+>", "", x) for x in re.findall(r'class="col_heading[^"]*" >(.*?)</th>', part)]
        assert sum(column_px(t.df.head(200), c, t.wrap)[0] for c in heads) <= PAGE_PX, heads


def test_a_narrow_frame_is_shown_whole_and_headers_break_after_underscores():
    df = pd.DataFrame({"account_id": ["408053428601"], "est_monthly_usd": [1.5]})
    t = Table(df)
    assert t.columns == ["account_id", "est_monthly_usd"] and not t.folded
    h = t._repr_html_()
    assert "<details>" not in h and "est_<wbr>monthly_<wbr>usd" in h
