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


EXCEPTION_COLUMNS = ["exception", "principal", "account_id", "account_name", "services_denied", "services_kept",
                     "lost", "verdict"]


def _instance(pattern: str) -> tuple[str, str, str] | None:
    """(partition, account glob, resource instance) of an exception ARN: its resource with each wildcard made one
    character ``X`` (a name the pattern matches); None for what is not an IAM principal ARN."""
    parts = pattern.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam":
        return None
    res = "".join("X" if c in "*?" else c for c in parts[5])
    return parts[1], parts[4] or "*", res


def exceptions_proof(org, after, s, rows: pd.DataFrame) -> pd.DataFrame:
    """For each exception principal and each account under the target, the services the proposal denies to everyone
    else there (those its Deny statements name, and those the probe's ``scp_effect`` rows lower): the SCP engine's
    decisions for that principal (``aws:PrincipalArn`` the exception's ARN in that account, so the policies'
    ``ArnLike`` / ``ArnNotLike`` conditions are evaluated, never assumed) on every action of those services, before
    and after. ``keeps access`` when no service has fewer allowed (or possibly allowed) actions for it after than
    before, else ``loses access`` with those services."""
    from orgkit import scp
    from orgkit.scp.matching import glob_matches

    eff = rows[rows["kind"] == "scp_effect"] if len(rows) else rows
    members = [str(a) for a in s.services.attrs.get("accounts", ())]
    named = set(s.denied_services)
    taken: dict[str, set[str]] = {a: set(named) for a in members}
    for r in eff.to_dict("records"):
        if DECISION_RANK.get(str(r["after"]), -1) < DECISION_RANK.get(str(r["before"]), -1):
            taken.setdefault(str(r["account_id"]), set()).add(str(r["service"]))
    taken = {a: v for a, v in taken.items() if v}
    out = []
    if not taken or not s.exceptions:
        return pd.DataFrame(out, columns=EXCEPTION_COLUMNS)
    names = dict(zip(org.accounts["account_id"], org.accounts["account_name"]))
    actions = sorted({f"{svc}:*" for svcs in taken.values() for svc in svcs})
    for pattern in s.exceptions:
        inst = _instance(pattern)
        if inst is None:
            continue
        partition, acct_glob, res = inst
        spec = f"arn:{partition}:iam::{{account}}:{res}"
        accounts = sorted(a for a in taken if glob_matches(acct_glob, a))
        if not accounts:
            continue
        sides = []
        for side in (org, after):
            sm = scp.summary(side, by="service", principal=spec, actions=actions)
            sm = sm[sm["account_id"].isin(accounts)]
            sides.append({(a, v): (int(al) + int(ex), int(al) + int(ex) + int(co)) for a, v, al, ex, co in
                          sm[["account_id", "service", "allow", "exempt", "conditional"]].itertuples(index=False)})
        before, now = sides
        for a in accounts:
            lost = sorted(v for v in taken[a] if any(x < y for x, y in zip(now.get((a, v), (0, 0)),
                                                                             before.get((a, v), (0, 0)))))
            out.append({"exception": pattern, "principal": spec.replace("{account}", a), "account_id": a,
                        "account_name": names.get(a), "services_denied": len(taken[a]),
                        "services_kept": len(taken[a]) - len(lost), "lost": ", ".join(lost),
                        "verdict": "loses access" if lost else "keeps access"})
    return pd.DataFrame(out, columns=EXCEPTION_COLUMNS)


def prove(org, s) -> None:
    """Fill ``s.proof`` (the change review rows), ``s.exceptions_proof`` (the exception principals keep access to
    what the proposal takes away) and ``s.violations`` (the rows that break the promise)."""
    import orgkit.diff

    after = apply(org, s)
    rows = orgkit.diff.diff(org, after, coverage=False, principal=s.probe)
    s.proof = rows
    s.exceptions_proof = exceptions_proof(org, after, s, rows)
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
    for r in s.exceptions_proof.to_dict("records"):
        if r["verdict"] != "keeps access":
            bad.append({"kind": "scp_effect", "severity": "regression", "account_id": r["account_id"],
                        "account_name": r["account_name"], "service": r["lost"],
                        "violation": f"the exception {r['exception']} loses access to {r['lost']}"})
    s.violations = pd.DataFrame(bad, columns=[*rows.columns, "violation"])
