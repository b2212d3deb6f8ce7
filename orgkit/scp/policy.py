"""Parsing and compiling SCP documents (parse once, evaluate many times)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping, Sequence

from orgkit.scp.conditions import evaluate_condition_block, parse_operator
from orgkit.scp.matching import (
    MissingKey,
    Unknown,
    action_matches,
    arn_matches,
    t_and,
    t_not,
    t_or,
    variable_keys,
)

#: keeps MathJax (JupyterLab typesets HTML outputs) off the text of names such as ``$\alpha$``
_NO_MATH = "class='mathjax_ignore tex2jax_ignore'"

__all__ = ["PolicyError", "Statement", "Policy", "compile_policy", "as_policy"]

_ALLOWED_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


class PolicyError(ValueError):
    """A policy document that cannot be evaluated. ``policy_id`` names it; ``message`` says what is
    wrong (and ``sid``/``statement`` where it is)."""

    def __init__(self, policy_id: str | None, message: str, statement: int | None = None, sid: str | None = None):
        self.policy_id = policy_id
        self.message = message
        self.statement = statement
        self.sid = sid
        where = f"policy {policy_id or '<unnamed>'}"
        if statement is not None:
            where += f", statement {statement}" + (f" ({sid})" if sid else "")
        super().__init__(f"{where}: {message}")

    def _repr_html_(self) -> str:  # friendly in notebooks
        import html

        return (f"<div {_NO_MATH} style='border-left:4px solid #c00;padding:4px 8px'><b>Policy error</b> in "
                f"<code>{html.escape(str(self.policy_id))}</code>: {html.escape(self.message)}</div>")


def _str_list(v, what, pid, i, sid) -> tuple[str, ...]:
    if isinstance(v, str):
        return (v,)
    if isinstance(v, list) and v and all(isinstance(x, str) for x in v):
        return tuple(v)
    raise PolicyError(pid, f"{what} must be a string or a non-empty list of strings, got {json.dumps(v)[:80]}", i, sid)


@dataclass(frozen=True)
class Statement:
    """One compiled statement. ``index`` is its position in the policy (0-based)."""

    policy_id: str
    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    condition: Mapping[str, Mapping[str, Any]] | None = field(default=None, hash=False, compare=False)

    @property
    def label(self) -> str:
        """``Sid`` or ``#index`` when the statement has no Sid."""
        return self.sid if self.sid else f"#{self.index}"

    @property
    def action_patterns(self) -> tuple[str, ...]:
        return self.actions if self.actions is not None else self.not_actions

    def matches_action(self, action: str) -> bool:
        hit = any(action_matches(p, action) for p in self.action_patterns)
        return hit if self.actions is not None else not hit

    def matches_resource(self, resource: str | None, ctx: Mapping[str, Any]):
        """True/False/Unknown. ``resource=None`` means "not specified": only ``*`` is sure."""
        pats = self.resources if self.resources is not None else self.not_resources
        if resource is None:
            if "*" in pats:
                return True if self.resources is not None else False
            return Unknown(
                frozenset({("resource in " if self.resources is not None else "resource not in ") + json.dumps(list(pats))}),
                frozenset({"resource"}),
            )
        results = []
        for p in pats:
            try:
                r = arn_matches(p, resource, ctx=ctx)
            except MissingKey as e:
                r = Unknown(frozenset({f"resource {p} (policy variable ${{{e.key}}})"}), frozenset({e.key}))
            if r is True:
                results = [True]
                break
            results.append(r)
        hit = t_or(*results)
        return hit if self.resources is not None else t_not(hit)

    def matches_condition(self, ctx: Mapping[str, Any]):
        return evaluate_condition_block(self.condition, ctx)

    def applies_beyond_action(self, resource: str | None, ctx: Mapping[str, Any]):
        """Resource and Condition together: the part of matching that does not depend on the action."""
        r = self.matches_resource(resource, ctx)
        if r is False:
            return False
        return t_and(r, self.matches_condition(ctx))

    @cached_property
    def referenced_keys(self) -> frozenset:
        """Lower-cased context keys this statement reads (conditions and policy variables)."""
        tested = {k.lower() for tests in (self.condition or {}).values() for k in tests}
        return frozenset(tested) | self.variable_keys

    @cached_property
    def variable_texts(self) -> tuple[str, ...]:
        """The texts a policy variable can stand in: the ``Resource``/``NotResource`` patterns and the string
        condition values."""
        return (*(self.resources or ()), *(self.not_resources or ()),
                *(v for tests in (self.condition or {}).values() for vals in tests.values()
                  for v in (vals if isinstance(vals, list) else [vals]) if isinstance(v, str)))

    @cached_property
    def variable_keys(self) -> frozenset:
        """Lower-cased context keys this statement reads through policy variables (``${aws:PrincipalAccount}``)."""
        return frozenset().union(*(variable_keys(t) for t in self.variable_texts))

    @cached_property
    def compared_keys(self) -> frozenset:
        """Lower-cased keys whose condition values hold a policy variable (``"aws:ResourceTag/team":
        "${aws:PrincipalTag/team}"``): the values tried for the variable's key depend on theirs (caches key on them)."""
        return frozenset(k.lower() for tests in (self.condition or {}).values() for k, vals in tests.items()
                         if any(isinstance(v, str) and variable_keys(v) for v in (vals if isinstance(vals, list) else [vals])))

    @cached_property
    def value_keys(self) -> frozenset:
        """The keys whose known values work shared between accounts must key on: those read through policy
        variables and those compared with one (:attr:`variable_keys` | :attr:`compared_keys`)."""
        return self.variable_keys | self.compared_keys

    @cached_property
    def literal_text(self) -> str:
        """Every pattern and condition value of the statement, joined (to check that a value does not occur in it)."""
        parts = [*(self.resources or ()), *(self.not_resources or ())]
        for tests in (self.condition or {}).values():
            for vals in tests.values():
                parts.extend(str(v) for v in (vals if isinstance(vals, list) else [vals]))
        return "\n".join(parts)

    @cached_property
    def condition_keys(self) -> frozenset:
        """Lower-cased keys the statement's conditions test (not those it reads only through variables)."""
        return frozenset(k.lower() for tests in (self.condition or {}).values() for k in tests)

    @cached_property
    def sorted_keys(self) -> tuple[str, ...]:
        return tuple(sorted(self.referenced_keys))

    @cached_property
    def unknown_operators(self) -> tuple[str, ...]:
        return tuple(op for op in (self.condition or {}) if not parse_operator(op)[3])


@dataclass(frozen=True)
class Policy:
    policy_id: str
    statements: tuple[Statement, ...]
    text: str = field(repr=False, compare=False, default="")
    name: str | None = None

    @property
    def allow_statements(self):
        return tuple(s for s in self.statements if s.effect == "Allow")

    @property
    def deny_statements(self):
        return tuple(s for s in self.statements if s.effect == "Deny")


POLICY_VERSIONS = ("2012-10-17", "2008-10-17")


def _escape_vars(v):
    if isinstance(v, str):
        return v.replace("${", "${$}{")
    if isinstance(v, list):
        return [_escape_vars(x) for x in v]
    if isinstance(v, dict):
        return {k: _escape_vars(x) for k, x in v.items()}
    return v


def _literal_variables(st: dict) -> dict:
    """The statement with ``${`` in Resource, NotResource and condition values made literal (``${$}``)."""
    out = dict(st)
    for key in ("Resource", "NotResource"):
        if key in out:
            out[key] = _escape_vars(out[key])
    if isinstance(out.get("Condition"), dict):
        out["Condition"] = {op: ({k: _escape_vars(v) for k, v in kv.items()} if isinstance(kv, dict) else kv)
                            for op, kv in out["Condition"].items()}
    return out


def compile_policy(document: str | Mapping, policy_id: str | None = None, name: str | None = None,
                   kind: str = "scp") -> Policy:
    """Parse a policy (JSON text or an already-decoded dict) into a :class:`Policy`.

    ``kind="rcp"``: a resource control policy, whose statements name ``"Principal": "*"`` (AWS, RCP syntax:
    RCPs use the syntax of resource-based policies, and the principal of every statement must be ``*``); any
    other principal, or ``NotPrincipal``, is an error. Raises :class:`PolicyError` naming the policy and what
    is wrong."""
    if isinstance(document, (bytes, bytearray)):
        document = document.decode("utf-8")
    if isinstance(document, str):
        text = document
        try:
            doc = json.loads(document)
        except json.JSONDecodeError as e:
            raise PolicyError(policy_id, f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    else:
        doc = document
        text = json.dumps(document, sort_keys=True)
    if policy_id is None:
        policy_id = "doc-" + hashlib.sha256(text.encode()).hexdigest()[:10]
    if not isinstance(doc, dict):
        raise PolicyError(policy_id, "a policy must be one JSON object")
    unknown_top = set(doc) - {"Version", "Id", "Statement"}
    if unknown_top:
        raise PolicyError(policy_id, f"unexpected top-level element(s): {', '.join(sorted(unknown_top))}")
    if "Statement" not in doc:
        raise PolicyError(policy_id, "missing the Statement element")
    version = doc.get("Version")
    if version is not None and version not in POLICY_VERSIONS:
        raise PolicyError(policy_id, f"Version must be one of {', '.join(POLICY_VERSIONS)}, not {version!r}")
    raw = doc["Statement"]
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not raw:  # checked first: a string or a number is not a list of statements
        raise PolicyError(policy_id, "Statement must be an object or a non-empty list of objects")
    if version != "2012-10-17":
        # Without "Version": "2012-10-17" IAM does not recognise policy variables: ${...} is literal text.
        raw = [_literal_variables(st) if isinstance(st, dict) else st for st in raw]
    out = []
    for i, st in enumerate(raw):
        if not isinstance(st, dict):
            raise PolicyError(policy_id, "a statement must be a JSON object", i)
        sid = st.get("Sid")
        if sid is not None and not isinstance(sid, str):
            raise PolicyError(policy_id, "Sid must be a string", i)
        if kind == "rcp":
            if "NotPrincipal" in st:
                raise PolicyError(policy_id, "NotPrincipal is not supported in resource control policies", i, sid)
            if st.get("Principal", "*") not in ("*", {"AWS": "*"}):
                raise PolicyError(policy_id, "the Principal of a resource control policy must be \"*\"", i, sid)
            st = {k: v for k, v in st.items() if k != "Principal"}
        for bad in ("Principal", "NotPrincipal"):
            if bad in st:
                raise PolicyError(policy_id, f"{bad} is not supported in service control policies", i, sid)
        extra = set(st) - _ALLOWED_KEYS
        if extra:
            raise PolicyError(policy_id, f"unexpected element(s): {', '.join(sorted(extra))}", i, sid)
        eff = st.get("Effect")
        if eff not in ("Allow", "Deny"):
            raise PolicyError(policy_id, f"Effect must be \"Allow\" or \"Deny\", got {json.dumps(eff)}", i, sid)
        if ("Action" in st) == ("NotAction" in st):
            raise PolicyError(policy_id, "a statement needs exactly one of Action or NotAction", i, sid)
        if "Resource" in st and "NotResource" in st:
            raise PolicyError(policy_id, "a statement cannot have both Resource and NotResource", i, sid)
        actions = _str_list(st["Action"], "Action", policy_id, i, sid) if "Action" in st else None
        not_actions = _str_list(st["NotAction"], "NotAction", policy_id, i, sid) if "NotAction" in st else None
        for a in actions or not_actions:
            if a != "*" and ":" not in a:
                raise PolicyError(policy_id, f"action {a!r} is not of the form service:Action", i, sid)
        if "Resource" in st:
            resources, not_resources = _str_list(st["Resource"], "Resource", policy_id, i, sid), None
        elif "NotResource" in st:
            resources, not_resources = None, _str_list(st["NotResource"], "NotResource", policy_id, i, sid)
        else:
            # SCPs written before 2025 often omit Resource; AWS treats that as every resource.
            resources, not_resources = ("*",), None
        cond = st.get("Condition")
        if cond is not None:
            if not isinstance(cond, dict):
                raise PolicyError(policy_id, "Condition must be an object of operator -> {key: values}", i, sid)
            for op, tests in cond.items():
                if not isinstance(tests, dict) or not tests:
                    raise PolicyError(policy_id, f"Condition operator {op} must map condition keys to values", i, sid)
                for k, v in tests.items():
                    vals = v if isinstance(v, list) else [v]
                    if not vals or not all(isinstance(x, (str, bool, int, float)) for x in vals):
                        raise PolicyError(policy_id, f"condition values for {op} {k} must be strings, numbers or booleans", i, sid)
        out.append(
            Statement(policy_id, i, sid, eff, actions, not_actions, resources, not_resources, cond or None)
        )
    return Policy(policy_id, tuple(out), text, name)


def as_policy(item, default_id: str | None = None) -> Policy:
    """Accept a :class:`Policy`, a document (text or dict), or a ``(policy_id, document)`` pair."""
    if isinstance(item, Policy):
        return item
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return compile_policy(item[1], item[0])
    return compile_policy(item, default_id)


def compile_levels(levels: Sequence[Sequence]) -> list[tuple[str, tuple[Policy, ...]]]:
    """``[[doc, (id, doc), Policy, ...], ...]`` (root first) -> ``[(level_name, (Policy, ...)), ...]``.
    Levels are named ``level0`` (root), ``level1``...; a ``(name, [policies])`` pair keeps its name."""
    out = []
    for i, lvl in enumerate(levels):
        name = f"level{i}"
        if isinstance(lvl, tuple) and len(lvl) == 2 and isinstance(lvl[0], str) and isinstance(lvl[1], (list, tuple)):
            name, lvl = lvl
        pols = tuple(as_policy(p, f"{name}-policy{j}") for j, p in enumerate(lvl))
        out.append((name, pols))
    return out
