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

import math

import numpy as np
import pandas as pd

from orgkit.scp.catalog import Catalog
from orgkit.scp.engine import DECISIONS, AbsentContext, _complete, any_resource, is_service_linked, resolve_missing
from orgkit.scp.org import Evaluator, check_action, resolve_principal
from orgkit.scp.partition import MAX_COMBINATIONS, RESOURCE, domains, placeholder
from orgkit.scp.policy import Statement

__all__ = ["ScpMatrix", "compute_matrix", "subset_catalog"]

ALLOW, EXPLICIT, IMPLICIT, CONDITIONAL, EXEMPT, UNKNOWN_CODE = range(6)
ND = len(DECISIONS)


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
    #: per row: the actions denied whatever the unknown values (explicitly or implicitly; a ``conditional``
    #: cell can be denied for every value when only the kind of denial depends on them)
    never_allowed: list[np.ndarray] = field(default_factory=list, repr=False)

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
            np.bincount(gidx * ND + r.astype(np.int64), minlength=ng * ND).reshape(ng, ND) for r in self.rows
        ]) if self.rows else np.zeros((0, ng, ND), dtype=np.int64)
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


def _tri_code(v):
    """T / F, or the :class:`Unknown` itself (its keys say what it waits for)."""
    return "T" if v is True else ("F" if v is False else v)


def _hashable(v):
    if isinstance(v, list):
        return tuple(v)
    return v


def _classes(masks: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Actions that every statement treats alike form one class: ``(representative index per class,
    class of each action)``. Rows are computed per class, then spread to the actions."""
    if not masks or n == 0:
        return np.zeros(min(n, 1), dtype=np.int64), np.zeros(n, dtype=np.int64)
    packed = np.packbits(np.stack(masks), axis=0)  # (ceil(k/8), n)
    cols = np.ascontiguousarray(packed.T)
    void = cols.view(np.dtype((np.void, cols.shape[1]))).ravel()
    _, first, inverse = np.unique(void, return_index=True, return_inverse=True)
    return first.astype(np.int64), inverse.reshape(-1).astype(np.int64)


def compute_matrix(
    evaluator: Evaluator,
    principal: str | None = None,
    context: Mapping[str, Any] | None = None,
    resource: str | None = None,
    actions: Sequence[str] | None = None,
    absent_unknown: bool | None = None,
    *,
    missing: str | None = None,
) -> ScpMatrix:
    """Decisions for every account and every catalog action (or only ``actions``: names or wildcards;
    names the catalog lacks are kept, flagged ``in_catalog=False``). The same answers as
    :meth:`Evaluator.decide` for every cell, exact over unknown context keys (see docs/scp.md)."""
    missing = resolve_missing(missing, absent_unknown, context)
    if isinstance(context, AbsentContext):
        context = dict(context)
    if actions is not None:
        actions = [check_action(a) for a in actions]
    cat = evaluator.catalog if actions is None else subset_catalog(evaluator.catalog, actions)
    n = len(cat)
    view = evaluator.view
    res = any_resource(resource)
    acc = view.accounts

    # --- accounts, their chains, and every statement in use
    plan = []
    stmts: dict[tuple, Statement] = {}
    for aid in acc["account_id"]:
        arn = resolve_principal(principal, aid)
        if evaluator.is_management(aid) or is_service_linked(arn):
            plan.append((aid, arn, "exempt", None))
            continue
        if not view.scps_in_force and not (view.unread_targets or view.unread_policies):
            plan.append((aid, arn, "not in force", None))
            continue
        if view.unread_policies:
            plan.append((aid, arn, "unknown", None))
            continue
        levels = evaluator.levels(aid)
        for lv in levels:
            for pol in lv.policies:
                for st in pol.statements:
                    stmts.setdefault((st.policy_id, st.index), st)
        plan.append((aid, arn, "levels", levels))
    gap_pols = {pid: evaluator.unread_policy(pid) for pid in view.unread_targets}
    any_missing = any(evaluator.content_missing(p) for ps in view.attached.values() for p in ps)
    for pol in gap_pols.values():
        for st in pol.statements if pol is not None else ():
            stmts.setdefault((st.policy_id, st.index), st)

    full_mask: dict[tuple, np.ndarray] = {}
    for k, st in stmts.items():
        m = np.zeros(n, dtype=bool)
        for p in st.action_patterns:
            m |= cat.mask(p)
        full_mask[k] = ~m if st.not_actions is not None else m
    rep_idx, cls_of = _classes(list(full_mask.values()), n)
    nc = len(rep_idx)
    cmask = {k: m[rep_idx] for k, m in full_mask.items()}

    level_masks: dict[tuple, tuple] = {}
    row_of: dict[tuple, int] = {}
    rows: list[np.ndarray] = []
    special: dict[str, int] = {}
    templates: dict[tuple, tuple] = {}
    stmt_sc: dict[tuple, Any] = {}
    exact_cache: dict[tuple, Any] = {}
    ev_cache: dict[tuple, int] = {}
    dom_cache: dict[tuple, dict] = {}
    comp_cache: dict[tuple, list] = {}
    gap_cache: dict[frozenset, tuple] = {}
    n_exact = 0

    def lmasks(level, sig):
        k = (level.policy_ids, sig)
        r = level_masks.get(k)
        if r is None:
            deny_def = np.zeros(nc, bool)
            deny_unk = np.zeros(nc, bool)
            allow_def = np.zeros(nc, bool)
            allow_unk = np.zeros(nc, bool)
            i = 0
            for pol in level.policies:
                for st in pol.statements:
                    c = sig[i]
                    i += 1
                    if c == "F":
                        continue
                    m = cmask[(st.policy_id, st.index)]
                    if st.effect == "Deny":
                        (deny_def if c == "T" else deny_unk).__ior__(m)
                    else:
                        (allow_def if c == "T" else allow_unk).__ior__(m)
            no_allow = ~allow_def & ~allow_unk
            unk = deny_unk | (~allow_def & allow_unk)
            r = (deny_def, no_allow, unk)
            level_masks[k] = r
        return r

    def per_statement(levels, sig):
        explicit = np.zeros(nc, bool)
        implicit = np.zeros(nc, bool)
        unknown = np.zeros(nc, bool)
        for lv, s in zip(levels, sig):
            d, na, u = lmasks(lv, s)
            explicit |= d
            implicit |= na
            unknown |= u
        return np.where(explicit, EXPLICIT, np.where(implicit, IMPLICIT, np.where(unknown, CONDITIONAL, ALLOW))).astype(np.int8)

    never: list[np.ndarray] = []

    def special_row(name, code):
        if name not in special:
            special[name] = len(rows)
            rows.append(np.full(n, code, dtype=np.int8))
            never.append(np.zeros(n, dtype=bool))
        return special[name]

    def gap_masks(gaps: frozenset):
        r = gap_cache.get(gaps)
        if r is None:
            deny = np.zeros(nc, bool)
            allow = np.zeros(nc, bool)
            for pid in gaps:
                pol = evaluator.unread_policy(pid)
                if pol is None:
                    deny |= True
                    continue
                for st in pol.statements:
                    (deny if st.effect == "Deny" else allow).__ior__(cmask[(st.policy_id, st.index)])
            r = gap_cache[gaps] = (deny, allow)
        return r

    row_index = np.empty(len(acc), dtype=np.int64)
    for j, (aid, arn, how, levels) in enumerate(plan):
        if how == "exempt":
            row_index[j] = special_row("exempt", EXEMPT)
            continue
        if how == "not in force":
            row_index[j] = special_row("not in force", ALLOW)
            continue
        if how == "unknown":
            row_index[j] = special_row("unknown", UNKNOWN_CODE)
            continue
        chain = tuple(lv.policy_ids for lv in levels)
        tpl = templates.get(chain)
        if tpl is None:
            # statements that read no context key come out the same for every account: once per chain
            bounds, const, keyed, flat_st = [], [], [], []
            for lv in levels:
                start = len(const)
                for pol in lv.policies:
                    for st in pol.statements:
                        flat_st.append(st)
                        if st.sorted_keys:
                            keyed.append((len(const), st))
                            const.append(None)
                        else:
                            const.append(_tri_code(st.applies_beyond_action(res, {})))
                bounds.append((start, len(const)))
            tpl = templates[chain] = (bounds, const, keyed, flat_st)
        bounds, const, keyed, flat_st = tpl
        ctx = None
        if keyed:
            codes = list(const)
            ctx = evaluator.context(aid, arn, context, missing)
            for i, st in keyed:
                sk = (st.policy_id, st.index, tuple(_hashable(ctx.get(k, "\0unknown")) for k in st.sorted_keys))
                c = stmt_sc.get(sk)
                if c is None:
                    c = stmt_sc[sk] = (_tri_code(st.applies_beyond_action(res, ctx)), sk)
                codes[i] = c[0]
        else:
            codes = list(const)
        unknown_at = [i for i, c in enumerate(codes) if not isinstance(c, str)]
        gaps = frozenset(evaluator.unread_for(aid)) if (view.unread_targets or any_missing) else frozenset()
        if not unknown_at:
            key = (chain, tuple(codes), gaps)
            r = row_of.get(key)
            if r is None:
                sig = tuple(tuple(codes[a:b]) for a, b in bounds)
                code = per_statement(levels, sig)
                r = row_of[key] = _store(rows, never, code, None, cls_of, gaps and gap_masks(gaps))
            row_index[j] = r
            continue
        # --- some statements depend on unknown keys: decide over every value that matters
        if ctx is None:
            ctx = evaluator.context(aid, arn, context, missing)
        comps = comp_cache.get((chain, tuple(unknown_at)))
        if comps is None:
            comps = comp_cache[(chain, tuple(unknown_at))] = _components(unknown_at, flat_st, cmask)
        tables = []
        for comp in comps:
            t = _truth_tables([flat_st[i] for i in comp], [codes[i] for i in comp], res, ctx, exact_cache,
                              ev_cache, dom_cache)
            tables.append(t)
        key = (chain, tuple(c if isinstance(c, str) else "U" for c in codes),
               tuple(t[0] if t is not None else None for t in tables), gaps)
        r = row_of.get(key)
        if r is None:
            if any(t is None for t in tables):  # too many combinations: the per-statement answer
                sig = tuple(tuple(c if isinstance(c, str) else "U" for c in codes[a:b]) for a, b in bounds)
                code, nev = per_statement(levels, sig), None
            else:
                n_exact += 1
                sig = tuple(tuple(c if isinstance(c, str) else "F" for c in codes[a:b]) for a, b in bounds)
                code = per_statement(levels, sig)
                nev = (code == EXPLICIT) | (code == IMPLICIT)
                for comp, t in zip(comps, tables):
                    c_code, c_nev = _exact_row(levels, bounds, codes, comp, flat_st, t[1], lmasks, cmask, nc)
                    where = np.logical_or.reduce([cmask[(flat_st[i].policy_id, flat_st[i].index)] for i in comp])
                    code[where] = c_code[where]
                    nev[where] = c_nev[where]
            r = row_of[key] = _store(rows, never, code, nev, cls_of, gaps and gap_masks(gaps))
        row_index[j] = r
    accounts = pd.DataFrame({
        "account_id": acc["account_id"].astype(str).to_numpy(),
        "account_name": acc["account_name"].to_numpy(),
        "ou_path": acc["ou_path"].to_numpy(),
        "row": row_index,
    })
    stats = {"accounts": len(acc), "distinct_rows": len(rows), "distinct_chains": len(templates),
             "actions": n, "action_classes": nc, "exact_rows": n_exact}
    if evaluator.rcp is not None:
        stats["rcp_cells"] = _apply_rcps(evaluator, accounts, rows, never, cat, principal, context, resource, missing)
    return ScpMatrix(accounts, rows, cat, principal, context, stats, never)


def _apply_rcps(evaluator: Evaluator, accounts: pd.DataFrame, rows: list, never: list, cat: Catalog, principal,
                context, resource, missing) -> int:
    """Resource control policies, where they are in force: the cells (account, action on an RCP service) that an
    RCP Deny in the resource account's chain could change are answered by :meth:`Evaluator.decide` (the one place
    that joins the SCP and RCP chains), and so is every cell on an RCP service of the management account asking
    about a member account's resource (exempt from SCPs, decided by that account's RCPs); every other cell is as
    the SCPs say, RCPFullAWSAccess allowing everything at every level. Rows shared by several accounts are copied
    before they change. Returns the cells asked."""
    from orgkit.scp.org import RCP_SERVICES

    rcp = evaluator.rcp
    assert rcp is not None
    services = cat.frame["service"].astype(str).str.lower().to_numpy()
    on_rcp = np.isin(services, sorted(RCP_SERVICES))
    if not on_rcp.any():
        return 0
    names = cat.frame["action"].to_numpy()
    stmt_masks: dict[tuple, np.ndarray] = {}

    def deny_mask(owner: str) -> np.ndarray:
        m = np.zeros(len(names), dtype=bool)
        if rcp.view.unread_policies:
            return on_rcp.copy()
        for lv in rcp.levels(owner):
            for pol in lv.policies:
                for st in pol.statements:
                    if st.effect != "Deny":
                        continue
                    k = (st.policy_id, st.index)
                    sm = stmt_masks.get(k)
                    if sm is None:
                        sm = np.zeros(len(names), dtype=bool)
                        for pat in st.action_patterns:
                            sm |= cat.mask(pat)
                        sm = stmt_masks[k] = (~sm if st.not_actions is not None else sm) & on_rcp
                    m |= sm
        return m

    asked = 0
    copied: dict[tuple, int] = {}
    new_rows = accounts["row"].to_numpy().copy()
    for j, aid in enumerate(accounts["account_id"]):
        arn = resolve_principal(principal, aid)
        owner = evaluator.rcp_owner(aid, "s3:x", resource, arn)  # the service is checked per action below
        if owner is None:
            continue
        mask = deny_mask(owner)
        if evaluator.is_management(aid):  # exempt from SCPs, not from a member account's RCPs: allowed by them
            mask = mask | on_rcp
        where = np.flatnonzero(mask)
        if not len(where):
            continue
        row = int(new_rows[j])
        codes, nev = rows[row].copy(), never[row].copy()
        for i in where:
            d = evaluator.decide(aid, str(names[i]), resource, principal, context, missing=missing)
            codes[i] = DECISIONS.index(d.decision)
            nev[i] = not d.may_be_allowed
            asked += 1
        key = (row, codes.tobytes(), nev.tobytes())
        if key not in copied:
            rows.append(codes)
            never.append(nev)
            copied[key] = len(rows) - 1
        new_rows[j] = copied[key]
    accounts["row"] = new_rows
    return asked


def _store(rows: list, never: list, code_cls: np.ndarray, never_cls, cls_of: np.ndarray, gap) -> int:
    """Spread a per-class row over the actions (and make it ``unknown`` where an unread SCP could change it)."""
    if never_cls is None:
        never_cls = (code_cls == EXPLICIT) | (code_cls == IMPLICIT)
    if gap:
        deny, allow = gap
        code_cls = code_cls.copy()
        code_cls[deny & (code_cls != EXPLICIT)] = UNKNOWN_CODE
        code_cls[allow & ((code_cls == IMPLICIT) | (code_cls == CONDITIONAL))] = UNKNOWN_CODE
        never_cls = never_cls & (code_cls != UNKNOWN_CODE)
    if len(code_cls):
        rows.append(code_cls[cls_of])
        never.append(never_cls[cls_of])
    else:
        rows.append(np.zeros(len(cls_of), dtype=np.int8))
        never.append(np.zeros(len(cls_of), dtype=bool))
    return len(rows) - 1


def _canonical(ust: list[Statement], ctx, res=None):
    """``ctx`` with the values that these statements read only through policy variables replaced by a token of
    their own, when that changes nothing: the value is a plain string that no pattern or condition value of the
    statements contains (in any case), no condition of theirs tests the key, and no known value of a key their
    conditions test contains it (``arn:aws:iam::${aws:PrincipalAccount}:role/Dev`` is compared with
    ``aws:PrincipalArn``, which holds the account id). Accounts then share domains and tables (an account id in
    ``${aws:PrincipalAccount}`` in a Resource pattern is the usual case)."""
    vkeys = {k for st in ust for k in st.variable_keys}
    if not vkeys:
        return ctx
    ckeys = {k for st in ust for k in st.condition_keys}
    text = "\n".join(st.literal_text for st in ust).lower()
    tested = [str(x).lower() for k in ckeys if dict.__contains__(ctx, k)
              for x in (ctx[k] if isinstance(ctx[k], (list, tuple)) else [ctx[k]]) if x is not None]
    canon = {}
    for k in vkeys:
        v = ctx.get(k, None) if k in ctx else None
        low = v.lower() if isinstance(v, str) else ""
        if (low and k not in ckeys and low not in text and (res is None or low not in res.lower())
                and not any(low in t for t in tested) and not any(c in v for c in "$*?")):
            canon[k] = placeholder(k)
    return _complete(ctx, canon) if canon else ctx


def _truth_tables(ust: list[Statement], unknowns: list, res, ctx, cache: dict, evcache: dict, domcache: dict):
    """For the statements that are unknown under ``ctx``: the distinct combinations of their truth values
    over every value of the unknown keys (and the resource). Returns ``(key, signatures)`` (a bool array,
    one row per distinct combination, one column per statement) or ``None`` past MAX_COMBINATIONS.

    Each statement's truth table over the representatives of the keys it reads is cached (by statement,
    the known values it reads, and its keys' domains); the combinations by the tables' contents, so
    accounts whose statements behave alike share the work."""
    ctx = _canonical(ust, ctx, res)
    vkeys = sorted({k for st in ust for k in st.value_keys})
    fast = ("fast", tuple((st.policy_id, st.index, u.keys) for st, u in zip(ust, unknowns)), res,
            tuple(_hashable(ctx.get(k, "\0unknown")) if k in ctx else "\0unknown" for k in vkeys))
    hit = cache.get(fast, False)
    if hit is not False:
        return hit
    hit = cache[fast] = _truth_tables_uncached(ust, unknowns, res, ctx, cache, evcache, domcache)
    return hit


def _truth_tables_uncached(ust, unknowns, res, ctx, cache, evcache, domcache):
    dims = sorted({k for u in unknowns for k in u.keys})
    doms = domains(dims, ust, ctx, domcache, resource=res if isinstance(res, str) else None) if dims else {}
    shape = [len(doms[k]) for k in dims]
    total = math.prod(shape)
    if total > MAX_COMBINATIONS:
        return None
    tabs = []
    for st, u in zip(ust, unknowns):
        mine = [k for k in dims if k in u.keys]
        # a statement that is unknown has every test on a known key true (a false one would make it false), so
        # its table depends only on the unknown keys, on the values its policy variables take and on the known
        # values its conditions compare with a variable (``"aws:PrincipalAccount": "${aws:PrincipalTag/a}1"``)
        known = tuple(_hashable(ctx.get(k, "\0unknown")) for k in sorted(st.value_keys) if k not in mine)
        tk = (st.policy_id, st.index, known, res, tuple(id(doms[k]) for k in mine))
        tab = evcache.get(tk)
        if tab is None:
            tshape = [len(doms[k]) for k in mine]
            tab = np.empty(tshape or [1], dtype=np.int8)
            for idx in np.ndindex(*(tshape or [1])):
                combo = {k: doms[k][i] for k, i in zip(mine, idx)} if mine else {}
                values = {k: r.value for k, r in combo.items() if k != RESOURCE}
                rr = combo[RESOURCE].value if RESOURCE in combo else res
                t = st.applies_beyond_action(rr, _complete(ctx, values))
                tab[idx if mine else 0] = 1 if t is True else (0 if t is False else 2)
            evcache[tk] = tab
        tabs.append((tuple(dims.index(k) for k in mine), tab))
    ckey = (tuple(shape), tuple((pos, t.tobytes()) for pos, t in tabs))
    hit = cache.get(ckey)
    if hit is not None:
        return hit
    cols = []
    for pos, tab in tabs:
        full = tab.reshape([shape[i] if i in pos else 1 for i in range(len(dims))] or [1])
        cols.append(np.broadcast_to(full, shape or [1]).reshape(-1))
    sig = np.stack(cols, axis=1)  # (total, k): 0 false, 1 true, 2 still unknown (an unknown operator)
    free = [i for i in range(sig.shape[1]) if (sig[:, i] == 2).any()]
    out = sig == 1
    for i in free:  # a test no value settles is a free yes/no: both
        alt = out.copy()
        alt[:, i] = alt[:, i] | (sig[:, i] == 2)
        out = np.concatenate([out, alt])
        sig = np.concatenate([sig, sig])
    distinct = {}
    for row in out:
        distinct.setdefault(row.tobytes(), row)
    out = np.stack([distinct[k] for k in sorted(distinct)])
    hit = cache[ckey] = (b"".join(sorted(distinct)) + bytes(out.shape[1:]), out)
    return hit


def _components(unknown_at: list[int], flat_st: list, cmask: dict) -> list[list[int]]:
    """The unknown statements grouped so that no action is matched by statements of two groups (connected
    by overlapping actions): each group is decided over its own keys' values, independently of the others."""
    parent = {i: i for i in unknown_at}

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    masks = {i: cmask[(flat_st[i].policy_id, flat_st[i].index)] for i in unknown_at}
    for x, i in enumerate(unknown_at):
        for k in unknown_at[x + 1:]:
            if find(i) != find(k) and (masks[i] & masks[k]).any():
                parent[find(k)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in unknown_at:
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def _exact_row(levels, bounds, codes, unknown_at, flat_st, sigs: np.ndarray, lmasks, cmask, nc) -> np.ndarray:
    """Per class: the decision for every combination of the unknown statements' truth values; the
    same everywhere -> that decision; denied in every combination but not always explicitly -> ``implicit_deny``;
    else ``conditional``."""
    pos = {i: c for c, i in enumerate(unknown_at)}
    sigf = sigs.astype(np.float32)
    n_sig = len(sigs)
    explicit = np.zeros((n_sig, nc), bool)
    implicit = np.zeros((n_sig, nc), bool)
    for lv, (a, b) in zip(levels, bounds):
        known = tuple(c if isinstance(c, str) else "F" for c in codes[a:b])
        d, na, _ = lmasks(lv, known)
        explicit |= d
        allow = np.broadcast_to(~na, (n_sig, nc))
        dc, dm, ac, am = [], [], [], []
        for k in range(a, b):
            if k in pos:
                st = flat_st[k]
                m = cmask[(st.policy_id, st.index)]
                if st.effect == "Deny":
                    dc.append(pos[k])
                    dm.append(m)
                else:
                    ac.append(pos[k])
                    am.append(m)
        if dc:
            explicit |= (sigf[:, dc] @ np.stack(dm).astype(np.float32)) > 0
        if ac:
            allow = allow | ((sigf[:, ac] @ np.stack(am).astype(np.float32)) > 0)
        implicit |= ~allow
    code = np.where(explicit, EXPLICIT, np.where(implicit, IMPLICIT, ALLOW)).astype(np.int8)
    out = code[0].copy()
    never = ~(code == ALLOW).any(axis=0)
    differs = (code != code[0]).any(axis=0)
    out[differs] = CONDITIONAL
    # deny is deny: denied in every combination, explicitly in some and implicitly in others -> implicit_deny
    out[differs & never] = IMPLICIT
    return out, never
