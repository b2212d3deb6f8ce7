"""What-if: move an account, attach or detach a policy, in memory, and list what changes."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from orgkit.scp.catalog import Catalog
from orgkit.scp.engine import DECISIONS
from orgkit.scp.matrix import compute_matrix
from orgkit.scp.org import Evaluator, OrgView
from orgkit.scp.policy import compile_policy

__all__ = ["WhatIf"]


class WhatIf:
    """A changed copy of an organisation's SCP structure. Nothing is written anywhere.

    >>> w = WhatIf(org).detach("p-FullAWSAccess", "ou-prod").attach("p-allowlist", "ou-prod")
    >>> w.summary()      # per account: how many actions change, and how
    >>> w.changes()      # per (account, action) that changes: before, after
    """

    def __init__(self, org, catalog: Catalog | None = None):
        self.before = org if isinstance(org, Evaluator) else Evaluator(org, catalog)
        self.view: OrgView = self.before.view.copy()
        self.log: list[str] = []
        self._after: Evaluator | None = None

    # ------------------------------------------------------------------ edits
    def _target(self, node: str, kinds=("root", "ou", "account")) -> str:
        node = str(node)
        if node not in self.view.parent:
            raise KeyError(f"{node} is not a node of the organisation")
        if self.view.kind.get(node) not in kinds:
            raise ValueError(f"{node} is a {self.view.kind.get(node)}, expected one of {', '.join(kinds)}")
        return node

    def move_account(self, account_id: str, new_parent: str) -> "WhatIf":
        a = self._target(account_id, ("account",))
        p = self._target(new_parent, ("root", "ou"))
        self.view.parent[a] = p
        self.view.invalidate()
        acc = self.view.accounts
        acc.loc[acc["account_id"] == a, "ou_path"] = self.view.ou_path(a)
        self.log.append(f"move {a} to {p}")
        self._after = None
        return self

    def attach(self, policy_id: str, target: str) -> "WhatIf":
        t = self._target(target)
        if policy_id not in self.view.documents:
            raise KeyError(f"unknown policy {policy_id}: add it first with add_policy()")
        cur = self.view.attached.get(t, ())
        if policy_id not in cur:
            self.view.attached[t] = tuple(sorted((*cur, policy_id)))
        self.log.append(f"attach {policy_id} to {t}")
        self._after = None
        return self

    def detach(self, policy_id: str, target: str) -> "WhatIf":
        t = self._target(target)
        cur = self.view.attached.get(t, ())
        if policy_id not in cur:
            raise ValueError(f"{policy_id} is not attached to {t}")
        self.view.attached[t] = tuple(p for p in cur if p != policy_id)
        self.log.append(f"detach {policy_id} from {t}")
        self._after = None
        return self

    def add_policy(self, policy_id: str, document, name: str | None = None) -> "WhatIf":
        """Add (or replace) a policy's text; it is checked now (raises PolicyError)."""
        text = document if isinstance(document, str) else __import__("json").dumps(document)
        compile_policy(text, policy_id, name)
        self.view.documents[policy_id] = (text, name or policy_id)
        self.log.append(f"add policy {policy_id}")
        self._after = None
        return self

    @property
    def after(self) -> Evaluator:
        if self._after is None:
            self._after = Evaluator(self.view, self.before.catalog, rcp=self.before.rcp_view_for(self.view))
        return self._after

    # ------------------------------------------------------------------ results
    def _pair(self, **kw):
        """(before, after) matrices; the "before" one is kept, since edits do not change it."""
        key = repr(sorted(kw.items()))
        cache = self.__dict__.setdefault("_before_cache", {})
        if key not in cache:
            cache[key] = compute_matrix(self.before, **kw)
        return cache[key], compute_matrix(self.after, **kw)

    def summary(self, principal: str | None = None, context: Mapping[str, Any] | None = None,
                actions: Sequence[str] | None = None, resource: str | None = None) -> pd.DataFrame:
        """Per account that changes: ``account_id, account_name, ou_path, changed`` and one column per
        transition (``allow->explicit_deny`` …) with the number of actions making it."""
        b, a = self._pair(principal=principal, context=context, actions=actions, resource=resource)
        rb = b.accounts["row"].to_numpy()
        ra = a.accounts["row"].to_numpy()
        memo: dict[tuple[int, int], dict] = {}
        recs = []
        for i in range(len(rb)):
            k = (rb[i], ra[i])
            d = memo.get(k)
            if d is None:
                x, y = b.rows[k[0]], a.rows[k[1]]
                ch = x != y
                d = {"changed": int(ch.sum())}
                if d["changed"]:
                    pairs, counts = np.unique(x[ch].astype(np.int16) * 8 + y[ch], return_counts=True)
                    for p, c in zip(pairs, counts):
                        d[f"{DECISIONS[p // 8]}->{DECISIONS[p % 8]}"] = int(c)
                memo[k] = d
            if d["changed"]:
                recs.append({"account_id": a.accounts["account_id"].iat[i], "account_name": a.accounts["account_name"].iat[i],
                             "ou_path": a.accounts["ou_path"].iat[i], **d})
        df = pd.DataFrame(recs)
        if df.empty:
            df = pd.DataFrame(columns=["account_id", "account_name", "ou_path", "changed"])
        df = df.fillna(0)
        for c in df.columns[3:]:
            df[c] = df[c].astype(int)
        df.attrs.update(b.attrs)
        df.attrs["what_if"] = list(self.log)
        return df

    def changes(self, principal: str | None = None, context: Mapping[str, Any] | None = None,
                actions: Sequence[str] | None = None, resource: str | None = None,
                max_rows: int = 2_000_000) -> pd.DataFrame:
        """Every (account, action) whose decision changes: ``account_id, account_name, ou_path, action,
        service, access_level, before, after``. Raises ValueError past ``max_rows`` (use
        :meth:`summary`, or narrow ``actions``)."""
        b, a = self._pair(principal=principal, context=context, actions=actions, resource=resource)
        cat = a.catalog.frame
        rb = b.accounts["row"].to_numpy()
        ra = a.accounts["row"].to_numpy()
        memo: dict[tuple[int, int], np.ndarray] = {}
        parts = []
        total = 0
        for i in range(len(rb)):
            k = (rb[i], ra[i])
            idx = memo.get(k)
            if idx is None:
                idx = np.flatnonzero(b.rows[k[0]] != a.rows[k[1]])
                memo[k] = idx
            if len(idx):
                total += len(idx)
                if total > max_rows:
                    raise ValueError(f"more than {max_rows} changed cells: use summary() or pass actions=")
                parts.append(pd.DataFrame({
                    "account_id": a.accounts["account_id"].iat[i],
                    "account_name": a.accounts["account_name"].iat[i],
                    "ou_path": a.accounts["ou_path"].iat[i],
                    "action": cat["action"].to_numpy()[idx],
                    "service": cat["service"].to_numpy()[idx],
                    "access_level": cat["access_level"].to_numpy()[idx],
                    "before": pd.Categorical.from_codes(b.rows[k[0]][idx], DECISIONS),
                    "after": pd.Categorical.from_codes(a.rows[k[1]][idx], DECISIONS),
                }))
        cols = ["account_id", "account_name", "ou_path", "action", "service", "access_level", "before", "after"]
        df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
        df.attrs.update(b.attrs)
        df.attrs["what_if"] = list(self.log)
        return df
