"""Small helpers for notebooks/05-least-privilege.ipynb: each turns a :func:`orgkit.leastpriv.suggest` answer (or the
per-OU status) into the table or figure a reader looks at, so the notebook's cells stay a line or two long."""

from __future__ import annotations

import html

import pandas as pd

from orgkit.leastpriv import STATUSES, service_status

__all__ = ["status_by_ou", "status_figure", "default_target", "notes_markdown", "losses", "STATUS_FILL"]

#: used (blue: kept), unused (vermillion: would be denied), unknown (grey), denied already (light), core (dark blue)
STATUS_FILL = {"used": "#4477aa", "unused": "#cc3311", "unknown": "#999999", "denied": "#dddddd", "core": "#222255"}


def status_by_ou(org, days: int = 90) -> pd.DataFrame:
    """One row per OU (and the root) with member accounts: how many services are used / unused / unknown / denied /
    core over the window, and why unknown ones are (the most common reason)."""
    rows = []
    for oid, path in zip(org.ous["ou_id"], org.ous["ou_path"]):
        _, svc = service_status(org, oid, days)
        if not svc.attrs["accounts"]:
            continue
        vc = svc["status"].value_counts()
        unk = svc.loc[svc["status"] == "unknown", "reason"]
        rows.append({"ou_path": path, "ou_id": oid, "accounts": len(svc.attrs["accounts"]),
                     **{s: int(vc.get(s, 0)) for s in STATUSES},
                     "unknown_why": unk.value_counts().index[0] if len(unk) else ""})
    return pd.DataFrame(rows, columns=["ou_path", "ou_id", "accounts", *STATUSES, "unknown_why"])


def status_figure(df: pd.DataFrame, title: str | None = None):
    """Stacked bars, one per OU: the services used, unused, unknown, already denied and in the core."""
    from matplotlib.figure import Figure  # without pyplot's global state, as orgkit.plots

    fig = Figure(figsize=(9, 0.45 * max(len(df), 2) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    left = pd.Series(0, index=df.index, dtype=float)
    from orgkit.palette import literal

    labels = [literal(p) for p in df["ou_path"]]  # as written: a "$" never starts mathtext
    for s in ("used", "core", "unknown", "denied", "unused"):
        ax.barh(labels, df[s], left=left, color=STATUS_FILL[s], label=s, edgecolor="white", linewidth=0.5)
        left += df[s]
    ax.invert_yaxis()
    ax.set_xlabel("services (IAM namespaces of the action catalog)")
    ax.set_title(literal(title) if title else "Services per OU: used, core, unknown, already denied, unused")
    fig.legend(ncol=5, loc="outside lower center", frameon=False)
    return fig


def default_target(org) -> str:
    """The OU (not the root) with the most member accounts; the root when there is none."""
    mgmt = org.management_account_id
    acc = org.accounts[org.accounts["account_id"] != mgmt]
    counts = acc["parent_id"].value_counts()
    ous = [o for o in counts.index if str(o).startswith("ou-")]
    return ous[0] if ous else org.root_id


def notes_markdown(s) -> str:
    """The suggestion's notes (and what was given up) as a Markdown Note block, HTML-escaped."""
    lines = [f"> **Note:** {html.escape(n)}" for n in s.notes]
    if s.given_up:
        lines.append(f"> **Given up:** {len(s.given_up)} service(s) left allowed: "
                     + html.escape(", ".join(g["service"] for g in s.given_up[:20])))
    if not s.policies:
        lines.append("> Nothing is proposed for this target, so there is nothing to prove or hand over.")
    return "\n>\n".join(lines) if lines else "> **Note:** nothing to add: the data covers every service."


def losses(s) -> pd.DataFrame:
    """Per account under the target: how many services and actions the proposal takes away (from the proof)."""
    cols = ["account_id", "account_name", "ou_path", "services_lost", "actions_lost"]
    if s.proof is None:
        return pd.DataFrame(columns=cols)
    eff = s.proof[s.proof["kind"] == "scp_effect"]
    if eff.empty:
        return pd.DataFrame(columns=cols)
    g = eff.groupby(["account_id", "account_name", "ou_path"], dropna=False)
    out = g.agg(services_lost=("service", "nunique"), actions_lost=("count", "sum")).reset_index()
    out["actions_lost"] = out["actions_lost"].astype("int64")
    return out[cols]
