"""The proof of a proposal: the organisation with it attached, compared by change review (``orgkit.diff``).

Nothing here evaluates an SCP itself: the SCP effect rows come from :func:`orgkit.diff.diff` (the SCP engine) for a
principal that is not one of the exceptions. A violation is an ``scp_effect`` row of an account under the target that
lowers the decision (``allow`` → ``conditional`` / ``*_deny``) of a service that account used in the window, or of a
core service; any row that lets a principal do more than today (an allow-list wider than the Allow it replaces); or
an ``unknown`` SCP effect, which cannot be proven safe.
"""

from __future__ import annotations

import pandas as pd

from orgkit.diff.rows import DECISION_RANK
from orgkit.leastpriv import MARKER

NEW_POLICY = "p-orgkit-least-privilege-{n}"


def apply(org, s):
    """A copy of ``org`` with the proposal's policies attached to its target (and, for an allow-list, the target's
    own Allow policies detached; on a re-run, the attached orgkit policies updated in place, those no longer needed
    detached). ``org`` is not changed."""
    from orgkit.diff.terraform import rebuild

    ous = {r["ou_id"]: dict(r) for r in org.ous.to_dict("records")}
    accounts = {r["account_id"]: dict(r) for r in org.accounts.to_dict("records")}
    policies = {r["policy_id"]: dict(r) for r in org.policies.to_dict("records")}
    targets = {(r["policy_id"], str(r["target_id"])): dict(r) for r in org.policy_targets.to_dict("records")}
    kind = {"root": "ROOT", "ou": "ORGANIZATIONAL_UNIT", "account": "ACCOUNT"}[s.target_kind]
    for pid in [*s.detach, *s.retire]:
        targets.pop((pid, s.target), None)
    for i, (name, text) in enumerate(zip(s.policy_names(), s.policy_texts())):
        old = s.updates[i] if i < len(s.updates) else None
        if old is not None:  # a re-run: the attached orgkit policy, its content replaced (same id, name, targets)
            policies[old] = {**policies[old], "content": text}
            continue
        pid = NEW_POLICY.format(n=i + 1)
        policies[pid] = {"policy_id": pid, "name": name, "description": f"proposed by orgkit {MARKER}",
                         "type": "SERVICE_CONTROL_POLICY", "aws_managed": False, "arn": None, "content": text}
        targets[(pid, s.target)] = {"policy_id": pid, "target_id": s.target, "target_type": kind,
                                    "target_name": s.target_name}
    return rebuild(org, ous, accounts, policies, targets)


def prove(org, s) -> None:
    """Fill ``s.proof`` (the change review rows) and ``s.violations`` (the rows that break the promise)."""
    import orgkit.diff

    after = apply(org, s)
    rows = orgkit.diff.diff(org, after, coverage=False, principal=s.probe)
    s.proof = rows
    used = s.per_account[s.per_account["status"] == "used"]
    used_pairs = set(zip(used["account_id"], used["service"]))
    core = set(s.services.loc[s.services["status"] == "core", "service"])
    members = set(s.services.attrs.get("accounts", ()))
    bad = []
    for r in rows.to_dict("records"):
        if r["kind"] == "scp_effect" and r["severity"] == "unknown":
            bad.append({**r, "violation": "the SCP effect cannot be evaluated"})
            continue
        if r["kind"] != "scp_effect":
            continue
        rb, ra = DECISION_RANK.get(str(r["before"]), -1), DECISION_RANK.get(str(r["after"]), -1)
        if ra > rb:  # a least-privilege proposal never lets anyone do more (an allow-list wider than the one it replaces)
            bad.append({**r, "violation": f"{r['service']} would be allowed more than today"})
            continue
        if ra == rb:
            continue
        acc, svc = str(r["account_id"]), str(r["service"])
        if (acc, svc) in used_pairs:
            bad.append({**r, "violation": f"{svc} was used by {acc} in the window"})
        elif svc in core:
            bad.append({**r, "violation": f"{svc} is in the core that is never denied"})
        elif acc not in members:
            bad.append({**r, "violation": f"{acc} is not under the target"})
    s.violations = pd.DataFrame(bad, columns=[*rows.columns, "violation"])
