"""Figures shared by the notebooks and reports. Each function returns a :class:`matplotlib.figure.Figure` built
without pyplot's global state (so nothing leaks between cells or tests); notebooks display it as is."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

#: one fixed colour per status, for every coverage vocabulary (good: greens; partial: ambers; bad: reds; logging but
#: not delivering: magenta, unlike any other; unknown: grey; not applicable: near white)
STATUS_COLOURS: dict[str, str] = {
    "covered": "#1a9850",
    "administrator": "#006837",
    "org_member": "#1a9850",
    "invited_member": "#91cf60",
    "partial": "#fee08b",
    "standalone": "#fdae61",
    "pending": "#fee08b",
    "not_delivering": "#c51b7d",
    "not_logging": "#f46d43",
    "suspended": "#f46d43",
    "none": "#d73027",
    "unknown": "#969696",
    "not_applicable": "#f0f0f0",
}
_ORDER = list(STATUS_COLOURS)
_OTHER = "#7b3294"  # a status outside the vocabulary: visible, never silently merged with another
_GOOD = {"covered", "administrator", "org_member", "invited_member"}  # cells left unnamed in the heatmap
_SHORT = {"not_applicable": "n/a", "not_delivering": "undelivered"}
_DARK = {"none", "not_logging", "not_delivering", "suspended", "unknown", "administrator"}  # white text on these


def coverage_heatmap(df: pd.DataFrame, title: str | None = None, *, max_labels: int = 80,
                     max_annotated_rows: int = 60) -> Figure:
    """Account × region heatmap of a coverage frame (columns account_id, account_name, ou_path, region, status).

    Accounts are grouped by OU (sorted by OU path, then name), with a line between OUs; regions keep their order
    in ``df``. Each status has a fixed colour (:data:`STATUS_COLOURS`) and the legend lists the statuses present.
    Regions label the top, accounts the left and OU paths (bold) the right when there are at most ``max_labels``
    accounts; beyond that the OU paths label the groups on the left. Cells whose status is not plainly good
    (covered, administrator, member) are named in the cell when there are at most ``max_annotated_rows`` accounts
    and 24 regions; the legend sits below the grid.
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
    annotate = len(d) and n_a <= max_annotated_rows and n_r <= 24
    fig = Figure(figsize=(min(4.5 + 0.75 * n_r, 18), min(2.6 + 0.24 * n_a, 20)), layout="constrained")
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
    ou_labels = [ous[s] or "(no OU)" for s in starts]
    if label_accounts:
        labels = [f"{n} ({a})" if n else a for a, n in zip(accounts["account_id"], accounts["account_name"])]
        ax.set_yticks(range(n_a), labels, fontsize=7)
        # the OU of each group, on the right
        right = ax.secondary_yaxis("right")
        right.set_yticks(centres, ou_labels, fontsize=7, fontweight="bold")
        right.tick_params(length=0)
        for spine in right.spines.values():
            spine.set_visible(False)
    else:
        ax.set_yticks(centres, ou_labels, fontsize=7)
    if annotate:
        # name the cells that are not plainly good, so statuses of close colours stay apart (and colour-blind
        # readers need not rely on colour)
        for (i, j), v in np.ndenumerate(grid):
            if np.isnan(v) or statuses[int(v)] in _GOOD:
                continue
            s = statuses[int(v)]
            ax.text(j, i, _SHORT.get(s, s), ha="center", va="center", fontsize=6,
                    color="white" if s in _DARK else "#333333")
    ax.set_ylabel("account (grouped by OU)" if label_accounts else "OU")
    if title:
        ax.set_title(title, fontsize=11)
    handles = [Patch(facecolor=STATUS_COLOURS.get(s, _OTHER), edgecolor="#666666", label=s) for s in statuses]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), fontsize=8, frameon=False,
              ncol=min(len(handles), 3) or 1)
    return fig
