"""Comparing two answers by their conditions, not their labels (issue 18, point 1).

For one account and action, BEFORE and AFTER are compared over ONE partition of the unknown context keys (and the
resource): the representatives built from the statements of both chains that match the action
(:func:`orgkit.scp.partition.domains`). Each combination is decided on both sides with every key known; the action
*gains* a case when a combination is allowed after and denied before (a regression), *loses* one in the opposite
direction (an improvement). So removing a protective SCP whose Deny has an exception for one role is a regression
even though the label stays ``conditional`` ("now allowed when aws:PrincipalArn is …")."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from orgkit.scp.engine import Level, _complete, any_resource, describe_cases, evaluate_level, evaluate_levels
from orgkit.scp.partition import MAX_COMBINATIONS, RESOURCE, domains

__all__ = ["CaseChange", "compare_cases", "statement_masks"]

_MAYBE = ("allow", "conditional")  # a case still open (an unknown operator) counts as allowed: never hide a gain


@dataclass
class CaseChange:
    """``gained``/``lost``: in words, the cases in which the action is now allowed and was denied before, and the
    reverse ("" when none); ``combinations``: how many cases were compared."""

    gained: str
    lost: str
    combinations: int

    @property
    def changed(self) -> bool:
        return bool(self.gained or self.lost)


def compare_cases(levels_b: Sequence[Level], ctx_b: Mapping[str, Any], levels_a: Sequence[Level],
                  ctx_a: Mapping[str, Any], action: str, resource: str | None = None) -> CaseChange | None:
    """Compare one action's allowed cases before and after (see the module). ``None`` when there are too many
    combinations to compare exactly (the caller then keeps the label comparison)."""
    res = any_resource(resource)
    steps = [evaluate_level(lv, action, res, ctx_b) for lv in levels_b] + \
            [evaluate_level(lv, action, res, ctx_a) for lv in levels_a]
    maybe = list({id(st): st for s in steps for st, _ in (*s.maybe_deny, *s.maybe_allow)}.values())
    dims = sorted({k for s in steps for _, u in (*s.maybe_deny, *s.maybe_allow) for k in u.keys})
    if not dims:
        return CaseChange("", "", 1)
    doms = domains(dims, maybe, ctx_a, resource=res if isinstance(res, str) else None)
    total = int(np.prod([len(doms[k]) for k in dims]))
    if total > MAX_COMBINATIONS:
        return None
    gained, lost = [], []
    for combo in itertools.product(*(doms[k] for k in dims)):
        values = {k: r.value for k, r in zip(dims, combo) if k != RESOURCE}
        r_ = next((r.value for k, r in zip(dims, combo) if k == RESOURCE), res)
        b = evaluate_levels(levels_b, action, r_, _complete(ctx_b, values)).decision in _MAYBE
        a = evaluate_levels(levels_a, action, r_, _complete(ctx_a, values)).decision in _MAYBE
        if a and not b:
            gained.append(combo)
        elif b and not a:
            lost.append(combo)
    names = {k.lower(): k for st in maybe for tests in (st.condition or {}).values() for k in tests}

    def words(cs) -> str:
        if not cs:
            return ""
        text = describe_cases(cs, dims, doms, names=names)
        # "any other value" is short for "a value none of the policies names": say which ones it is not
        others = [k for i, k in enumerate(dims) if any(c[i].label == "any other value" for c in cs)]
        for k in others:
            named = [r.label for r in doms[k] if r.label not in ("absent", "any other value")]
            if named and "any other value" in text:
                text += f" (any other value of {names.get(k, k)}: neither {' nor '.join(named)})"
        return text

    return CaseChange(words(gained), words(lost), total)


def statement_masks(catalog, levels: Sequence[Level], cache: dict) -> list[np.ndarray]:
    """For each statement of ``levels``, which catalog actions it matches (``cache``: by (policy, index))."""
    out = []
    for lv in levels:
        for pol in lv.policies:
            for st in pol.statements:
                k = (st.policy_id, st.index, st.actions, st.not_actions)
                m = cache.get(k)
                if m is None:
                    m = np.logical_or.reduce([catalog.mask(p) for p in st.action_patterns]) \
                        if st.action_patterns else np.zeros(len(catalog), dtype=bool)
                    if st.actions is None:
                        m = ~m
                    m = cache[k] = m
                out.append(m)
    return out
