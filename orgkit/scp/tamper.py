"""Tamper protection: can an account stop, delete or weaken its CloudTrail trails and GuardDuty
detectors, or leave the organisation?"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from orgkit.scp.engine import DECISIONS
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

_DENIED = {DECISIONS.index("explicit_deny"), DECISIONS.index("implicit_deny")}


def tamper_protection(
    org_or_evaluator,
    principal: str | None = None,
    context: Mapping[str, Any] | None = None,
    actions: Sequence[str] = TAMPER_ACTIONS,
    absent_unknown: bool = False,
) -> pd.DataFrame:
    """One row per account: ``account_id, account_name, ou_path``, one column per action (its
    decision), ``protected`` (every action is denied: explicitly or implicitly), ``exposed``
    (actions allowed), ``conditional`` (actions whose answer depends on context we were not
    given, e.g. which role asks), ``reason``.

    ``principal`` is a persona or ARN (None: any principal, so exceptions written for named roles
    show up as ``conditional``). The management account is ``exempt``, hence never protected."""
    ev = org_or_evaluator if isinstance(org_or_evaluator, Evaluator) else Evaluator(org_or_evaluator)
    m = compute_matrix(ev, principal=principal, context=context, actions=list(actions), absent_unknown=absent_unknown)
    names = m.catalog.frame["action"].tolist()
    # columns in the order asked
    order = [names.index(a) if a in names else next(i for i, n in enumerate(names) if n.lower() == a.lower()) for a in actions]
    mat = m.codes()[:, order]
    out = m.accounts[["account_id", "account_name", "ou_path"]].copy()
    for j, a in enumerate(actions):
        out[a] = pd.Categorical.from_codes(mat[:, j], DECISIONS)
    denied = np.isin(mat, list(_DENIED))
    out["protected"] = denied.all(axis=1)
    acts = np.array(actions, dtype=object)
    allow_c, cond_c, exempt_c = DECISIONS.index("allow"), DECISIONS.index("conditional"), DECISIONS.index("exempt")
    out["exposed"] = [list(acts[row == allow_c]) for row in mat]
    out["conditional"] = [list(acts[row == cond_c]) for row in mat]
    reasons = []
    for row, exp, cond in zip(mat, out["exposed"], out["conditional"]):
        if (row == exempt_c).all():
            reasons.append("exempt from SCPs (management account or service-linked role): nothing stops tampering")
        elif exp:
            reasons.append(f"{len(exp)} of {len(actions)} allowed")
        elif cond:
            reasons.append(f"{len(cond)} of {len(actions)} depend on context")
        else:
            reasons.append("every action denied")
    out["reason"] = reasons
    out.attrs.update(m.attrs)
    return out
