"""Notebook helpers for change review (notebooks/04-change-review.ipynb): the demo's pair of snapshots and plan,
styled change tables, and the OU tree coloured by where the changes are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from orgkit.diff.rows import ROW_ORDER, SEVERITIES
from orgkit.palette import SEVERITY_COLOURS, UNCHANGED  # the one palette (no red against green)
#: the columns a reader needs, in reading order
SHOW = ["kind", "severity", "account_name", "ou_path", "region", "before", "after", "reason"]
#: what a reader of a change row needs first when not every column fits the page (the others fold below)
READ_FIRST = ["severity", "account_name", "action", "before", "after", "reason", "kind", "region", "ou_path"]


def demo_paths(snapshot=None, later=None, plan=None) -> tuple[Path, Path, Path | None]:
    """(BEFORE, AFTER, PLAN) paths: those given; with no snapshot at all, the bundled demo, the demo some time later,
    and its plan. The demo's later snapshot or plan never stands in for one of yours: a ``snapshot`` given with no
    ``later`` is an error, and with no ``plan`` there is no plan review (None)."""
    from orgkit.demo import BUNDLED_LATER, BUNDLED_TFPLAN
    from orgkit.model import bundled_demo_path

    if not snapshot and not later:
        return bundled_demo_path(), BUNDLED_LATER, Path(plan) if plan else BUNDLED_TFPLAN
    if not snapshot or not later:
        raise ValueError("give both SNAPSHOT (the earlier snapshot) and LATER (the later one), or neither for the "
                         "bundled demo")
    return Path(snapshot), Path(later), Path(plan) if plan else None


def plan_review(after, plan_path, principal=None) -> pd.DataFrame:
    """:func:`orgkit.diff.diff_plan` of ``plan_path`` against ``after``; no plan (None): no rows."""
    from orgkit.diff import diff_plan
    from orgkit.diff.rows import frame

    return diff_plan(after, plan_path, principal=principal) if plan_path else frame([])


def table(changes: pd.DataFrame, columns: list[str] | None = None, uuid: str = "changes", max_rows: int = 60):
    """A view of change rows (:class:`orgkit.display.Table`: severity in the palette's colours, SCP decisions
    neutral, missing values one way, tokens unbroken, what does not fit the page folded below), at most ``max_rows`` rows (the frame keeps them all)."""
    from orgkit.display import Table

    cols = [c for c in (columns or SHOW) if c in changes.columns]
    df = changes[cols].head(max_rows).reset_index(drop=True)
    caption = f"first {max_rows} of {len(changes)} rows" if len(changes) > max_rows else None
    return Table(df, columns=cols, uuid=uuid, caption=caption, wrap=["reason"], first=READ_FIRST)


def effect_by_account(changes: pd.DataFrame) -> pd.DataFrame:
    """Per account, how many actions changed decision, by transition (from ``scp_effect`` rows)."""
    e = changes[changes["kind"] == "scp_effect"]
    if e.empty:
        return pd.DataFrame(columns=["account_name", "ou_path"])
    e = e.assign(transition=e["before"].fillna("?") + " → " + e["after"].fillna("?"),
                 n=e["count"].fillna(0).astype(int))
    t = e.pivot_table(index=["account_name", "ou_path"], columns="transition", values="n", aggfunc="sum",
                      fill_value=0)
    t.columns.name = None
    return t.reset_index()


def worst_by_node(org, changes: pd.DataFrame) -> dict[str, str]:
    """The worst severity of the changes at each node of ``org``'s tree (accounts by account_id; OUs and the root by
    target_id of the rows about them), and at each OU the worst below it."""
    rank = {s: i for i, s in enumerate(ROW_ORDER)}  # an unknown outranks an improvement: never hidden by one
    out: dict[str, str] = {}

    def put(node, sev) -> None:
        if node is None or node not in org.graph:
            return
        if node not in out or rank[sev] < rank[out[node]]:
            out[node] = sev

    for aid, tid, kind, sev, pid in zip(changes["account_id"], changes["target_id"], changes["kind"],
                                        changes["severity"], changes["policy_id"]):
        if kind == "scope":
            continue
        if kind in ("scp_edited", "scp_renamed", "scp_deleted") and pid is not None:
            for n, d in org.graph.nodes(data=True):  # where the policy is attached
                if pid in (d.get("scps") or ()):
                    put(n, sev)
            continue
        if aid is not None and aid in org.graph:
            put(aid, sev)
        elif tid is not None:
            put(tid, sev)
    # an OU (and the root) wears the worst of what is under it
    import networkx as nx

    for node, sev in list(out.items()):
        for above in nx.ancestors(org.graph, node):
            put(above, sev)
    return out


def draw_change_tree(org, changes: pd.DataFrame, ax: Any = None, title: str | None = None,
                     figsize: tuple[float, float] | None = None) -> Any:
    """The OU tree of ``org`` (usually the AFTER organisation), root on the left, accounts down the page, with each
    account, OU and the root coloured by the worst change there or under it, in the palette's colours
    (:data:`orgkit.palette.SEVERITY_COLOURS`: vermillion regression, orange unknown, blue improvement, grey neutral,
    near white unchanged), and a count of the changes at each node in brackets. The figure is
    :data:`orgkit.palette.FIGURE_WIDTH_IN` wide at most; a name longer than its level's column is shortened with "…"
    and the legend counts them. Deterministic layout (:func:`orgkit.ougraph.tree_axes`); returns a matplotlib Figure
    not registered with pyplot."""
    from matplotlib.lines import Line2D

    from orgkit.ougraph import tree_axes
    from orgkit.palette import literal

    g = org.graph
    # names read horizontally and never crowd each other however many accounts there are
    fig, ax, pos, leaves, depth = tree_axes(g, ax, figsize, per_leaf=0.34, pad=1.0, least=3.0)
    worst = worst_by_node(org, changes)
    n_at: dict[str, int] = {}
    for aid, tid, kind in zip(changes["account_id"], changes["target_id"], changes["kind"]):
        node = aid if aid is not None and aid in g else tid if tid is not None and tid in g else None
        if node is not None and kind != "scope":
            n_at[node] = n_at.get(node, 0) + 1
    # a column per level, as wide as the page allows; a name longer than its column is shortened (with "…"), and
    # the legend says so; the full names are in the change rows
    col_in = fig.get_size_inches()[0] / (depth + 0.6)
    room = max(8, int(col_in * 72 / (9 * 0.62)) - 2)
    shortened = 0
    for u, v in g.edges():
        (x1, y1), (x2, y2) = pos[u], pos[v]
        hot = v in worst
        xm = x1 + 0.5
        ax.plot([x1, xm, xm, x2], [y1, y1, y2, y2], color="#7f8c8d" if hot else "#d5dbdb", lw=1.6 if hot else 0.8,
                zorder=1, solid_joinstyle="miter")
    for n, d in g.nodes(data=True):
        x, y = pos[n]
        sev = worst.get(n)
        colour = SEVERITY_COLOURS[sev] if sev else UNCHANGED
        size = 120 if d.get("kind") in ("root", "ou") else 80
        marker = "s" if d.get("kind") in ("root", "ou") else "o"
        ax.scatter([x], [y], s=size, color=colour, marker=marker, zorder=2,
                   edgecolors="white" if sev else "#999999", linewidths=1.0)
        label = str(d.get("name") or n)
        if n_at.get(n):
            label += f" ({n_at[n]})"
        if len(label) > room:
            label, shortened = label[:room - 1] + "…", shortened + 1
        ax.text(x + 0.07, y + 0.04, literal(label), ha="left", va="bottom", fontsize=9, zorder=3,
                fontweight="bold" if d.get("kind") in ("root", "ou") else "normal")
    handles = [Line2D([], [], marker="o", ls="", color=SEVERITY_COLOURS[s], label=s) for s in SEVERITIES]
    handles.append(Line2D([], [], marker="o", ls="", color=UNCHANGED, markeredgecolor="#999999", label="unchanged"))
    handles.append(Line2D([], [], ls="", marker="", label="(n): changes at the node"))
    if shortened:
        handles.append(Line2D([], [], ls="", marker="", label=f"{shortened} long name(s) shortened with …"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 0.0), fontsize=8.5, frameon=False, ncol=4)
    ax.set_xlim(-0.15, depth - 0.4)
    ax.set_ylim(-leaves + 0.4, 0.6)
    ax.axis("off")
    if title:
        ax.set_title(literal(title), fontsize=10)
    return fig
