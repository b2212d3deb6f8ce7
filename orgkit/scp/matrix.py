"""Whole-organisation answers: the account × action decision matrix, computed once per distinct chain.

Accounts whose chains of SCPs are the same and for whom every statement's Resource/Condition part
comes out the same (a statement reading ``aws:PrincipalAccount`` may differ from account to
account; most do not) share one row of the matrix. Each row is computed with boolean numpy arrays
over the whole catalog: one array per action pattern (compiled once), OR-ed per statement and per
level. The result is the same as asking :meth:`Evaluator.decide` for every cell (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from orgkit.scp.catalog import Catalog
from orgkit.scp.engine import DECISIONS, is_service_linked
from orgkit.scp.org import Evaluator, resolve_principal
from orgkit.scp.policy import Statement

__all__ = ["ScpMatrix", "compute_matrix", "subset_catalog"]

ALLOW, EXPLICIT, IMPLICIT, CONDITIONAL, EXEMPT = range(5)


def subset_catalog(catalog: Catalog, actions: Sequence[str]) -> Catalog:
    """The catalog rows the given names or wildcards match, plus names it lacks (flagged)."""
    mask = np.zeros(len(catalog), dtype=bool)
    for a in actions:
        mask |= catalog.mask(a)
    sub = Catalog(catalog.frame[mask].reset_index(drop=True), catalog.version, catalog.updated_at)
    return sub.with_actions(actions)


@dataclass
class ScpMatrix:
    """Decision codes (indices into :data:`DECISIONS`) for every account × catalog action.

    ``accounts`` has ``account_id, account_name, ou_path, row``: ``row`` indexes ``rows``, the
    distinct decision vectors (one per distinct chain of policies and statement outcomes)."""

    accounts: pd.DataFrame
    rows: list[np.ndarray]
    catalog: Catalog
    principal: str | None = None
    context: Mapping[str, Any] | None = None
    stats: dict = field(default_factory=dict)

    @property
    def attrs(self) -> dict:
        return dict(self.catalog.attrs)

    def codes(self) -> np.ndarray:
        """The full matrix, ``int8`` of shape (accounts, actions)."""
        if not self.rows:
            return np.zeros((len(self.accounts), len(self.catalog)), dtype=np.int8)
        return np.stack(self.rows)[self.accounts["row"].to_numpy()]

    def decisions(self, account_id: str) -> pd.Series:
        """Decision per action for one account (index: action)."""
        r = self.accounts.loc[self.accounts["account_id"] == str(account_id), "row"]
        if r.empty:
            raise KeyError(account_id)
        codes = self.rows[int(r.iloc[0])]
        return pd.Series(pd.Categorical.from_codes(codes, DECISIONS), index=self.catalog.frame["action"], name=str(account_id))

    def decision(self, account_id: str, action: str) -> str:
        s = self.decisions(account_id)
        i = self.catalog._index[action.lower()]
        return s.iloc[i]

    def to_long(self, actions: Iterable[str] | None = None) -> pd.DataFrame:
        """``account_id, account_name, ou_path, action, service, access_level, decision`` (long form;
        pass ``actions`` to keep it small)."""
        cat = self.catalog.frame
        idx = np.arange(len(cat)) if actions is None else np.flatnonzero(
            np.logical_or.reduce([self.catalog.mask(a) for a in actions]) if actions else np.zeros(len(cat), bool))
        mat = self.codes()[:, idx]
        n_acc, n_act = mat.shape
        acc = self.accounts
        df = pd.DataFrame({
            "account_id": np.repeat(acc["account_id"].to_numpy(), n_act),
            "account_name": np.repeat(acc["account_name"].to_numpy(), n_act),
            "ou_path": np.repeat(acc["ou_path"].to_numpy(), n_act),
            "action": np.tile(cat["action"].to_numpy()[idx], n_acc),
            "service": np.tile(cat["service"].to_numpy()[idx], n_acc),
            "access_level": np.tile(cat["access_level"].to_numpy()[idx], n_acc),
            "decision": pd.Categorical.from_codes(mat.reshape(-1), DECISIONS),
        })
        df.attrs.update(self.attrs)
        return df

    def summary(self, by: Sequence[str] | str | None = ("service", "access_level")) -> pd.DataFrame:
        """For every account, how many actions of each group are allowed, denied or conditional.

        ``by`` is any of ``'service'``, ``'access_level'`` (or both, or ``None`` for per-account
        totals). Columns: ``account_id, account_name, ou_path, <by…>, allow, explicit_deny,
        implicit_deny, conditional, exempt, total``. Computed per distinct row, then repeated."""
        if isinstance(by, str):
            by = (by,)
        by = tuple(by or ())
        cat = self.catalog.frame
        if by:
            keys = cat[list(by)].fillna("Unknown")
            gidx, uniques = pd.MultiIndex.from_frame(keys).factorize()
            groups = pd.MultiIndex.from_tuples(uniques, names=list(by)).to_frame(index=False) if len(by) > 1 else pd.DataFrame({by[0]: [u[0] if isinstance(u, tuple) else u for u in uniques]})
        else:
            gidx = np.zeros(len(cat), dtype=np.int64)
            groups = pd.DataFrame(index=[0])
        ng = len(groups)
        per_row = np.stack([
            np.bincount(gidx * 5 + r.astype(np.int64), minlength=ng * 5).reshape(ng, 5) for r in self.rows
        ]) if self.rows else np.zeros((0, ng, 5), dtype=np.int64)
        acc = self.accounts
        n = len(acc)
        rows_idx = acc["row"].to_numpy()
        # categoricals keep millions of rows small: codes repeat, labels are stored once
        acc_codes = np.repeat(np.arange(n, dtype=np.int32), ng)

        def per_account(col):
            base = pd.Categorical(acc[col].to_numpy())
            return pd.Categorical.from_codes(base.codes[acc_codes], base.categories)

        out = {c: per_account(c) for c in ("account_id", "account_name", "ou_path")}
        for c in groups.columns if by else []:
            gcodes, guniq = pd.factorize(groups[c], sort=True)
            out[c] = pd.Categorical.from_codes(np.tile(gcodes, n), pd.Index(guniq, dtype=object))
        per_row = per_row.astype(np.int32)
        for i, d in enumerate(DECISIONS):
            out[d] = np.ascontiguousarray(per_row[:, :, i])[rows_idx].reshape(-1)
        out["total"] = per_row.sum(axis=2, dtype=np.int32)[rows_idx].reshape(-1)
        df = pd.DataFrame(out, copy=False)  # no consolidation copy of millions of rows
        df.attrs.update(self.attrs)
        return df


def _tri_code(v) -> str:
    return "T" if v is True else ("F" if v is False else "U")


def _hashable(v):
    if isinstance(v, list):
        return tuple(v)
    return v


def compute_matrix(
    evaluator: Evaluator,
    principal: str | None = None,
    context: Mapping[str, Any] | None = None,
    resource: str | None = None,
    actions: Sequence[str] | None = None,
    absent_unknown: bool = False,
) -> ScpMatrix:
    """Decisions for every account and every catalog action (or only ``actions``: names or wildcards;
    names the catalog lacks are kept, flagged ``in_catalog=False``)."""
    cat = evaluator.catalog if actions is None else subset_catalog(evaluator.catalog, actions)
    n = len(cat)
    view = evaluator.view
    stmt_mask: dict[tuple, np.ndarray] = {}
    stmt_sc: dict[tuple, str] = {}
    level_masks: dict[tuple, tuple] = {}
    row_of: dict[tuple, int] = {}
    rows: list[np.ndarray] = []
    exempt_row = None
    templates: dict[tuple, tuple] = {}

    def smask(st: Statement) -> np.ndarray:
        k = (st.policy_id, st.index)
        m = stmt_mask.get(k)
        if m is None:
            m = np.zeros(n, dtype=bool)
            for p in st.action_patterns:
                m |= cat.mask(p)
            if st.not_actions is not None:
                m = ~m
            stmt_mask[k] = m
        return m

    def lmasks(level, sig):
        k = (level.policy_ids, sig)
        r = level_masks.get(k)
        if r is None:
            deny_def = np.zeros(n, bool)
            deny_unk = np.zeros(n, bool)
            allow_def = np.zeros(n, bool)
            allow_unk = np.zeros(n, bool)
            i = 0
            for pol in level.policies:
                for st in pol.statements:
                    c = sig[i]
                    i += 1
                    if c == "F":
                        continue
                    m = smask(st)
                    if st.effect == "Deny":
                        (deny_def if c == "T" else deny_unk).__ior__(m)
                    else:
                        (allow_def if c == "T" else allow_unk).__ior__(m)
            no_allow = ~allow_def & ~allow_unk
            unk = deny_unk | (~allow_def & allow_unk)
            r = (deny_def, no_allow, unk)
            level_masks[k] = r
        return r

    acc = view.accounts
    row_index = np.empty(len(acc), dtype=np.int64)
    for j, aid in enumerate(acc["account_id"]):
        arn = resolve_principal(principal, aid)
        if evaluator.is_management(aid) or is_service_linked(arn):
            if exempt_row is None:
                exempt_row = len(rows)
                rows.append(np.full(n, EXEMPT, dtype=np.int8))
            row_index[j] = exempt_row
            continue
        if not view.scps_in_force:
            key = ("not in force",)
            if key not in row_of:
                row_of[key] = len(rows)
                rows.append(np.full(n, ALLOW, dtype=np.int8))
            row_index[j] = row_of[key]
            continue
        levels = evaluator.levels(aid)
        chain = tuple(lv.policy_ids for lv in levels)
        tpl = templates.get(chain)
        if tpl is None:
            # statements that read no context key come out the same for every account: once per chain
            bounds, const, keyed = [], [], []
            for lv in levels:
                start = len(const)
                for pol in lv.policies:
                    for st in pol.statements:
                        if st.sorted_keys:
                            keyed.append((len(const), st))
                            const.append(None)
                        else:
                            const.append(_tri_code(st.applies_beyond_action(resource, {})))
                bounds.append((start, len(const)))
            tpl = templates[chain] = (bounds, const, keyed)
        bounds, const, keyed = tpl
        if keyed:
            codes = list(const)
            ctx = evaluator.context(aid, arn, context, absent_unknown)
            for i, st in keyed:
                sk = (st.policy_id, st.index, tuple(_hashable(ctx.get(k, "\0unknown")) for k in st.sorted_keys))
                c = stmt_sc.get(sk)
                if c is None:
                    c = _tri_code(st.applies_beyond_action(resource, ctx))
                    stmt_sc[sk] = c
                codes[i] = c
            flat = tuple(codes)
        else:
            flat = tuple(const)
        key = (chain, flat)
        sig = [flat[a:b] for a, b in bounds]
        r = row_of.get(key)
        if r is None:
            explicit = np.zeros(n, bool)
            implicit = np.zeros(n, bool)
            unknown = np.zeros(n, bool)
            for lv, s in zip(levels, sig):
                d, na, u = lmasks(lv, s)
                explicit |= d
                implicit |= na
                unknown |= u
            code = np.where(explicit, EXPLICIT, np.where(implicit, IMPLICIT, np.where(unknown, CONDITIONAL, ALLOW))).astype(np.int8)
            r = len(rows)
            rows.append(code)
            row_of[key] = r
        row_index[j] = r
    accounts = pd.DataFrame({
        "account_id": acc["account_id"].astype(str).to_numpy(),
        "account_name": acc["account_name"].to_numpy(),
        "ou_path": acc["ou_path"].to_numpy(),
        "row": row_index,
    })
    stats = {"accounts": len(acc), "distinct_rows": len(rows), "distinct_chains": len({k[0] for k in row_of if len(k) == 2}),
             "actions": n}
    return ScpMatrix(accounts, rows, cat, principal, context, stats)
