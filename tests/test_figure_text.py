"""Issue 19: every figure the notebooks draw is readable at the size JupyterLab shows it (1400x1000, file browser
open): no label under 8 pt as displayed, no two labels overlapping (extents from matplotlib's renderer); long
lists are left out or shortened and the figure says so."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import orgkit  # noqa: E402
from figure_text import displayed_scale, overlaps, small_text  # noqa: E402
from orgkit import coverage as cov  # noqa: E402


def _figures():
    from orgkit import scp
    from orgkit.coverage.report import trail_marks
    from orgkit.diff import diff
    from orgkit.diff.notebook import demo_paths, draw_change_tree, plan_review
    from orgkit.ougraph import draw_ou_tree
    from orgkit.plots import coverage_heatmap
    from orgkit.scp.notebook import chain_nodes, resolve_account
    from orgkit.scp.plots import service_heatmap

    org = orgkit.load()
    ct, gd = cov.cloudtrail_coverage(org), cov.guardduty_coverage(org)
    b, later, plan = demo_paths()
    after = orgkit.load(later)
    return {
        "ou tree, coverage (00)": lambda: draw_ou_tree(org, coverage=pd.concat([ct, gd])),
        "ou tree, chain (02)": lambda: draw_ou_tree(org, highlight=chain_nodes(org, resolve_account(org, None))),
        "CloudTrail heatmap (01)": lambda: coverage_heatmap(ct, "CloudTrail", marks=trail_marks(org, ct)),
        "GuardDuty heatmap (01)": lambda: coverage_heatmap(gd, "GuardDuty"),
        "SCP heatmap (02)": lambda: service_heatmap(scp.summary(org, by="service", principal="role/Developer"),
                                                    top=20, title="What SCPs take"),
        "change tree (04)": lambda: draw_change_tree(after, diff(orgkit.load(b), after, principal="role/Developer")),
        "plan tree (04)": lambda: draw_change_tree(after, plan_review(after, plan, principal="role/Developer")),
    }


FIGURES = _figures()


@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_text_is_readable_and_never_overlaps(name):
    fig = FIGURES[name]()
    assert displayed_scale(fig) >= 1.0, f"{name}: shown shrunk (wider than the output area)"
    assert not small_text(fig), f"{name}: labels under 8 pt as displayed: {small_text(fig)[:5]}"
    assert not overlaps(fig), f"{name}: overlapping labels: {overlaps(fig)[:5]}"


def test_the_scp_heatmap_names_the_services_it_leaves_out():
    from orgkit import scp
    from orgkit.scp.plots import service_heatmap, top_services

    s = scp.summary(orgkit.load(), by="service", principal="role/Developer")
    wanted = top_services(s, 20)
    fig = service_heatmap(s, top=20)
    shown = [t.get_text().rsplit(" (", 1)[0] for t in fig.axes[0].get_xticklabels()]
    left = [x for x in wanted if x not in shown]
    assert left, "the demo has more affected services than fit the page"
    note = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    assert f"{len(left)} more affected service(s) left out" in note and left[0] in note


def test_the_checker_catches_small_and_overlapping_text():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(20, 3))  # 2000 px: shown at about half size
    ax = fig.subplots()
    ax.text(0.5, 0.5, "a label", fontsize=9)
    ax.text(0.5, 0.5, "another", fontsize=9)
    assert small_text(fig) and overlaps(fig)


def test_long_names_and_many_policies_are_shortened_said_and_never_overlap():
    from orgkit.diff import diff
    from orgkit.diff.notebook import demo_paths, draw_change_tree
    from orgkit.ougraph import draw_ou_tree

    org = orgkit.load()
    g = org.graph
    ou = next(n for n, d in g.nodes(data=True) if d.get("kind") == "ou" and g.out_degree(n) == 1)
    leaf = next(iter(g.successors(ou)))
    g.nodes[ou]["name"] = "An organisational unit whose name goes on and on " * 2
    g.nodes[leaf]["name"] = "Account-" + "x" * 120
    g.nodes[ou]["scps"] = list(org.policies["policy_id"]) * 3
    fig = draw_ou_tree(org)
    assert displayed_scale(fig) >= 1.0 and not small_text(fig)
    assert not overlaps(fig), overlaps(fig)[:3]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("shortened" in t for t in legend), legend
    assert any("more" in t.get_text() for t in fig.axes[0].texts)

    b, later, _ = demo_paths()
    after = orgkit.load(later)
    changes = diff(orgkit.load(b), after)
    acct = changes["account_id"].dropna().iloc[0]
    after.graph.nodes[acct]["name"] = "Account-" + "y" * 120
    fig = draw_change_tree(after, changes)
    assert displayed_scale(fig) >= 1.0 and not small_text(fig) and not overlaps(fig)
    assert any("shortened" in t.get_text() for t in fig.axes[0].get_legend().get_texts())
