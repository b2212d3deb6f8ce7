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


KIND_COLOURS = {"root": "#34495e", "ou": "#2e86c1", "account": "#7f8c8d", "management": "#c0392b"}


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


def draw_ou_tree(org: Any, ax: Any = None, show_scps: bool = True, policy_names: bool = True,
                 highlight: list[str] | None = None, figsize: tuple[float, float] | None = None) -> Any:
    """Draw the organisation's tree (root → OUs → accounts), with the SCPs attached at each node.

    ``highlight``: node ids to emphasise (e.g. one account's chain). Returns a matplotlib Figure that is not
    registered with pyplot (no global state): a notebook shows it as a cell's value, a script saves it.
    """
    from matplotlib.figure import Figure

    g = org.graph
    pos = tree_layout(g)
    width = max(x for x, _ in pos.values()) + 1
    depth = -min(y for _, y in pos.values()) + 1
    if ax is None:
        fig = Figure(figsize=figsize or (max(8.0, width * 1.35), max(4.0, depth * 1.6)))
        ax = fig.subplots()
    else:
        fig = ax.figure
    names = dict(zip(org.policies["policy_id"], org.policies["name"])) if policy_names else {}
    hl = set(highlight or [])
    for u, v in g.edges():
        (x1, y1), (x2, y2) = pos[u], pos[v]
        on = u in hl and v in hl
        ax.plot([x1, x2], [y1, y2], color="#c0392b" if on else "#bdc3c7", lw=2.2 if on else 1.0, zorder=1)
    for n, d in g.nodes(data=True):
        x, y = pos[n]
        kind = "management" if d.get("is_management") else d.get("kind", "account")
        ax.scatter([x], [y], s=260 if kind != "account" else 150, color=KIND_COLOURS.get(kind, "#7f8c8d"),
                   zorder=2, edgecolors="#c0392b" if n in hl else "white", linewidths=2.5 if n in hl else 1.0)
        label = str(d.get("name") or n)
        if kind == "management":
            label += "\n(management)"
        ax.text(x, y + 0.16, label, ha="center", va="bottom", fontsize=8, zorder=3,
                fontweight="bold" if kind in ("root", "ou") else "normal")
        if show_scps and d.get("scps"):
            scps = [names.get(p, p) for p in d["scps"]]
            ax.text(x, y - 0.16, "\n".join(scps), ha="center", va="top", fontsize=6.5, color="#6c3483", zorder=3,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.5})
    ax.set_xlim(-0.8, width - 0.2)
    ax.set_ylim(-depth + 0.2, 0.7)
    ax.axis("off")
    return fig
