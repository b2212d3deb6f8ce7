"""The OU tree: paths, and the tree as a picture (a deterministic hierarchical layout, no randomness, no graphviz).

Paths (``Root/Engineering/Prod``) join the names from the root with ``/``. An OU or account name may itself hold a
``/`` (Organizations allows any ASCII character in an OU name: "Pattern: [\\s\\S]*",
https://docs.aws.amazon.com/organizations/latest/APIReference/API_OrganizationalUnit.html), so each name is
escaped: ``\\`` becomes ``\\\\`` and ``/`` becomes ``\\/``. An OU named ``Engineering/Production`` under the root
has the path ``Root/Engineering\\/Production``, the OU ``Production`` inside ``Engineering`` has
``Root/Engineering/Production``: never the same. :func:`split_path` and :func:`path_prefixes` read paths back.

The layout (used by the quickstart and SCP-inheritance notebooks) is a tidy tree: leaves are spaced evenly in the
order of their path, each parent sits above the middle of its children, depth goes down.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from orgkit import palette as _palette

SEP = "/"


def escape_name(name: Any) -> str:
    """One path segment: the name with ``\\`` and ``/`` escaped by a backslash."""
    return str(name).replace("\\", "\\\\").replace(SEP, "\\" + SEP)


def join_path(names: Any) -> str:
    """The path of a chain of names (root first), each escaped."""
    return SEP.join(escape_name(n) for n in names)


def child_path(parent_path: str, name: Any) -> str:
    return f"{parent_path}{SEP}{escape_name(name)}"


def split_path(path: str) -> list[str]:
    """The names of a path (unescaped), root first: ``split_path(r"Root/A\\/B/C") == ["Root", "A/B", "C"]``."""
    parts, cur, i = [], [], 0
    while i < len(path):
        c = path[i]
        if c == "\\" and i + 1 < len(path):
            cur.append(path[i + 1])
            i += 2
            continue
        if c == SEP:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def path_prefixes(path: str) -> list[str]:
    """Every ancestor path of ``path`` and itself, root first (escaped as paths are)."""
    names = split_path(path)
    return [join_path(names[:k]) for k in range(1, len(names) + 1)]


FIGURE_WIDTH_IN = _palette.FIGURE_WIDTH_IN
#: lines of a node's policy list under its name (the rows are 0.62 in apart: room for the name and three lines)
MAX_POLICY_LINES = 3
KIND_COLOURS = {"root": "#34495e", "ou": "#2e86c1", "account": "#7f8c8d", "management": "#c0392b"}


def tree_axes(graph: nx.DiGraph, ax: Any = None, figsize: tuple[float, float] | None = None, *, per_leaf: float,
              pad: float, least: float) -> tuple[Any, Any, dict[str, tuple[float, float]], int, int]:
    """The tree laid out left to right (depth across, leaves down the page) and the axes to draw it on: ``ax``, or
    a new figure :data:`FIGURE_WIDTH_IN` wide (never wider than a notebook's output area) that grows down by
    ``per_leaf`` inches a leaf, plus ``pad``, at least ``least``. Returns (figure, axes, positions, leaves,
    depth)."""
    from matplotlib.figure import Figure

    pos = {n: (-y, -x) for n, (x, y) in tree_layout(graph).items()}
    leaves = max(-y for _, y in pos.values()) + 1
    depth = max(x for x, _ in pos.values()) + 1
    if ax is None:
        fig = Figure(figsize=figsize or (FIGURE_WIDTH_IN, max(least, per_leaf * leaves + pad)), layout="constrained")
        ax = fig.subplots()
    else:
        fig = ax.figure
    return fig, ax, pos, leaves, depth


def tree_layout(graph: nx.DiGraph, root: str | None = None) -> dict[str, tuple[float, float]]:
    """Positions {node: (x, y)} for a rooted tree; y = -depth. Children are ordered by (kind, name) so the
    picture is the same on every run."""
    if root is None:
        root = next(n for n, d in graph.in_degree() if d == 0)
    pos: dict[str, tuple[float, float]] = {}
    next_x = [0.0]

    def key(n: str) -> tuple:
        d = graph.nodes[n]
        return (0 if d.get("kind") == "ou" else 1, str(d.get("name") or n), n)

    def place(n: str, depth: int) -> float:
        kids = sorted(graph.successors(n), key=key)
        if not kids:
            x = next_x[0]
            next_x[0] += 1.0
        else:
            xs = [place(k, depth + 1) for k in kids]
            x = (xs[0] + xs[-1]) / 2
        pos[n] = (x, -float(depth))
        return x

    place(root, 0)
    return pos


#: the AWS managed policy attached everywhere by default (its id is the same in every organisation): left out of
#: the labels, which then name only the SCPs that change something; a node *without* it says so
FULL_ACCESS = "p-FullAWSAccess"
#: the AWS managed RCP attached everywhere while RCPs are enabled (never detachable): left out of the labels
RCP_FULL_ACCESS = "p-RCPFullAWSAccess"
COVERED_STATUSES = frozenset({"covered", "administrator", "org_member", "invited_member"})
#: node fill by share of (account, region) cells covered, from the palette
COVERAGE_BINS = [("every cell covered", "covered"), ("some cells not covered", "partial"),
                 ("half or more not covered", "not_logging"), ("nothing readable", "unknown")]


def coverage_shares(org: Any, coverage: Any) -> dict[str, tuple[int, int, int]]:
    """{node: (covered cells, cells, unknown cells)} for every account and, summed, every OU and the root, from a
    coverage frame (account_id, status); ``not_applicable`` cells are left out."""
    g = org.graph
    d = coverage[coverage["status"] != "not_applicable"]
    per = {a: (int(x["status"].isin(COVERED_STATUSES).sum()), len(x), int((x["status"] == "unknown").sum()))
           for a, x in d.groupby("account_id")}
    out: dict[str, tuple[int, int, int]] = {}
    for n in nx.dfs_postorder_nodes(g, next(n for n, k in g.in_degree() if k == 0)):
        if g.nodes[n].get("kind") == "account":
            out[n] = per.get(n, (0, 0, 0))
        else:
            kids = [out[k] for k in g.successors(n)]
            out[n] = tuple(sum(v[i] for v in kids) for i in range(3))  # type: ignore[assignment]
    return out


def _bin(cov: tuple[int, int, int]) -> str:
    covered, cells, unknown = cov
    if cells == 0 or unknown == cells:
        return "unknown"
    if covered == cells:
        return "covered"
    return "partial" if covered * 2 > cells else "not_logging"


def draw_ou_tree(org: Any, ax: Any = None, show_scps: bool = True, policy_names: bool = True,
                 highlight: list[str] | None = None, figsize: tuple[float, float] | None = None,
                 coverage: Any = None) -> Any:
    """Draw the organisation's tree, root on the left, OUs and then accounts to the right, each node named with
    the SCPs attached directly to it (FullAWSAccess left out; a node without it is marked "no FullAWSAccess") and
    the resource control policies attached to it ("RCP: name", RCPFullAWSAccess left out).

    ``coverage``: a coverage frame (CloudTrail, GuardDuty or both stacked): nodes are then filled by the share of
    their (account, region) cells covered (an OU counts every account beneath it) and labelled with it.
    ``highlight``: node ids to emphasise (e.g. one account's chain). Returns a matplotlib Figure that is not
    registered with pyplot (no global state): a notebook shows it as a cell's value, a script saves it.
    """
    import textwrap

    from matplotlib.lines import Line2D

    from orgkit.palette import STATUS_COLOURS, literal

    g = org.graph
    # names and SCP lists read horizontally
    fig, ax, pos, leaves, depth = tree_axes(g, ax, figsize, per_leaf=0.62, pad=1.2, least=3.5)
    names = dict(zip(org.policies["policy_id"], org.policies["name"])) if policy_names else {}
    rcps = org.frames.get("rcps") if hasattr(org, "frames") else None
    if policy_names and rcps is not None and len(rcps):
        names.update(zip(rcps["policy_id"], rcps["name"]))
    shares = coverage_shares(org, coverage) if coverage is not None else None
    hl = set(highlight or [])
    # a level's column, in characters of the 8 pt policy list (about 0.6 em each): the list wraps inside it
    col_in = fig.get_size_inches()[0] / (depth + 0.9)
    wrap_at = max(16, int(col_in * 72 / (8 * 0.6)) - 2)

    from orgkit.display import text_px

    def fit(label: str, columns: float, size: float, suffix: str = "", bold: bool = False) -> str:
        """``label`` (then ``suffix``) shortened with "…" to ``columns`` of the tree at ``size`` pt (widths from the
        DejaVu advances of :func:`orgkit.display.text_px`, given for 13 px)."""
        room = columns * col_in * 72

        def width(t: str) -> float:
            return text_px(t, bold=bold) * size / 13

        if width(label + suffix) <= room:
            return label
        while len(label) > 4 and width(label + "…" + suffix) > room:
            label = label[:-1]
        return label + "…"

    shortened = 0
    for u, v in g.edges():
        (x1, y1), (x2, y2) = pos[u], pos[v]
        on = u in hl and v in hl
        xm = x1 + 0.5
        ax.plot([x1, xm, xm, x2], [y1, y1, y2, y2], color="#CC3311" if on else "#B0B0B0", lw=2.4 if on else 1.0,
                zorder=1, solid_joinstyle="miter")
    for n, d in g.nodes(data=True):
        x, y = pos[n]
        kind = "management" if d.get("is_management") else d.get("kind", "account")
        if shares is not None:
            fill = STATUS_COLOURS[_bin(shares[n])]
        else:
            fill = KIND_COLOURS.get(kind, "#7f8c8d")
        ax.scatter([x], [y], s=230 if kind in ("root", "ou") else 150, color=fill, zorder=2,
                   marker="s" if kind == "management" else "o",
                   edgecolors="#CC3311" if n in hl else "#333333", linewidths=2.6 if n in hl else 0.8)
        label = str(d.get("name") or n)
        if kind == "management":
            label += " (management: no SCP applies)"
        suffix = ""
        if shares is not None and shares[n][1]:
            c, t, _ = shares[n]
            suffix = f"  {c / t:.0%}"
        # a label may run right up to the next node on its row (an only child sits on its parent's row), or to the
        # figure's edge; a longer name is shortened with "…" and counted
        ahead = [x2 for x2, y2 in pos.values() if abs(y2 - y) < 0.45 and x2 > x]
        columns = (min(ahead) - x - 0.15) if ahead else depth + 0.7 - x
        size = 9.5
        if fit(label, columns, size, suffix, bold=kind in ("root", "ou")) != label:
            size = 8.5  # a point smaller before a name is shortened (still above 8 pt as shown)
        short = fit(label, columns, size, suffix, bold=kind in ("root", "ou"))
        if short != label:
            label, shortened = short, shortened + 1
        ax.text(x + 0.09, y + 0.05, literal(label + suffix), ha="left", va="bottom", fontsize=size, zorder=3,
                fontweight="bold" if kind in ("root", "ou") else "normal")
        if show_scps:
            attached = list(d.get("scps") or [])
            scps = [names.get(p, p) for p in attached if p != FULL_ACCESS]
            if kind != "management" and FULL_ACCESS not in attached:
                scps.append("no FullAWSAccess")
            scps += [f"RCP: {names.get(p, p)}" for p in d.get("rcps") or [] if p != RCP_FULL_ACCESS]
            if scps:
                lines = textwrap.wrap(", ".join(scps), wrap_at, break_long_words=True, break_on_hyphens=False)
                if len(lines) > MAX_POLICY_LINES:  # the rest would run into the next row: counted instead
                    for keep in range(len(scps) - 1, 0, -1):
                        lines = textwrap.wrap(", ".join(scps[:keep]) + f", +{len(scps) - keep} more", wrap_at,
                                              break_long_words=True, break_on_hyphens=False)
                        if len(lines) <= MAX_POLICY_LINES:
                            break
                    shortened += 1
                text = "\n".join(lines[:MAX_POLICY_LINES])
                ax.text(x + 0.09, y - 0.07, literal(text), ha="left", va="top", fontsize=8, color="#5B2C6F", zorder=3,
                        linespacing=1.05)
    ax.set_xlim(-0.15, depth - 0.1 + 0.9)
    ax.set_ylim(-leaves + 0.35, 0.6)
    ax.axis("off")
    handles = []
    if shares is not None:
        handles = [Line2D([], [], marker="o", ls="", markersize=9, markerfacecolor=STATUS_COLOURS[k],
                          markeredgecolor="#333333", label=t) for t, k in COVERAGE_BINS]
    handles.append(Line2D([], [], ls="", marker="", label="purple: SCPs (and RCPs) attached here (FullAWSAccess, RCPFullAWSAccess not listed)"))
    if shortened:
        handles.append(Line2D([], [], ls="", marker="", label=f"{shortened} long label(s) shortened (… or +n more)"))
    # below the tree, never over a node's label
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 0.0), fontsize=8.5, frameon=False,
              ncol=2 if len(handles) > 2 else 1)
    return fig
