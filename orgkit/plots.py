"""Figures shared by the notebooks and reports. Each function returns a :class:`matplotlib.figure.Figure` built
without pyplot's global state (so nothing leaks between cells or tests); notebooks display it as is."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from orgkit import palette as _palette

#: one fixed colour per status, for every coverage vocabulary: the colour-blind-safe palette of :mod:`orgkit.palette`
#: (good: blues; partly good: sand and light orange; gaps: orange to dark brown; unknown: grey; n/a: near white)
STATUS_COLOURS: dict[str, str] = dict(_palette.STATUS_COLOURS)
_ORDER = list(STATUS_COLOURS)
_OTHER = _palette.OTHER  # a status outside the vocabulary: visible, never silently merged with another
#: statuses left unnamed in the cells (the legend names them): the plainly good ones that need no word
FIGURE_WIDTH_IN = _palette.FIGURE_WIDTH_IN
_QUIET = {"covered", "org_member"}
_SHORT = _palette.SHORT


def coverage_heatmap(df: pd.DataFrame, title: str | None = None, *, max_labels: int = 80,
                     max_annotated_rows: int = 60, marks: pd.DataFrame | None = None) -> Figure:
    """Account × region heatmap of a coverage frame (columns account_id, account_name, ou_path, region, status).

    Accounts are grouped by OU (sorted by OU path, then name), with a line between OUs; regions keep their order
    in ``df``. Each status has a fixed colour (:data:`STATUS_COLOURS`) and the legend lists the statuses present.
    Regions label the top, accounts the left and OU paths (bold) the right when there are at most ``max_labels``
    accounts; beyond that the OU paths label the groups on the left. Cells whose status is not plainly good
    (anything but covered and org_member) are named in the cell when there are at most ``max_annotated_rows``
    accounts and 24 regions, in black or white, whichever reads on the fill; the legend sits below the grid.

    ``marks`` (columns account_id, region, mark): problems a cell's status does not show, such as a stopped trail
    hidden behind another trail that covers the cell. Marked cells are hatched and carry the mark's words; the
    legend names each mark.
    """
    need = {"account_id", "region", "status"}
    if not need <= set(df.columns):
        raise ValueError(f"coverage_heatmap needs columns {sorted(need)}")
    d = df.copy()
    for c in ("account_name", "ou_path"):
        if c not in d:
            d[c] = None
    accounts = (d[["account_id", "account_name", "ou_path"]].drop_duplicates("account_id")
                .fillna({"ou_path": "", "account_name": ""})
                .sort_values(["ou_path", "account_name", "account_id"], kind="stable"))
    regions = list(dict.fromkeys(d["region"]))
    present = list(dict.fromkeys(d["status"]))
    statuses = [s for s in _ORDER if s in present] + sorted(s for s in present if s not in STATUS_COLOURS)
    code = {s: i for i, s in enumerate(statuses)}
    a_idx = {a: i for i, a in enumerate(accounts["account_id"])}
    r_idx = {r: i for i, r in enumerate(regions)}
    grid = np.full((len(accounts), len(regions)), np.nan)
    if len(d):
        grid[d["account_id"].map(a_idx).to_numpy(dtype=int), d["region"].map(r_idx).to_numpy(dtype=int)] = \
            d["status"].map(code).to_numpy(dtype=float)

    n_a, n_r = len(accounts), len(regions)
    label_accounts = n_a <= max_labels
    width_in = min(4.5 + 1.0 * n_r, FIGURE_WIDTH_IN)
    # a cell is named only when its longest word fits its column at 8 pt (about 0.07 in a character): with many
    # regions the cells are too narrow, the labels would overlap, and the title says the cells are not named
    words_shown = [_SHORT.get(s, s) for s in statuses if s not in _QUIET]
    if marks is not None and len(marks):
        words_shown += [str(m) for m in marks["mark"]]
    longest = max(map(len, words_shown), default=0)
    narrow_cells = bool(len(d)) and longest * 0.07 > (width_in - 4.5) / max(n_r, 1) + 0.15
    annotate = len(d) and n_a <= max_annotated_rows and not narrow_cells
    # at most FIGURE_WIDTH_IN wide: the image is then shown at its own size in a notebook, its 8 pt labels read as such
    fig = Figure(figsize=(width_in, min(2.6 + 0.26 * n_a, 22)), layout="constrained")
    ax = fig.add_subplot()
    colours = [STATUS_COLOURS.get(s, _OTHER) for s in statuses] or ["#ffffff"]
    cmap = ListedColormap(colours).with_extremes(bad="#ffffff")
    norm = BoundaryNorm(np.arange(len(colours) + 1) - 0.5, len(colours))
    if not len(d):
        ax.text(0.5, 0.5, "no rows", ha="center", va="center", transform=ax.transAxes)
    else:
        ax.imshow(np.ma.masked_invalid(grid), aspect="auto", interpolation="nearest", cmap=cmap, norm=norm)
    # regions along the top, where a reader starts; thin white lines between cells
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xticks(range(n_r), regions, rotation=45 if n_r > 6 else 0, ha="left" if n_r > 6 else "center",
                  fontsize=8)
    ax.tick_params(length=0)
    if len(d) and n_a <= 150 and n_r <= 40:
        ax.set_xticks(np.arange(n_r + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(n_a + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="white", linewidth=0.6)
        ax.tick_params(which="minor", length=0)
    ous = list(accounts["ou_path"])
    bounds = [i for i in range(1, n_a) if ous[i] != ous[i - 1]]
    for b in bounds:
        ax.axhline(b - 0.5, color="#333333", linewidth=1.2)
    starts = [0] + bounds if n_a else []
    ends = bounds + [n_a] if n_a else []
    centres = [(s + e - 1) / 2 for s, e in zip(starts, ends)]
    ou_labels = [_palette.literal(ous[s] or "(no OU)") for s in starts]
    if label_accounts:
        labels = [_palette.literal(f"{n} ({a})" if n else a) for a, n in zip(accounts["account_id"], accounts["account_name"])]
        ax.set_yticks(range(n_a), labels, fontsize=8)
        # the OU of each group, on the right
        right = ax.secondary_yaxis("right")
        right.set_yticks(centres, ou_labels, fontsize=8, fontweight="bold")
        right.tick_params(length=0)
        for spine in right.spines.values():
            spine.set_visible(False)
    else:
        ax.set_yticks(centres, ou_labels, fontsize=8)
    marked: dict[tuple[int, int], list[str]] = {}
    if marks is not None and len(marks) and len(d):
        for a, r, m in marks[["account_id", "region", "mark"]].itertuples(index=False):
            if a in a_idx and r in r_idx:
                marked.setdefault((a_idx[a], r_idx[r]), []).append(str(m))
        for (i, j) in marked:
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#000000",
                                   linewidth=0, alpha=0.55))
    if annotate:
        # name the cells that are not plainly good, so statuses of close colours stay apart (and colour-blind
        # readers need not rely on colour); a marked cell also carries its mark
        for (i, j), v in np.ndenumerate(grid):
            if np.isnan(v):
                continue
            s = statuses[int(v)]
            words = [] if s in _QUIET else [_SHORT.get(s, s)]
            words += sorted(set(marked.get((i, j), [])))
            words = [w for w in words if w]
            if not words:
                continue
            fill = STATUS_COLOURS.get(s, _OTHER)
            ax.text(j, i, "\n".join(words), ha="center", va="center", fontsize=8, linespacing=1.0,
                    color=_palette.text_colour(fill), fontweight="bold" if (i, j) in marked else "normal",
                    bbox={"facecolor": fill, "edgecolor": "none", "pad": 0.6, "alpha": 0.9} if (i, j) in marked
                    else None)
    ax.set_ylabel("account (grouped by OU)" if label_accounts else "OU")
    if title:
        ax.set_title(_palette.literal(title) + ("\n(cells too narrow to be named: the legend gives the colours)"
                                                if narrow_cells and n_a <= max_annotated_rows else ""), fontsize=11)
    handles = [Patch(facecolor=STATUS_COLOURS.get(s, _OTHER), edgecolor="#666666", label=s) for s in statuses]
    for m in sorted({m for ms in marked.values() for m in ms}):
        handles.append(Patch(facecolor="white", edgecolor="#000000", hatch="///", label=_palette.literal(f"hatched: {m}")))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), fontsize=8, frameon=False,
              ncol=min(len(handles), 3) or 1)
    return fig
