"""The effect of SCP changes: for each account, which actions (grouped by service) became allowed, denied or
conditional for a chosen principal, and how its tamper protection changed.

Both organisations are evaluated over the whole IAM action catalog with the SCP engine's matrix
(:func:`orgkit.scp.matrix`, computed once per distinct chain of policies), and the tamper-protection table
(:func:`orgkit.scp.tamper_protection`); accounts present in both are compared. Accounts with the same pair of
(before, after) decision vectors share the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from orgkit.diff.rows import decision_severity, row


def _matrix(org, principal, context, resource, actions):
    from orgkit import scp

    return scp.matrix(org, principal=principal, context=context, resource=resource, actions=actions)


def _fail_rows(which: str, err: Exception, accounts: pd.DataFrame) -> list[dict]:
    return [row("scp_effect", "regression" if which == "AFTER" else "unknown", after="unknown" if which == "AFTER"
                else None, before="unknown" if which == "BEFORE" else None,
                reason=f"SCPs of {which} could not be evaluated: {err}")]


@dataclass
class Effect:
    """What :func:`scp_effect_changes` found: the ``tamper`` and ``unknown`` rows (dicts), the ``scp_effect``
    rows (a frame: there can be hundreds of thousands), the severities seen per account, and the attributor."""

    rows: list[dict]
    frame: pd.DataFrame | None
    by_account: dict[str, set[str]]
    attributor: "Attributor | None"


_VERB = {"allow": "allowed", "explicit_deny": "denied", "implicit_deny": "denied (no Allow)",
         "conditional": "conditional", "exempt": "exempt", "unknown": "unknown"}


def scp_effect_changes(before, after, principal: str | None = None, context: Mapping[str, Any] | None = None,
                       resource: str | None = None, actions: Sequence[str] | None = None,
                       unknown_accounts: Mapping[str, str] | None = None) -> Effect:
    """``scp_effect`` rows (one per account, service and transition, with the actions) and ``tamper`` rows (one per
    account and tamper action whose decision changed). ``unknown_accounts`` (account → why) are not compared: one
    ``scp_effect`` row says their answer is unknown."""
    from orgkit import scp
    from orgkit.scp.policy import PolicyError

    unknown_accounts = dict(unknown_accounts or {})
    rows: list[dict] = []
    try:
        mb = _matrix(before, principal, context, resource, actions)
    except (PolicyError, ValueError) as e:
        return Effect(_fail_rows("BEFORE", e, before.accounts), None, {}, None)
    try:
        ma = _matrix(after, principal, context, resource, actions)
    except (PolicyError, ValueError) as e:
        return Effect(_fail_rows("AFTER", e, after.accounts), None, {}, None)
    decisions = list(scp.DECISIONS)
    cat = ma.catalog.frame
    if len(mb.catalog) != len(cat) or not (mb.catalog.frame["action"].to_numpy() == cat["action"].to_numpy()).all():
        raise ValueError("the two evaluations used different action catalogs")
    services = cat["service"].fillna("?").to_numpy(dtype=object)
    names = cat["action"].to_numpy(dtype=object)
    svc_codes, _ = pd.factorize(services, sort=True)  # services sort as their codes do

    row_b = dict(zip(mb.accounts["account_id"], mb.accounts["row"]))
    acc_a = ma.accounts
    ids = acc_a["account_id"].to_numpy(dtype=object)
    acc_names = acc_a["account_name"].to_numpy(dtype=object)
    paths = acc_a["ou_path"].to_numpy(dtype=object)
    rows_a = acc_a["row"].to_numpy()
    memo: dict[tuple[int, int], dict | None] = {}
    members: dict[tuple[int, int], list[int]] = {}
    by_account: dict[str, set[str]] = {}
    for j, aid in enumerate(ids):
        if aid not in row_b:
            continue
        if aid in unknown_accounts:
            rows.append(row("scp_effect", "unknown", account_id=aid, account_name=acc_names[j], ou_path=paths[j],
                            after="unknown", reason=unknown_accounts[aid]))
            continue
        key = (int(row_b[aid]), int(rows_a[j]))
        if key not in memo:
            x, y = mb.rows[key[0]], ma.rows[key[1]]
            idx = np.flatnonzero(x != y)
            g = None
            if len(idx):
                # group the changed actions by (service, before, after) with integer keys
                gkey = (svc_codes[idx].astype(np.int64) * 64 + x[idx].astype(np.int64) * 8 + y[idx])
                order = np.argsort(gkey, kind="stable")
                idx, gkey = idx[order], gkey[order]
                starts = np.flatnonzero(np.r_[True, gkey[1:] != gkey[:-1]])
                ends = np.r_[starts[1:], len(idx)]
                cols: dict[str, list] = {c: [] for c in ("service", "before", "after", "action", "count",
                                                          "severity", "reason")}
                for st, en in zip(starts, ends):
                    i0 = idx[st]
                    svc, b, a, acts = services[i0], decisions[x[i0]], decisions[y[i0]], names[idx[st:en]].tolist()
                    cols["service"].append(svc)
                    cols["before"].append(b)
                    cols["after"].append(a)
                    cols["action"].append(", ".join(acts))
                    cols["count"].append(len(acts))
                    cols["severity"].append(decision_severity(b, a))
                    cols["reason"].append(f"{len(acts)} {svc} action{'s' if len(acts) != 1 else ''} now "
                                          f"{_VERB.get(a, a)} (were {b})")
                g = {c: np.array(v, dtype=object) for c, v in cols.items()}
            memo[key] = g
        if memo[key] is not None:
            members.setdefault(key, []).append(j)
            by_account.setdefault(aid, set()).update(memo[key]["severity"])
    cond = _condition_changes(before, after, mb, ma, row_b, ids, rows_a, set(unknown_accounts), principal, context,
                              resource, services, names, svc_codes)
    for j, g in cond:
        key = ("cond", j)
        memo[key] = g
        members.setdefault(key, []).append(j)
        by_account.setdefault(ids[j], set()).update(g["severity"])
    parts = []
    for key, js in members.items():
        g = memo[key]
        n_g, n_a = len(g["service"]), len(js)
        js = np.array(js)
        part = {c: np.tile(v, n_a) for c, v in g.items()}
        part["account_id"] = np.repeat(ids[js], n_g)
        part["account_name"] = np.repeat(acc_names[js], n_g)
        part["ou_path"] = np.repeat(paths[js], n_g)
        parts.append(part)
    frame = None
    if parts:
        frame = pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in parts[0]})
        frame["kind"] = "scp_effect"
    tamper = tamper_changes(before, after, principal, context, set(unknown_accounts),
                            matrices=(mb, ma) if resource is None else None)
    for r in tamper:
        by_account.setdefault(r["account_id"], set()).add(r["severity"])
    rows.extend(tamper)
    # the tamper rows are over every tamper action for any resource: where the matrices are over other actions or
    # one resource, a change rated alone is compared over the tamper actions too (BEFORE's, as the tamper table)
    tamper_b = None
    if actions is not None or resource is not None:
        try:
            tamper_b = _matrix(before, principal, context, None, list(scp.TAMPER_ACTIONS))
        except (PolicyError, ValueError):
            tamper_b = None
    return Effect(rows, frame, by_account, Attributor(scp.evaluator(before), mb, dict(
        principal=principal, context=context, resource=resource, actions=actions), tamper_b))


def _signature(ev, aid: str) -> tuple:
    """What an account's SCP answers depend on: its chain of nodes with each policy's id and text."""
    docs = ev.view.documents
    return tuple((n, tuple((p, docs.get(p, (None, None))[0]) for p in ev.view.attached.get(n, ())))
                 for n in ev.view.ancestors(aid))


def _severity_of(ch) -> str:
    return "regression" if ch.gained else "improvement"


def _change_words(ch) -> str:
    out = []
    if ch.gained:
        out.append(f"now allowed when {ch.gained}")
    if ch.lost:
        out.append(f"no longer allowed when {ch.lost}")
    return "; ".join(out)


_PER_ACCOUNT_KEYS = frozenset({"aws:principalaccount", "aws:principalorgpaths", "aws:resourceaccount",
                               "aws:resourceorgpaths"})


class CaseComparer:
    """Compares actions whose label is ``conditional`` on both sides by their allowed cases
    (:func:`orgkit.scp.compare.compare_cases`), once per distinct pair of chains (and per account when a policy
    reads a variable the account fills)."""

    def __init__(self, ev_b, ev_a, principal=None, context=None, resource=None):
        self.ev_b, self.ev_a = ev_b, ev_a
        self.principal, self.context, self.resource = principal, context, resource
        self.memo: dict = {}
        self.mask_cache: dict = {}

    def sides(self, aid: str):
        from orgkit.scp.org import resolve_principal

        sb, sa = _signature(self.ev_b, aid), _signature(self.ev_a, aid)
        arn = resolve_principal(self.principal, aid)
        # resource control policies in force on a side: actions on their services in a member account are decided
        # by the SCP chain and the RCP chain of the resource's account together (Evaluator._with_rcps)
        rb, lrb = self._rcp_chain(self.ev_b, aid, arn)
        ra, lra = self._rcp_chain(self.ev_a, aid, arn)
        if sb == sa and rb == ra:
            return None
        lb, la = self.ev_b.levels(aid), self.ev_a.levels(aid)
        cb, ca = self.ev_b.context(aid, arn, self.context), self.ev_a.context(aid, arn, self.context)
        # accounts under the same chains share the answers unless a statement reads what differs between them
        # (the account id, its OU path, a principal ARN that names the account, or a policy variable)
        per = _PER_ACCOUNT_KEYS | ({"aws:principalarn"} if self.principal else set())
        per_account = any(st.variable_keys or (st.referenced_keys & per)
                          for lv in (*lb, *la, *lrb, *lra) for pol in lv.policies for st in pol.statements)
        share = (sb[:-1], sb[-1][1], sa[:-1], sa[-1][1], rb, ra, aid if per_account else None)
        return share, lb, cb, la, ca, lb + lrb, la + lra

    def _rcp_chain(self, ev, aid: str, arn) -> tuple[tuple | None, list]:
        """(what the RCP answers depend on, the RCP levels) for actions on RCP services in ``aid``; (None, [])
        where no RCP applies. The account node's own id is left out of the signature when the resource's account is
        ``aid`` itself, so that accounts under the same chains share the work."""
        if getattr(ev, "rcp", None) is None:
            return None, []
        owner = ev.rcp_owner(aid, "s3:x", self.resource, arn)
        if owner is None:
            return None, []
        sig = _signature(ev.rcp, owner)
        if ev.rcp.view.unread_policies:  # the matrix answers unknown there: nothing to compare
            return ("unread",), []
        key = (sig[:-1], sig[-1][1]) if owner == aid else sig
        return key, ev.rcp.levels(owner)

    def compare(self, aid: str, actions: list[str]) -> dict[str, object]:
        """action -> :class:`orgkit.scp.compare.CaseChange` for the actions whose allowed cases changed."""
        from orgkit.scp.compare import compare_cases
        from orgkit.scp.org import RCP_SERVICES

        s = self.sides(aid)
        if s is None:
            return {}
        key, lb, cb, la, ca, lbr, lar = s
        from orgkit.scp.compare import statement_masks

        cat = self.ev_a.catalog
        cache = self.mask_cache.setdefault(id(cat), {})
        # the SCP and RCP chains' statements (lbr, lar hold both): actions that match the same ones share the cases
        masks = statement_masks(cat, lbr, cache) + statement_masks(cat, lar, cache)
        out = {}
        for a in actions:
            i = cat._index.get(a.lower())
            on_rcp = a.split(":", 1)[0].lower() in RCP_SERVICES
            # actions that match the same statements (and are, or are not, decided with the RCP chain too) have the
            # same cases: compared once per chain pair
            k = (key, "class", on_rcp, tuple(bool(m[i]) for m in masks)) if i is not None else (key, a)
            if k not in self.memo:
                self.memo[k] = compare_cases(lbr if on_rcp else lb, cb, lar if on_rcp else la, ca, a, self.resource)
            ch = self.memo[k]
            if ch is not None and ch.changed:
                out[a] = ch
        return out

    def compare_classes(self, aid: str, idx: np.ndarray, names: np.ndarray, catalog,
                        row_key=None) -> list[tuple[np.ndarray, object]]:
        """For catalog positions ``idx`` (conditional on both sides): groups of positions that match the same
        statements, with their change (only the groups that changed). One comparison per group."""
        from orgkit.scp.org import RCP_SERVICES

        s = self.sides(aid)
        if s is None:
            return []
        key, lb, cb, la, ca, lbr, lar = s
        # accounts with the same chains and the same pair of decision rows share the grouping and the answers
        gkey = (key, id(catalog), row_key) if row_key is not None else None
        if gkey is not None and gkey in self.memo:
            return self.memo[gkey]
        if len(lbr) == len(lb) and len(lar) == len(la):  # no RCP chain on either side
            out = self._classes(key, lb, cb, la, ca, idx, names, catalog)
        else:  # actions on RCP services with both chains, the others with the SCP chain alone
            svc = self.mask_cache.get(("services", id(catalog)))
            if svc is None:
                svc = self.mask_cache[("services", id(catalog))] = np.isin(
                    catalog.frame["service"].astype(str).str.lower().to_numpy(), sorted(RCP_SERVICES))
            on = svc[idx]
            out = self._classes(key, lb, cb, la, ca, idx[~on], names, catalog) \
                + self._classes((key, "rcp"), lbr, cb, lar, ca, idx[on], names, catalog)
        if gkey is not None:
            self.memo[gkey] = out
        return out

    def _classes(self, key, lb, cb, la, ca, idx: np.ndarray, names: np.ndarray, catalog) -> list:
        from orgkit.scp.compare import compare_cases, statement_masks

        if not len(idx):
            return []
        cache = self.mask_cache.setdefault(id(catalog), {})  # positions are the matrix's catalog's
        masks = statement_masks(catalog, lb, cache) + statement_masks(catalog, la, cache)
        if not masks:
            return []
        sub = np.stack(masks)[:, idx]
        if len(masks) <= 63:  # one integer per action: which statements it matches
            codes_ = (sub.T.astype(np.uint64) << np.arange(len(masks), dtype=np.uint64)).sum(axis=1)
            _, inv = np.unique(codes_, return_inverse=True)
            bits = sub
        else:
            bits = np.packbits(sub, axis=0)
            _, inv = np.unique(bits.T, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        out = []
        for gi in range(int(inv.max()) + 1 if len(inv) else 0):
            members = idx[inv == gi]
            a = str(names[members[0]])
            k = (key, "class", bits[:, inv == gi][:, 0].tobytes())
            if k not in self.memo:
                self.memo[k] = compare_cases(lb, cb, la, ca, a, self.resource)
            ch = self.memo[k]
            if ch is not None and ch.changed:
                out.append((members, ch))
        return out


def _condition_changes(before, after, mb, ma, row_b, ids, rows_a, skip, principal, context, resource, services, names,
                       svc_codes) -> list[tuple[int, dict]]:
    """``scp_effect`` rows for actions ``conditional`` before and after whose allowed cases changed (one per
    account, service and direction of change), as (account position, row group)."""
    from orgkit import scp

    cond = list(scp.DECISIONS).index("conditional")
    comparer = None
    out = []
    built: dict[int, dict] = {}  # rows per grouping (the comparer keeps the groupings alive)
    for j, aid in enumerate(ids):
        if aid not in row_b or aid in skip:
            continue
        x, y = mb.rows[int(row_b[aid])], ma.rows[int(rows_a[j])]
        both = np.flatnonzero((x == cond) & (y == cond))
        if not len(both):
            continue
        if comparer is None:
            comparer = CaseComparer(scp.evaluator(before), scp.evaluator(after), principal, context, resource)
        groups = comparer.compare_classes(aid, both, names, ma.catalog, row_key=(int(row_b[aid]), int(rows_a[j])))
        if not groups:
            continue
        done = built.get(id(groups))
        if done is not None:
            out.append((j, done))
            continue
        cols: dict[str, list] = {c: [] for c in ("service", "before", "after", "action", "count", "severity", "reason")}
        by: dict[tuple, list] = {}
        for members, ch in groups:
            for i in members:
                by.setdefault((services[i], _severity_of(ch), _change_words(ch)), []).append(str(names[i]))
        for (svc, sev, words), acts in sorted(by.items()):
            cols["service"].append(svc)
            cols["before"].append("conditional")
            cols["after"].append("conditional")
            cols["action"].append(", ".join(acts))
            cols["count"].append(len(acts))
            cols["severity"].append(sev)
            n = len(acts)
            cols["reason"].append(f"{acts[0]}: {words}" if n == 1 else
                                  f"{n} {svc} actions (e.g. {acts[0]}): {words}")
        done = built[id(groups)] = {c: np.array(v, dtype=object) for c, v in cols.items()}
        out.append((j, done))
    return out


class Attributor:
    """The effect of one structural change alone, applied to BEFORE: the SCP structure of BEFORE is copied
    (:class:`orgkit.scp.OrgView`), the one change made, and only the accounts it touches evaluated again; their
    decisions are compared with BEFORE's. So a reformatted policy shows no effect even when another change in
    the same diff changed the accounts it applies to."""

    def __init__(self, evaluator, matrix_before, params: dict, tamper_before=None):
        self.ev = evaluator
        self.mb = matrix_before
        self.params = params
        self.row_of = dict(zip(matrix_before.accounts["account_id"], matrix_before.accounts["row"]))
        #: BEFORE's matrix over the tamper actions for any resource, where ``matrix_before`` is over other actions
        #: or one resource: the tamper rows count in the effect of a change as in the effect rows
        self.tamper = tamper_before
        self.tamper_row_of = None if tamper_before is None else dict(
            zip(tamper_before.accounts["account_id"], tamper_before.accounts["row"]))

    def effect(self, change: dict, accounts: set[str], after) -> tuple[str, int] | None:
        """(worst severity, accounts whose decisions change) of ``change`` alone; None when it cannot be
        isolated (the severity then comes from the whole diff's effect rows)."""
        view = self.ev.view.copy()
        kind = change["kind"]
        pid, tid = change.get("policy_id"), change.get("target_id")
        if kind.startswith("rcp_"):
            return self._rcp_effect(change, accounts, after)
        try:
            if kind == "scp_edited":
                pol = after.policies
                text = pol["content"][pol["policy_id"] == pid].iloc[0]
                view.documents[pid] = (text, view.documents.get(pid, (None, pid))[1])
            elif kind == "scp_deleted":
                view.attached = {n: tuple(p for p in ps if p != pid) for n, ps in view.attached.items()}
            elif kind == "scp_attached":
                if pid not in view.documents:
                    row_ = after.policies.set_index("policy_id").loc[pid]
                    view.documents[pid] = (row_["content"], row_["name"])
                if tid not in view.parent:  # attached to an OU or account new in AFTER: its own rows tell
                    return "neutral", 0
                view.attached[tid] = tuple(sorted({*view.attached.get(tid, ()), pid}))
            elif kind == "scp_detached":
                if tid not in view.parent:
                    return None
                view.attached[tid] = tuple(p for p in view.attached.get(tid, ()) if p != pid)
            elif kind in ("account_moved", "ou_moved"):
                node = change.get("account_id") if kind == "account_moved" else tid
                new_parent = tid if kind == "account_moved" else next(iter(after.graph.predecessors(tid)), None)
                if node not in view.parent or new_parent not in view.parent:
                    return None
                view.parent[node] = new_parent
                view.invalidate()
            elif kind == "scp_policy_type":
                if change.get("after") == "enabled":
                    # "when you enable SCPs, AWS Organizations attaches an AWS managed SCP named FullAWSAccess"
                    # (SCP evaluation): enabled alone the type changes nothing; what it changes is what the
                    # policies attached with it deny, which only AFTER's decisions (the effect rows) tell
                    return None
                view.scp_enabled = False
            else:
                return None
        except KeyError:
            return None
        per = self._compare(view, accounts)
        if per is None:
            return None
        from orgkit.diff.rows import worst

        return worst([x for v in per.values() for x in v]), sum(1 for v in per.values() if v)

    def _rcp_effect(self, change: dict, accounts: set[str], after) -> tuple[str, int] | None:
        """The effect of one RCP change alone: BEFORE's RCPs (laid over BEFORE's tree) with that change made.
        None where BEFORE has no RCPs in force (the change cannot be isolated)."""
        from orgkit.diff.rows import worst

        rview = self.ev.rcp_view_for(self.ev.view)
        if rview is None:
            return None
        kind, pid, tid = change["kind"], change.get("policy_id"), change.get("target_id")
        rcps = getattr(after, "rcps", None)
        try:
            if kind == "rcp_edited":
                text = rcps["content"][rcps["policy_id"] == pid].iloc[0]
                rview.documents[pid] = (text, rview.documents.get(pid, (None, pid))[1])
            elif kind == "rcp_deleted":
                rview.attached = {n: tuple(p for p in ps if p != pid) for n, ps in rview.attached.items()}
            elif kind == "rcp_attached":
                if pid not in rview.documents:
                    r_ = rcps.set_index("policy_id").loc[pid]
                    rview.documents[pid] = (r_["content"], r_["name"])
                if tid not in self.ev.view.parent:
                    return "neutral", 0
                rview.attached[tid] = tuple(sorted({*rview.attached.get(tid, ()), pid}))
            elif kind == "rcp_detached":
                if tid not in self.ev.view.parent:
                    return None
                rview.attached[tid] = tuple(p for p in rview.attached.get(tid, ()) if p != pid)
            elif kind == "rcp_policy_type":
                rview.scp_enabled = change.get("after") == "enabled"
            else:
                return None
        except (KeyError, IndexError, TypeError):
            return None
        per = self._compare(self.ev.view.copy(), accounts, rcp_view=rview)
        if per is None:
            return None
        return worst([x for v in per.values() for x in v]), sum(1 for v in per.values() if v)

    def effect_moves(self, moves: dict[str, str]) -> dict[str, tuple[str, int]]:
        """The effect of each account move alone (account → new parent). An account's decisions depend only on
        its own chain, so all moves are made in one copy and evaluated together."""
        from orgkit.diff.rows import worst

        view = self.ev.view.copy()
        ok = {a: p for a, p in moves.items() if a in view.parent and p in view.parent}
        for a, p in ok.items():
            view.parent[a] = p
        view.invalidate()
        per = self._compare(view, set(ok)) or {}
        return {a: (worst(per.get(a, ())), 1 if per.get(a) else 0) for a in ok}

    def _compare(self, view, accounts: set[str], rcp_view=False) -> dict[str, set[str]] | None:
        """Evaluate ``accounts`` in ``view``; per account, the severities of its decision changes from BEFORE (over
        the actions asked, and the tamper actions where those are not among them)."""
        from orgkit import scp

        acc = view.accounts
        view.accounts = acc[acc["account_id"].isin(accounts) & acc["account_id"].isin(self.row_of)].reset_index(drop=True)
        if view.accounts.empty:
            return {}
        if rcp_view is False:  # BEFORE's RCPs over this tree (an RCP change passes its own)
            rcp_view = self.ev.rcp_view_for(view)
        out = self._changes(view, rcp_view, self.mb, self.row_of, self.params)
        if out is not None and self.tamper is not None:
            tamper_params = {**self.params, "resource": None, "actions": list(scp.TAMPER_ACTIONS)}
            more = self._changes(view, rcp_view, self.tamper, self.tamper_row_of, tamper_params)
            if more is None:
                return None
            for aid, sev in more.items():
                out.setdefault(aid, set()).update(sev)
        return out

    def _changes(self, view, rcp_view, mb, row_of: dict, params: dict) -> dict[str, set[str]] | None:
        """Per account of ``view``, the severities of its decision changes from ``mb`` (BEFORE's matrix made with
        ``params``; ``row_of``: each account's row in it)."""
        from orgkit import scp
        from orgkit.scp.matrix import compute_matrix
        from orgkit.scp.policy import PolicyError

        try:
            m = compute_matrix(scp.Evaluator(view, self.ev.catalog, rcp=rcp_view), **params)
        except (PolicyError, ValueError):
            return None
        decisions = list(scp.DECISIONS)
        cond = decisions.index("conditional")
        memo: dict[tuple[int, int], set[str]] = {}
        out: dict[str, set[str]] = {}
        comparer = None
        names = m.catalog.frame["action"].to_numpy(dtype=object)
        for aid, r in zip(m.accounts["account_id"], m.accounts["row"]):
            key = (int(row_of[aid]), int(r))
            got = memo.get(key)
            x, y = mb.rows[key[0]], m.rows[key[1]]
            if got is None:
                ch = np.flatnonzero(x != y)
                pairs = set(zip(x[ch].tolist(), y[ch].tolist())) if len(ch) else set()
                got = memo[key] = {decision_severity(decisions[a], decisions[b]) for a, b in pairs}
            got = set(got)
            both = np.flatnonzero((x == cond) & (y == cond))
            if len(both):  # the same label, conditional: compare the allowed cases
                if comparer is None:
                    comparer = CaseComparer(self.ev, scp.Evaluator(view, self.ev.catalog, rcp=rcp_view),
                                            params.get("principal"), params.get("context"), params.get("resource"))
                got |= {_severity_of(ch_) for _, ch_ in comparer.compare_classes(aid, both, names, m.catalog,
                                                                                 row_key=key)}
            out[aid] = got
        return out


def _tamper_frame(m, actions: list[str]) -> pd.DataFrame | None:
    """The tamper table (as :func:`orgkit.scp.tamper_protection` gives it) read from a whole-catalog matrix, or
    None when the matrix lacks one of the actions."""
    from orgkit import scp

    index = {a.lower(): i for i, a in enumerate(m.catalog.frame["action"])}
    if not all(a.lower() in index for a in actions):
        return None
    order = [index[a.lower()] for a in actions]
    rows = np.stack([r[order] for r in m.rows]) if m.rows else np.zeros((0, len(order)), dtype=np.int8)
    codes = rows[m.accounts["row"].to_numpy()] if len(m.accounts) else np.zeros((0, len(order)), dtype=np.int8)
    out = m.accounts[["account_id", "account_name", "ou_path"]].copy()
    decisions = list(scp.DECISIONS)
    for j, a in enumerate(actions):
        out[a] = pd.Categorical.from_codes(codes[:, j], decisions)
    denied = [decisions.index("explicit_deny"), decisions.index("implicit_deny")]
    out["protected"] = np.isin(codes, denied).all(axis=1) if len(out) else np.zeros(0, dtype=bool)
    return out


def tamper_changes(before, after, principal=None, context=None, skip: set[str] | None = None,
                   matrices=None) -> list[dict]:
    """One row per (account, tamper action) whose decision changed (:data:`orgkit.scp.TAMPER_ACTIONS`)."""
    from orgkit import scp

    actions = list(scp.TAMPER_ACTIONS)
    tb = ta = None
    if matrices is not None:  # the whole-catalog matrices hold the answers already
        tb, ta = _tamper_frame(matrices[0], actions), _tamper_frame(matrices[1], actions)
    if tb is None or ta is None:
        tb = scp.tamper_protection(scp.evaluator(before), principal=principal, context=context)
        ta = scp.tamper_protection(scp.evaluator(after), principal=principal, context=context)
    rows = []
    pos = {a: i for i, a in enumerate(tb["account_id"])}
    ids = ta["account_id"].to_numpy(dtype=object)
    names = ta["account_name"].to_numpy(dtype=object)
    paths = ta["ou_path"].to_numpy(dtype=object)
    idx = np.array([pos.get(a, -1) for a in ids], dtype=np.int64)
    old = idx >= 0
    skip = skip or set()
    keep = np.array([a not in skip for a in ids], dtype=bool)
    take = np.where(old, idx, 0)

    def aligned(arr: np.ndarray, fill) -> np.ndarray:  # BEFORE's values in AFTER's account order
        return arr[take] if len(arr) else np.full(len(ids), fill, dtype=arr.dtype)

    pb = aligned(tb["protected"].to_numpy(dtype=bool), False)
    pa = ta["protected"].to_numpy(dtype=bool)
    cols: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for act in actions:
        x = aligned(tb[act].astype(str).to_numpy(dtype=object), "")
        y = ta[act].astype(str).to_numpy(dtype=object)
        cols[act] = (x, y)
        for j in np.flatnonzero(old & keep & (x != y)):
            sev = decision_severity(x[j], y[j])
            what = ("tamper protection lost: " if pb[j] and not pa[j] else
                    "tamper protection gained: " if pa[j] and not pb[j] else "")
            can = {"allow": "can now", "conditional": "may (depends on context)",
                   "exempt": "is exempt and can"}.get(y[j])
            reason = what + (f"{can} call {act}" if can else f"{act} now {y[j]}") + f" (was {x[j]})"
            rows.append(row("tamper", sev, account_id=ids[j], account_name=names[j], ou_path=paths[j],
                            before=x[j], after=y[j], service=act.split(":")[0], action=act, reason=reason))
    # the same label on both sides, conditional: compare the cases in which it is allowed (issue 18)
    comparer = None
    for j in np.flatnonzero(old & keep):
        same = [act for act in actions if cols[act][0][j] == "conditional" and cols[act][1][j] == "conditional"]
        if not same:
            continue
        if comparer is None:
            comparer = CaseComparer(scp.evaluator(before), scp.evaluator(after), principal, context)
        for act, ch in comparer.compare(ids[j], same).items():
            rows.append(row("tamper", _severity_of(ch), account_id=ids[j], account_name=names[j], ou_path=paths[j],
                            before="conditional", after="conditional", service=act.split(":")[0], action=act,
                            reason=f"{act}: {_change_words(ch)}"))
    for j in np.flatnonzero(~old & keep):  # a new account: it arrives exposed or not (one row per decision)
        by: dict[str, list[str]] = {}
        for act in actions:
            y = cols[act][1][j]
            if y in ("allow", "conditional", "exempt", "unknown"):
                by.setdefault(y, []).append(act)
        for y, acts in by.items():
            can = {"allow": "can call", "conditional": "may (depends on context) call",
                   "exempt": "is exempt and can call", "unknown": "cannot be shown denied:"}[y]
            rows.append(row("tamper", "regression", account_id=ids[j], account_name=names[j], ou_path=paths[j],
                            after=y, action=", ".join(acts), count=len(acts),
                            reason=f"new account {can} {len(acts)} of {len(actions)} tamper actions"))
    return rows
