"""Figures shared by the notebooks and reports. Each function returns a :class:`matplotlib.figure.Figure` built
without pyplot's global state (so nothing leaks between cells or tests); notebooks display it as is."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

#: one fixed colour per status, for every coverage vocabulary (good: greens; partial: ambers; bad: reds; unknown:
#: grey; not applicable: near white)
STATUS_COLOURS: dict[str, str] = {
    "covered": "#1a9850",
    "administrator": "#006837",
    "org_member": "#1a9850",
    "invited_member": "#91cf60",
    "partial": "#fee08b",
    "standalone": "#fdae61",
    "pending": "#fee08b",
    "not_logging": "#f46d43",
    "suspended": "#f46d43",
    "none": "#d73027",
    "unknown": "#969696",
    "not_applicable": "#f0f0f0",
}
_ORDER = list(STATUS_COLOURS)
_OTHER = "#7b3294"  # a status outside the vocabulary: visible, never silently merged with another


def coverage_heatmap(df: pd.DataFrame, title: str | None = None, *, max_labels: int = 80) -> Figure:
    """Account × region heatmap of a coverage frame (columns account_id, account_name, ou_path, region, status).

    Accounts are grouped by OU (sorted by OU path, then name), with a line between OUs; regions keep their order
    in ``df``. Each status has a fixed colour (:data:`STATUS_COLOURS`) and the legend lists the statuses present.
    Account labels are drawn when there are at most ``max_labels`` accounts, else the OU paths label the groups.
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
    fig = Figure(figsize=(min(3.5 + 0.5 * n_r, 16), min(1.8 + 0.22 * n_a, 18)), layout="constrained")
    ax = fig.add_subplot()
    colours = [STATUS_COLOURS.get(s, _OTHER) for s in statuses] or ["#ffffff"]
    cmap = ListedColormap(colours).with_extremes(bad="#ffffff")
    norm = BoundaryNorm(np.arange(len(colours) + 1) - 0.5, len(colours))
    if not len(d):
        ax.text(0.5, 0.5, "no rows", ha="center", va="center", transform=ax.transAxes)
    else:
        ax.imshow(np.ma.masked_invalid(grid), aspect="auto", interpolation="nearest", cmap=cmap, norm=norm)
    ax.set_xticks(range(n_r), regions, rotation=60, ha="right", fontsize=8)
    ous = list(accounts["ou_path"])
    bounds = [i for i in range(1, n_a) if ous[i] != ous[i - 1]]
    for b in bounds:
        ax.axhline(b - 0.5, color="#333333", linewidth=0.8)
    if n_a <= max_labels:
        labels = [f"{n} ({a})" if n else a for a, n in zip(accounts["account_id"], accounts["account_name"])]
        ax.set_yticks(range(n_a), labels, fontsize=7)
    else:
        starts = [0] + bounds
        ends = bounds + [n_a]
        ax.set_yticks([(s + e - 1) / 2 for s, e in zip(starts, ends)], [ous[s] or "(no OU)" for s in starts],
                      fontsize=7)
    ax.set_xlabel("region")
    ax.set_ylabel("account (grouped by OU)")
    if title:
        ax.set_title(title)
    handles = [Patch(facecolor=STATUS_COLOURS.get(s, _OTHER), edgecolor="#666666", label=s) for s in statuses]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
              title="status")
    return fig
