"""Shared building blocks: the (account, region) grid as numpy arrays, read outcomes, failure reasons.

Analyses index every cell by ``account_index * n_regions + region_index`` and scatter the evidence of each frame
into per-cell numpy arrays (no merges on string keys: with pandas' string dtype those dominate the run time at
tens of thousands of cells). Reason strings are formatted only for the cells of each status that need them.
"""

from __future__ import annotations

import functools
import gc

import numpy as np
import pandas as pd

from orgkit.model import Org

def no_gc(fn):
    """Run ``fn`` with the cyclic garbage collector paused. The analyses build tens of thousands of small lists,
    dicts and strings while the loaded ``Org`` holds hundreds of thousands of objects: each automatic collection
    walks them all, which made reason and list building ~10x slower. Nothing here creates reference cycles."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        was = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was:
                gc.enable()

    return wrapper


CELL_COLUMNS = ["account_id", "account_name", "ou_path", "region", "status", "reason", "source"]


def obj(series: pd.Series) -> np.ndarray:
    """A column as a numpy object array with None for missing values."""
    return series.to_numpy(dtype=object, na_value=None)


class Grid:
    """Every (organisation account, requested region) cell, accounts in ``org.accounts`` order, regions in
    ``org.regions_requested`` order (account-major)."""

    def __init__(self, org: Org):
        self.org = org
        acc = org.accounts
        self.account_ids = obj(acc["account_id"])
        self.regions = list(org.regions_requested)
        self.n_a, self.n_r = len(self.account_ids), len(self.regions)
        self.n = self.n_a * self.n_r
        self._acc_index = pd.Index(self.account_ids)
        self._reg_index = pd.Index(self.regions, dtype=object)
        self.acc_of_cell = np.repeat(np.arange(self.n_a), self.n_r)
        self.reg_of_cell = np.tile(np.arange(self.n_r), self.n_a)
        self.account_name = obj(acc["account_name"])[self.acc_of_cell]
        self.ou_path = obj(acc["ou_path"])[self.acc_of_cell]
        self.account_id = self.account_ids[self.acc_of_cell]
        self.region = np.array(self.regions, dtype=object)[self.reg_of_cell] if self.n_r else \
            np.zeros(0, dtype=object)
        self.access_error = obj(acc["access_error"])[self.acc_of_cell]
        self.account_status = obj(acc["status"])[self.acc_of_cell]
        # region enablement: True / False / None (not read)
        reg = org.regions
        ids, ok = self.cell_ids(reg["account_id"], reg["region"])
        en = reg["enabled"].astype("boolean")
        self.enabled = self.scatter(np.where(en.isna(), None, en.fillna(False).to_numpy(dtype=bool)).astype(object),
                                    ids, ok)
        self.opt_status = self.scatter(obj(reg["opt_status"]), ids, ok)
        self.not_applicable = _is(self.enabled, False)
        self.region_unread = _is(self.enabled, None)

    # -- indexing ---------------------------------------------------------------------------------------------
    def cell_ids(self, account_ids, regions) -> tuple[np.ndarray, np.ndarray]:
        """Cell index of each (account_id, region) pair, and which pairs are in the grid."""
        ai = self._acc_index.get_indexer(obj(pd.Series(account_ids)))
        ri = self._reg_index.get_indexer(obj(pd.Series(regions)))
        ok = (ai >= 0) & (ri >= 0)
        return ai * self.n_r + ri, ok

    def account_idx(self, account_ids) -> tuple[np.ndarray, np.ndarray]:
        ai = self._acc_index.get_indexer(obj(pd.Series(account_ids)))
        return ai, ai >= 0

    def scatter(self, values: np.ndarray, ids: np.ndarray, ok: np.ndarray, fill=None) -> np.ndarray:
        """A per-cell object array: ``values`` at ``ids`` (the first of duplicates wins), ``fill`` elsewhere."""
        out = np.full(self.n, fill, dtype=object)
        ids, values = ids[ok], np.asarray(values, dtype=object)[ok]
        # first occurrence wins: write in reverse order
        out[ids[::-1]] = values[::-1]
        return out

    def per_account(self, values: np.ndarray, idx: np.ndarray, ok: np.ndarray, fill=None) -> np.ndarray:
        """Broadcast per-account values to every cell of the account (the first of duplicates wins)."""
        arr = np.full(self.n_a, fill, dtype=object)
        idx, values = idx[ok], np.asarray(values, dtype=object)[ok]
        arr[idx[::-1]] = values[::-1]
        return arr[self.acc_of_cell]

    # -- reads -----------------------------------------------------------------------------------------------
    def reads(self, service: str, regional: bool) -> dict[str, np.ndarray]:
        """read status, error code, operation, message per cell (None where nothing was recorded)."""
        r = self.org.reads
        r = r[r["service"] == service]
        cols = {"status": obj(r["status"]), "code": obj(r["error_code"]), "op": obj(r["operation"]),
                "msg": obj(r["message"])}
        if regional:
            ids, ok = self.cell_ids(r["account_id"], r["region"])
            return {k: self.scatter(v, ids, ok) for k, v in cols.items()}
        top = r["region"].isna().to_numpy()
        idx, ok = self.account_idx(r["account_id"])
        ok = ok & top
        return {k: self.per_account(v, idx, ok) for k, v in cols.items()}

    def failure(self, rd: dict[str, np.ndarray], idx: np.ndarray, service: str) -> tuple[list, list]:
        """(reason, source) of each cell in ``idx`` whose read failed, was partial, skipped or never done."""
        reasons, sources = [], []
        for i in idx:
            st, code, op, msg = rd["status"][i], rd["code"][i], rd["op"][i], rd["msg"][i]
            call = f"{service}:{op}" if op else service
            detail = (code or "") + (f": {msg}" if msg and msg != code else "")
            if st == "error":
                reasons.append(f"read failed: {detail}")
                sources.append(f"{call} {code}".strip() if code else call)
            elif st == "partial":
                reasons.append(f"{call} failed: {detail}")
                sources.append(f"{call} {code}".strip() if code else call)
            elif st == "skipped":
                err = self.access_error[i]
                if err:
                    reasons.append(f"not read: account not reachable ({err})")
                    sources.append("not read" if str(err).startswith("member roles not used") else "sts:AssumeRole")
                elif self.account_status[i] == "SUSPENDED":
                    reasons.append("not read: the account is suspended")
                    sources.append("organizations:ListAccounts (SUSPENDED)")
                else:
                    reasons.append("not read: skipped")
                    sources.append("not read")
            elif st is None:
                reasons.append("not collected for this account")
                sources.append("not collected")
            else:
                reasons.append("")
                sources.append(None)
        return reasons, sources

    def frame(self) -> dict[str, np.ndarray]:
        return {"account_id": self.account_id, "account_name": self.account_name, "ou_path": self.ou_path,
                "region": self.region}


def _is(arr: np.ndarray, value) -> np.ndarray:
    """Elementwise identity test (``x is value``) on an object array, vectorised through a Series."""
    if value is None:
        return pd.isna(pd.Series(arr, dtype=object)).to_numpy()
    s = pd.Series(arr, dtype=object)
    return (s.notna() & (s == value)).to_numpy(dtype=bool)


def eq(arr: np.ndarray, value) -> np.ndarray:
    """``arr == value`` on an object array holding None (never raises, None never equal)."""
    return np.asarray(arr == value, dtype=bool)


def isin(arr: np.ndarray, values) -> np.ndarray:
    return pd.Series(arr, dtype=object).isin(list(values)).to_numpy()


def account_read_status(org: Org, service: str) -> dict[str, tuple[str, str | None]]:
    """account_id → (status, error_code) of the account-wide read of ``service``."""
    r = org.reads
    r = r[(r["service"] == service) & r["region"].isna()]
    return {a: (s, c) for a, s, c in zip(obj(r["account_id"]), obj(r["status"]), obj(r["error_code"]))}
