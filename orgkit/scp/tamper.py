"""Tamper protection: can an account stop, delete or weaken its CloudTrail trails and GuardDuty
detectors, or leave the organisation? One definition (see :func:`tamper_protection`), used by the CLI
(``orgkit scp tamper``), notebook 02 and docs/scp.md."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from orgkit.scp.engine import DECISIONS, AbsentContext, resolve_missing
from orgkit.scp.matrix import compute_matrix
from orgkit.scp.org import Evaluator

__all__ = ["TAMPER_ACTIONS", "tamper_protection"]

#: Actions that turn off or weaken logging and detection. (CloudTrail advanced event selectors are
#: written with ``cloudtrail:PutEventSelectors``: there is no separate IAM action for them.)
TAMPER_ACTIONS: tuple[str, ...] = (
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "cloudtrail:UpdateTrail",
    "cloudtrail:PutEventSelectors",
    "guardduty:DeleteDetector",
    "guardduty:UpdateDetector",
    "guardduty:DisassociateFromAdministratorAccount",
    "guardduty:DisassociateFromMasterAccount",
    "guardduty:CreateFilter",
    "guardduty:UpdateFilter",
    "guardduty:CreateIPSet",
    "guardduty:UpdateIPSet",
    "guardduty:DeletePublishingDestination",
    "guardduty:UpdatePublishingDestination",
    "organizations:LeaveOrganization",
)

SERVICES = ("cloudtrail", "guardduty")


def tamper_protection(
    org_or_evaluator,
    principal: str | None = None,
    context: Mapping[str, Any] | None = None,
    actions: Sequence[str] = TAMPER_ACTIONS,
    absent_unknown: bool | None = None,
    *,
    missing: str | None = None,
    details: bool = True,
) -> pd.DataFrame:
    """One row per account, one definition everywhere (CLI, notebook, docs):

    an action is *blocked* when SCPs deny it (explicitly or implicitly) for ``principal`` whatever the
    context keys not given are (the engine decides over every value that matters); an account is
    ``protected`` when every tamper action is blocked, and ``cloudtrail_protected`` /
    ``guardduty_protected`` / ``can_leave`` say it per service.

    Columns: ``account_id, account_name, ou_path``, one column per action (its decision), ``protected``,
    ``cloudtrail_protected``, ``guardduty_protected``, ``can_leave`` (the decision for
    ``organizations:LeaveOrganization``), ``exposed`` (actions allowed), ``conditional`` (actions allowed for
    some values of the unknown keys), ``unknown`` (actions whose answer waits for an SCP that could not be
    read), ``exposure`` (each action that is not blocked, with ``allowed``, or for which values it is
    allowed, or which read failed), ``reason``.

    ``principal`` is a persona or ARN (None: any principal, so an exception written for a named role shows
    as "allowed when aws:principalarn is like …"). The management account is ``exempt``, hence never
    protected."""
    ev = org_or_evaluator if isinstance(org_or_evaluator, Evaluator) else Evaluator(org_or_evaluator)
    missing = resolve_missing(missing, absent_unknown, context)
    if isinstance(context, AbsentContext):
        context = dict(context)
    m = compute_matrix(ev, principal=principal, context=context, actions=list(actions), missing=missing)
    names = m.catalog.frame["action"].tolist()
    # columns in the order asked
    order = [names.index(a) if a in names else next(i for i, n in enumerate(names) if n.lower() == a.lower()) for a in actions]
    mat = m.codes()[:, order]
    rows_idx = m.accounts["row"].to_numpy()
    never = (np.stack(m.never_allowed)[rows_idx][:, order] if m.never_allowed
             else np.zeros(mat.shape, dtype=bool))
    out = m.accounts[["account_id", "account_name", "ou_path"]].copy()
    for j, a in enumerate(actions):
        out[a] = pd.Categorical.from_codes(mat[:, j], DECISIONS)
    out["protected"] = never.all(axis=1)
    for svc in SERVICES:
        cols = [j for j, a in enumerate(actions) if a.lower().startswith(svc + ":")]
        out[f"{svc}_protected"] = never[:, cols].all(axis=1) if cols else None
    leave = [j for j, a in enumerate(actions) if a.lower() == "organizations:leaveorganization"]
    out["can_leave"] = [DECISIONS[c] for c in mat[:, leave[0]]] if leave else None
    acts = np.array(actions, dtype=object)
    allow_c, cond_c, exempt_c, unk_c = (DECISIONS.index(x) for x in ("allow", "conditional", "exempt", "unknown"))
    out["exposed"] = [list(acts[row == allow_c]) for row in mat]
    out["conditional"] = [list(acts[(row == cond_c) & ~nv]) for row, nv in zip(mat, never)]
    out["unknown"] = [list(acts[row == unk_c]) for row in mat]
    # say, for each action not blocked, why: once per distinct matrix row (accounts share rows)
    first_of_row: dict[int, str] = {}
    for aid, r in zip(out["account_id"], rows_idx):
        first_of_row.setdefault(int(r), aid)
    memo: dict[tuple[int, str], str] = {}

    def why(r: int, action: str, code: int) -> str:
        if code == allow_c:
            return "allowed"
        if code == exempt_c:
            return "exempt"
        k = (r, action)
        if k not in memo:
            text = "depends on context" if code == cond_c else "unknown"
            if details:
                d = ev.decide(first_of_row[r], action, principal=principal, context=context, missing=missing)
                if d.decision == "conditional" and d.allowed_when:
                    text = f"allowed when {d.allowed_when}"
                elif d.decision == "unknown":
                    text = "unknown: " + "; ".join(d.unknown_reads)
            memo[k] = text
        return memo[k]

    exposure, reasons = [], []
    for row, nv, r in zip(mat, never, rows_idx):
        items = [f"{a}: {why(int(r), a, int(c))}" for a, c, n_ in zip(actions, row, nv) if not n_ and c != exempt_c]
        exposure.append(items)
        if (row == exempt_c).all():
            reasons.append("exempt from SCPs (management account or service-linked role): nothing stops tampering")
            continue
        n_allow, n_cond, n_unk = int((row == allow_c).sum()), int(((row == cond_c) & ~nv).sum()), int((row == unk_c).sum())
        if not (n_allow or n_cond or n_unk):
            reasons.append(f"every one of the {len(actions)} tamper actions is denied, whatever the context")
            continue
        parts = [f"{x} {w}" for x, w in ((n_allow, "allowed"), (n_cond, "allowed for some context values"),
                                          (n_unk, "unknown (an SCP could not be read)")) if x]
        reasons.append(f"{', '.join(parts)} of {len(actions)} tamper actions")
    out["exposure"] = exposure
    out["reason"] = reasons
    out.attrs.update(m.attrs)
    return out
