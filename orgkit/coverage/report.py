"""Small helpers for the coverage review notebook (notebooks/01-coverage-review.ipynb): each turns an analysis of
:mod:`orgkit.coverage` into the table a reader looks at, so the notebook's cells stay a line or two long.
Deterministic (rows sorted, statuses in the vocabulary's order), pure but for :func:`iac_drift`, which reads the
Terraform state it is given.

* :func:`resolve_tfstate` — the notebook's ``TFSTATE`` parameter: the bundled demo's state for the bundled demo;
* :func:`status_counts` — cells per status (optionally per region), in the vocabulary's order;
* :func:`not_covered` — the cells that are not covered, worst first, with reason and source;
* :func:`guardduty_regions` — per region: who administers GuardDuty, auto-enable, and cells per status;
* :func:`accounts_without_guardduty` — per account, the enabled regions GuardDuty does not watch;
* :func:`cost_assumptions` — the assumptions and totals of :func:`~orgkit.coverage.duplicates`, as a table;
* :func:`iac_drift` — :func:`~orgkit.coverage.unmanaged_trails` with sources that do not depend on where the
  state file lies, or a :class:`Note` when there is no state to compare with;
* :func:`unknown_cells` — what ``unknown`` and ``not_applicable`` cells stand for, grouped by reason.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from orgkit.coverage import cloudtrail as ct_mod
from orgkit.coverage import guardduty as gd_mod
from orgkit.coverage.iac import unmanaged_trails
from orgkit.plots import STATUS_COLOURS

__all__ = ["COVERED", "GAP_ORDER", "Note", "resolve_tfstate", "status_counts", "not_covered", "guardduty_regions",
           "accounts_without_guardduty", "cost_assumptions", "iac_drift", "unknown_cells", "trail_marks"]

#: the statuses that count as covered (CloudTrail and GuardDuty)
COVERED = frozenset(ct_mod.COVERED) | frozenset(gd_mod.COVERED)
#: statuses that are not covered, worst first (nothing recorded or watched, then stopped / suspended / pending,
#: then recorded but not delivered, then partial / standalone, then what we could not tell, then what does not apply)
GAP_ORDER = ["none", "not_logging", "suspended", "pending", "not_delivering", "partial", "standalone", "unknown",
             "not_applicable"]
_COLUMNS = ["account_id", "account_name", "ou_path", "region", "status", "reason", "source"]
_VOCAB = list(STATUS_COLOURS)


class Note:
    """A short message a notebook cell shows instead of a table (plain text and HTML)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f'<p class="mathjax_ignore tex2jax_ignore" style="font-style: italic">{html.escape(self.text)}</p>'


def resolve_tfstate(snapshot, tfstate):
    """The Terraform state to compare with: ``tfstate`` when given; else the bundled demo's state when
    ``snapshot`` is None (the bundled demo); else None (no comparison)."""
    if tfstate is not None:
        return tfstate
    if snapshot is None:
        from orgkit.demo import BUNDLED_TFSTATE

        return BUNDLED_TFSTATE
    return None


def _status_order(statuses: Iterable[str]) -> list[str]:
    present = set(statuses)
    return [s for s in _VOCAB if s in present] + sorted(s for s in present if s not in _VOCAB)


def _regions(df: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(df["region"]))


def status_counts(df: pd.DataFrame, by: str | None = None, *, margins: bool = False) -> pd.DataFrame:
    """Cells per status of a coverage frame, statuses as columns in the vocabulary's order (good first), with a
    ``total``. ``by=None``: one row, ``all``; ``by="region"``: one row per region, in the frame's order; any other
    column: one row per value, sorted. ``margins``: add the ``all`` row under the others."""
    cols = _status_order(df["status"])
    if by is None:
        out = df["status"].value_counts().reindex(cols, fill_value=0).to_frame("all").T
        out.index.name = None
    else:
        out = df.groupby(by, sort=True)["status"].value_counts().unstack(fill_value=0).reindex(columns=cols,
                                                                                              fill_value=0)
        if by == "region":
            out = out.reindex(_regions(df))
    out = out.astype(int)
    out.columns.name = "status"
    out["total"] = out.sum(axis=1)
    if margins and by is not None:
        out = pd.concat([out, status_counts(df)])
        out.index.name = by
    return out


def not_covered(df: pd.DataFrame, *, not_applicable: bool = True, unknown: bool = True) -> pd.DataFrame:
    """The cells of a coverage frame that are not covered, worst status first (:data:`GAP_ORDER`), then by OU,
    account name, account id and region (in the frame's region order). Columns: account_id, account_name, ou_path,
    region, status, reason, source. ``not_applicable`` / ``unknown``: keep those cells (listed last)."""
    keep = ~df["status"].isin(COVERED)
    if not not_applicable:
        keep &= df["status"] != "not_applicable"
    if not unknown:
        keep &= df["status"] != "unknown"
    d = df.loc[keep, _COLUMNS]
    rank = {s: i for i, s in enumerate(GAP_ORDER)}
    rorder = {r: i for i, r in enumerate(_regions(df))}
    key = pd.DataFrame({"s": d["status"].map(rank).fillna(len(rank)), "o": d["ou_path"].fillna(""),
                        "n": d["account_name"].fillna(""), "a": d["account_id"], "r": d["region"].map(rorder)},
                       index=d.index)
    order = key.sort_values(["s", "o", "n", "a", "r"], kind="stable").index
    return d.loc[order].reset_index(drop=True)


def guardduty_regions(org, gd: pd.DataFrame) -> pd.DataFrame:
    """One row per region (the frame's order): ``delegated_admin`` (the organisation's delegated GuardDuty
    administrator, id and name), ``administrators`` (every account that administers members there, ``; ``-joined),
    ``auto_enable`` (the region's organisation configuration: ALL, NEW, NONE, or None when there is none or it was
    not read), ``watched`` (covered share of the enabled cells), then the cells per status."""
    names = dict(zip(org.accounts["account_id"], org.accounts["account_name"]))

    def label(aid) -> str | None:
        return f"{names[aid]} ({aid})" if aid in names else (aid if isinstance(aid, str) else None)

    admins = org.guardduty_admins
    da = {r: label(a) for r, a in zip(admins["region"], admins["admin_account_id"])} if len(admins) else {}
    rows = []
    for region, g in gd.groupby("region", sort=False):
        adm = sorted(g.loc[g["status"] == "administrator", "account_id"])
        auto = [v for v in g["auto_enable"] if isinstance(v, str)]
        enabled = g["status"] != "not_applicable"
        rows.append({"region": region, "delegated_admin": da.get(region),
                     "administrators": "; ".join(label(a) for a in adm) or None,
                     "auto_enable": auto[0] if auto else None,
                     "watched": round(float(g.loc[enabled, "status"].isin(COVERED).mean()), 3) if enabled.any()
                     else None})
    out = pd.DataFrame(rows, columns=["region", "delegated_admin", "administrators", "auto_enable", "watched"])
    out = out.set_index("region").reindex(_regions(gd))
    text = ["delegated_admin", "administrators", "auto_enable"]
    out[text] = out[text].astype(object).where(out[text].notna(), None)
    return out.join(status_counts(gd, by="region").drop(columns="total"))


def accounts_without_guardduty(gd: pd.DataFrame) -> pd.DataFrame:
    """One row per account with at least one enabled region GuardDuty does not watch: ``regions`` (enabled, or not
    known to be disabled), ``watched`` (regions covered), ``not_watched`` (``status: region, region; …``, worst
    status first). Accounts watched nowhere come first, then by OU path, name and id.

    Vectorised (one sort and a few group-bys over the whole frame): it used to filter each account's rows in turn,
    about 1.3 ms per account (13 s at 10,000 accounts; BENCHMARKS.md)."""
    cols = ["account_id", "account_name", "ou_path", "regions", "watched", "not_watched"]
    rorder = {r: i for i, r in enumerate(_regions(gd))}
    rank = {st: i for i, st in enumerate(GAP_ORDER)}
    enabled = gd[gd["status"] != "not_applicable"]
    covered = enabled["status"].isin(COVERED)
    per = pd.DataFrame({"regions": enabled.groupby("account_id", sort=True).size(),
                        "watched": covered.groupby(enabled["account_id"], sort=True).sum().astype(int)})
    gaps = enabled.loc[~covered, ["account_id", "region", "status"]]
    if gaps.empty:
        return pd.DataFrame(columns=cols)
    gaps = gaps.assign(_r=gaps["status"].map(lambda x: rank.get(x, len(rank))), _ro=gaps["region"].map(rorder))
    gaps = gaps.sort_values(["account_id", "_r", "status", "_ro"], kind="stable")
    by_status = gaps.groupby(["account_id", "_r", "status"], sort=False)["region"].agg(", ".join).reset_index()
    by_status["part"] = by_status["status"] + ": " + by_status["region"]
    parts = by_status.groupby("account_id", sort=True)["part"].agg("; ".join)
    first = gd.drop_duplicates("account_id").set_index("account_id")
    out = pd.DataFrame({"account_id": parts.index,
                        "account_name": first["account_name"].reindex(parts.index).to_numpy(),
                        "ou_path": first["ou_path"].reindex(parts.index).to_numpy(),
                        "regions": per["regions"].reindex(parts.index).to_numpy(),
                        "watched": per["watched"].reindex(parts.index).to_numpy(),
                        "not_watched": parts.to_numpy()}, columns=cols)
    return (out.assign(_o=out["ou_path"].fillna(""), _n=out["account_name"].fillna(""), _z=out["watched"] > 0)
            .sort_values(["_z", "_o", "_n", "account_id"], kind="stable")
            .drop(columns=["_o", "_n", "_z"]).reset_index(drop=True))


def cost_assumptions(dup: pd.DataFrame) -> pd.DataFrame:
    """The assumptions, prices and totals kept in :func:`~orgkit.coverage.duplicates`' ``.attrs``, one per row
    (``value`` as text, so numbers and mappings print the same)."""
    a = dup.attrs

    def volume(v) -> str:
        if isinstance(v, bool) or v is None:
            return str(v)
        if isinstance(v, int):
            return f"{v:,}"
        if isinstance(v, float):
            return f"{v:,.0f}"
        return str(v)  # duplicates() describes a mapping or a frame it was given, e.g. "per cell (caller's mapping)"

    rows = [
        ("management events per month, per account and region", volume(a.get("management_events_per_month"))),
        ("share of management events that are reads", f"{a.get('read_fraction', 0):.0%}"),
        ("data events per month, per account, region and resource type",
         volume(a.get("data_events_per_month"))),
        ("price of a paid copy of management events", f"${a.get('management_price_per_100k_usd', 0):.2f} per 100,000"),
        ("price of data events (every copy)", f"${a.get('data_price_per_100k_usd', 0):.2f} per 100,000"),
        ("estimated monthly cost of the duplicates", f"${a.get('total_est_monthly_usd', 0):,.2f}"),
        ("estimated monthly cost of all data events", f"${a.get('total_data_usd', 0):,.2f}"),
    ]
    out = pd.DataFrame(rows, columns=["assumption", "value"]).set_index("assumption")
    out.index.name = None
    return out


def iac_drift(org, tfstate, include_managed: bool = False):
    """Trails AWS has and Terraform does not know (``unmanaged``), and the reverse (``missing``), as
    :func:`~orgkit.coverage.unmanaged_trails` gives them, sorted by status and ARN, with each state file named by
    its file name in ``source`` (so the table does not depend on where the file lies). ``tfstate`` None: a
    :class:`Note` saying there is nothing to compare with."""
    if tfstate is None:
        return Note("No Terraform state given (TFSTATE = None): no comparison with infrastructure-as-code.")
    paths = [tfstate] if isinstance(tfstate, (str, os.PathLike)) else list(tfstate)
    df = unmanaged_trails(org, paths if len(paths) > 1 else paths[0], include_managed=include_managed)
    src = df["source"].astype(object)
    for p in sorted({str(p) for p in paths}, key=len, reverse=True):
        src = src.map(lambda s, p=p: Path(p).name + s[len(p):] if isinstance(s, str) and s.startswith(p + ":") else s)
    return (df.assign(source=src).sort_values(["status", "trail_arn"], kind="stable").reset_index(drop=True))


def unknown_cells(**frames: pd.DataFrame) -> pd.DataFrame:
    """The ``unknown`` and ``not_applicable`` cells of coverage frames given by service name
    (``unknown_cells(cloudtrail=ct, guardduty=gd)``), grouped by service, status, reason and source: ``cells``,
    ``accounts`` (names, ``; ``-joined), ``regions``."""
    parts = []
    for service, df in frames.items():
        d = df[df["status"].isin(["unknown", "not_applicable"])]
        for (st, reason, source), g in d.groupby(["status", "reason", "source"], sort=True, dropna=False):
            parts.append({"service": service, "status": st, "reason": reason, "source": source, "cells": len(g),
                          "accounts": "; ".join(sorted(set(g["account_name"].fillna(g["account_id"])))),
                          "regions": ", ".join(r for r in _regions(df) if r in set(g["region"]))})
    cols = ["service", "status", "reason", "source", "cells", "accounts", "regions"]
    return pd.DataFrame(parts, columns=cols)


#: how a trail's own health reads as a mark on the heatmap
_TRAIL_MARKS = {"not_logging": "trail stopped", "delivery_error": "delivery failing", "unknown": "trail unread"}


def trail_marks(org, ct: pd.DataFrame, duplicates: bool = True) -> pd.DataFrame:
    """The problems a CloudTrail cell's status does not show, for :func:`orgkit.plots.coverage_heatmap`'s
    ``marks``: a trail that applies to the cell is stopped, fails to deliver or could not be read (another trail
    may still cover the cell), and, with ``duplicates``, the cell pays for extra copies of management events.
    Columns account_id, region, mark."""
    from orgkit import coverage as cov

    inv = cov.trail_inventory(org)
    health = dict(zip(inv["trail_arn"], inv["status"]))
    rows = []
    if "trails" in ct:
        for a, r, trails in ct[["account_id", "region", "trails"]].itertuples(index=False):
            for arn in trails if isinstance(trails, (list, tuple)) else []:
                mark = _TRAIL_MARKS.get(health.get(arn))
                if mark:
                    rows.append((a, r, mark))
    if duplicates:
        dup = cov.duplicates(org)
        if len(dup) and "paid_copies" in dup:
            for a, r in dup.loc[dup["paid_copies"] > 0, ["account_id", "region"]].itertuples(index=False):
                rows.append((a, r, "paid duplicate"))
    return pd.DataFrame(rows, columns=["account_id", "region", "mark"]).drop_duplicates().reset_index(drop=True)
