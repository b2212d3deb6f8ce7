"""Figures for SCP answers. Each returns a :class:`matplotlib.figure.Figure` built without pyplot's global state;
a notebook shows it as a cell's value, a script saves it. Deterministic: same frame, same picture."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from orgkit import palette as _palette

__all__ = ["COLOURS", "top_services", "service_heatmap"]

#: denied (explicit or implicit), conditional, allowed, exempt: the colour-blind-safe palette of orgkit.palette
#: (denied vermillion, conditional sand, allowed pale blue: never red against green)
COLOURS = {"denied": _palette.STATUS_COLOURS["not_logging"], "conditional": _palette.STATUS_COLOURS["partial"],
           "allowed": "#DCE9F5", "exempt": "#BBBBBB"}
FIGURE_WIDTH_IN = _palette.FIGURE_WIDTH_IN
#: the width of a service's column (inches): a count such as ``7+96?`` at 8 pt fits it
CELL_IN = 0.46
_NEED = {"account_id", "service", "allow", "explicit_deny", "implicit_deny", "conditional", "total"}


def _check(df: pd.DataFrame) -> None:
    missing = _NEED - set(df.columns)
    if missing:
        raise ValueError(f"expected a summary by service (ScpMatrix.summary('service')); missing {sorted(missing)}")


def top_services(summary_df: pd.DataFrame, top: int = 20, include_unaffected: bool = False) -> list[str]:
    """The services SCPs take most from, most affected first: ordered by the sum over accounts of the share of the
    service's actions denied, then of the share conditional, then by size and name. Services where nothing is
    denied or conditional anywhere are left out unless ``include_unaffected``."""
    _check(summary_df)
    d = summary_df[["service", "explicit_deny", "implicit_deny", "conditional", "total"]].copy()
    d["service"] = d["service"].astype(str)
    tot = d["total"].where(d["total"] > 0)
    d["denied_share"] = ((d["explicit_deny"] + d["implicit_deny"]) / tot).fillna(0.0)
    unk = summary_df["unknown"] if "unknown" in summary_df.columns else 0
    d["cond_share"] = ((d["conditional"] + unk) / tot).fillna(0.0)  # unknown (an unread SCP) drawn as amber too
    g = d.groupby("service", sort=True).agg(denied=("denied_share", "sum"), cond=("cond_share", "sum"),
                                            size=("total", "max"))
    if not include_unaffected:
        g = g[(g["denied"] > 0) | (g["cond"] > 0)]
    g = g.assign(name=g.index, d=-g["denied"].round(9), c=-g["cond"].round(9), s=-g["size"])
    return g.sort_values(["d", "c", "s", "name"], kind="stable").index[:top].tolist()


def service_heatmap(summary_df: pd.DataFrame, top: int = 20, services: list[str] | None = None,
                    title: str | None = None, min_width: float = 0.15) -> Figure:
    """Account × service: how much of each service SCPs take from each account.

    ``summary_df`` is ``ScpMatrix.summary("service")`` (columns account_id, account_name, ou_path, service, allow,
    explicit_deny, implicit_deny, conditional, exempt, total). Each cell is a bar across its width: the share of the
    service's actions denied (red, explicit or implicit), then conditional (amber: depends on context not given),
    the rest allowed (pale green); an account exempt from SCPs is grey. A share that is not zero is drawn at least
    ``min_width`` wide so that one denied action out of hundreds stays visible; the number in the cell is the exact
    count of denied actions (``+n?`` adds the conditional ones). Accounts are grouped by OU (sorted by OU path, then
    name), with the OU path beside each group; services are the ``top`` most affected (:func:`top_services`),
    or ``services`` in the order given, labelled with their number of actions."""
    _check(summary_df)
    d = summary_df.copy()
    d["service"] = d["service"].astype(str)
    d["account_id"] = d["account_id"].astype(str)
    for c in ("account_name", "ou_path"):
        d[c] = d[c].astype(object).where(d[c].notna(), "") if c in d else ""
    if "exempt" not in d:
        d["exempt"] = 0
    svcs = list(services) if services is not None else top_services(d, top)
    accounts = (d[["account_id", "account_name", "ou_path"]].drop_duplicates("account_id")
                .sort_values(["ou_path", "account_name", "account_id"], kind="stable").reset_index(drop=True))
    # at most FIGURE_WIDTH_IN wide (shown at its own size in a notebook, 8 pt labels read as 8 pt): the services
    # beyond what fits at CELL_IN a column are left out, named under the figure
    acct_labels = [f"{n} ({a})" if n else a for a, n in zip(accounts["account_id"], accounts["account_name"])]
    side_in = (0.35 + 0.066 * max(map(len, acct_labels), default=0)
               + 0.35 + 0.075 * max((len(p or "(no OU)") for p in accounts["ou_path"]), default=0))
    fit = max(3, int((FIGURE_WIDTH_IN - side_in - 0.4) / CELL_IN))
    left_out = svcs[fit:]
    svcs = svcs[:fit]
    n_a, n_s = len(accounts), len(svcs)

    fig = Figure(figsize=(3.6 + 0.55 * max(n_s, 4) + 1.9, 1.9 + 0.36 * max(n_a, 3)))
    ax = fig.add_axes([0.0, 0.0, 1.0, 1.0])
    if n_a == 0 or n_s == 0:
        ax.axis("off")
        ax.text(0.5, 0.5, "SCPs take nothing from any account here" if n_a else "no accounts",
                ha="center", va="center", fontsize=11)
        if title:
            ax.set_title(_palette.literal(title))
        return fig

    cells = d[d["service"].isin(svcs)].set_index(["account_id", "service"])
    sizes = d[d["service"].isin(svcs)].groupby("service")["total"].max()
    a_idx = {a: i for i, a in enumerate(accounts["account_id"])}
    for (aid, svc), r in cells.iterrows():
        y, x = a_idx[aid], svcs.index(svc)
        total = int(r["total"])
        if total <= 0:
            continue
        denied = int(r["explicit_deny"]) + int(r["implicit_deny"])
        cond, exempt = int(r["conditional"]) + int(r.get("unknown", 0) or 0), int(r["exempt"])
        ax.add_patch(Rectangle((x, y), 1, 1, facecolor=COLOURS["exempt" if exempt == total else "allowed"],
                               edgecolor="none"))
        if exempt == total:
            continue
        left = 0.0
        for n, colour in ((denied, COLOURS["denied"]), (cond, COLOURS["conditional"])):
            if n:
                w = min(max(n / total, min_width), 1.0 - left)
                ax.add_patch(Rectangle((x + left, y + 0.08), w, 0.84, facecolor=colour, edgecolor="none"))
                left += w
        label = (str(denied) if denied else "") + (f"+{cond}?" if cond else "")
        if len(label) > 5 and denied and cond:  # two lines rather than wider than the cell
            label = f"{denied}\n+{cond}?"
        if label:
            # on a light box of its own, so the count reads whatever the bar beneath it
            ax.text(x + 0.5, y + 0.5, label, ha="center", va="center", fontsize=8, color="#111111", zorder=5,
                    linespacing=0.95,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.8})
    # grid lines, OU separators and labels
    for x in range(n_s + 1):
        ax.plot([x, x], [0, n_a], color="white", lw=1.2, zorder=3)
    for y in range(n_a + 1):
        ax.plot([0, n_s], [y, y], color="white", lw=0.8, zorder=3)
    paths = accounts["ou_path"].tolist()
    start = 0
    for i in range(1, n_a + 1):
        if i == n_a or paths[i] != paths[start]:
            if i < n_a:
                ax.plot([-0.2, n_s + 0.2], [i, i], color="#444444", lw=1.1, zorder=4)
            ax.text(n_s + 0.25, (start + i) / 2, _palette.literal(paths[start] or "(no OU)"), ha="left", va="center", fontsize=8,
                    color="#2e86c1", fontweight="bold")
            start = i
    ax.set_xlim(0, n_s)
    ax.set_ylim(n_a, 0)
    ax.set_xticks(np.arange(n_s) + 0.5)
    ax.set_xticklabels([_palette.literal(f"{s} ({int(sizes.get(s, 0))})") for s in svcs], rotation=90, ha="center",
                       va="bottom", fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(np.arange(n_a) + 0.5)
    ax.set_yticklabels([_palette.literal(f"{n} ({a})" if n else a) for a, n in zip(accounts["account_id"], accounts["account_name"])],
                       fontsize=8)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    legend = [Patch(facecolor=COLOURS[k], label=lab) for k, lab in (
        ("denied", "denied (explicit or implicit)"), ("conditional", "conditional (depends on context)"),
        ("allowed", "allowed"), ("exempt", "exempt from SCPs"))]
    ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=4, fontsize=8, frameon=False)
    if title:
        ax.set_title(_palette.literal(title), fontsize=10, pad=4, loc="left")
    # room for labels: measured in inches so it does not depend on the number of rows or columns
    w, h = fig.get_size_inches()
    left_in = 0.35 + 0.066 * max(len(t.get_text()) for t in ax.get_yticklabels())
    right_in = 0.35 + 0.075 * max(len(p or "(no OU)") for p in paths)
    top_in = 0.2 + 0.045 * max(len(t.get_text()) for t in ax.get_xticklabels()) + (0.3 if title else 0)
    bottom_in = 0.85
    fig.set_size_inches(min(FIGURE_WIDTH_IN, max(w, left_in + right_in + CELL_IN * n_s + 0.4)),
                        top_in + bottom_in + 0.34 * n_a)
    w, h = fig.get_size_inches()
    ax.set_position([left_in / w, bottom_in / h, 1 - (left_in + right_in) / w, 1 - (top_in + bottom_in) / h])
    # what the numbers in the cells are, under the legend
    import textwrap

    note = ("In a cell: actions denied, then +n? actions conditional (e.g. 7+96? = 7 denied, 96 depend on "
            "context). After a service: its number of actions.")
    if left_out:
        note += (f" {len(left_out)} more affected service(s) left out for room (the frame has them): "
                 + ", ".join(left_out[:12]) + (", …" if len(left_out) > 12 else "") + ".")
    fig.text(0.15 / w, 0.08 / h, textwrap.fill(_palette.literal(note), max(40, int((w - 0.3) * 13))), ha="left",
             va="bottom",
             fontsize=8, color="#333333", linespacing=1.1)
    return fig
