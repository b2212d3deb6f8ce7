"""IAM condition operators, evaluated in three-valued logic.

The context is a mapping of **lower-cased** condition keys to a value (a string, number, bool, or a
list of them for multi-valued keys) or ``None`` meaning "the caller says this key is absent from the
request". A key that is not in the mapping at all is *not known*: a condition on it is
:class:`~orgkit.scp.matching.Unknown`, naming the key and the values it depends on.

Documented rules for a key absent from the request (the IAM User Guide, "Condition operators"):
``...IfExists`` is true; a negated operator (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress``...)
is true; ``ForAllValues:`` is true; a plain operator and ``ForAnyValue:`` are false; ``Null`` tests the
absence itself. Several values for one key are ORed (NOR for negated operators); several keys and
several operators are ANDed.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Mapping

from orgkit.scp.matching import (
    MissingKey,
    Unknown,
    arn_matches,
    glob_matches,
    substitute_plain,
    t_and,
)

__all__ = ["BASE_OPERATORS", "parse_operator", "evaluate_condition_block", "normalise_context"]


def _num(s):
    if isinstance(s, bool):
        raise ValueError("bool is not a number")
    if isinstance(s, (int, float)):
        return s
    s = str(s).strip()
    try:
        return int(s)
    except ValueError:
        return float(s)


def _date(s):
    if isinstance(s, datetime):
        d = s
    elif isinstance(s, (int, float)) and not isinstance(s, bool):
        return datetime.fromtimestamp(s, tz=timezone.utc)
    else:
        s = str(s).strip()
        try:
            return datetime.fromtimestamp(float(s), tz=timezone.utc)
        except ValueError:
            pass
        d = datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d


def _bool_str(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v).strip().lower()


def _s(v) -> str:
    """A condition value as the string IAM compares: JSON true/false (or a Python bool) is "true"/"false"."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _bytes(v) -> bytes:
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    return base64.b64decode(str(v), validate=True)


def _ip_in(c, p) -> bool:
    net = ipaddress.ip_network(str(p).strip(), strict=False)
    cs = str(c).strip()
    if "/" in cs:
        cn = ipaddress.ip_network(cs, strict=False)
        return cn.version == net.version and cn.subnet_of(net)
    a = ipaddress.ip_address(cs)
    return a.version == net.version and a in net


def _safe(fn, c, p, ctx) -> bool:
    """``fn(c, p, ctx)``, a value that does not parse (a date, a number, an address, base64) being no match.
    Called at each comparison (``_safe(_CMP[base], c, p, ctx)``), not when the module is imported: a wrapper built
    at import would run its logic before a mutation-testing tool switches a change on."""
    try:
        return fn(c, p, ctx)
    except MissingKey:
        raise
    except (ValueError, TypeError, OverflowError, binascii.Error):
        return False


# positive comparisons: (context value, policy value, ctx) -> bool (called through _safe)
_CMP = {
    "stringequals": lambda c, p, x: _s(c) == substitute_plain(_s(p), x),
    "stringequalsignorecase": lambda c, p, x: _s(c).lower() == substitute_plain(_s(p), x).lower(),
    "stringlike": lambda c, p, x: glob_matches(_s(p), _s(c), ctx=x),
    "numericequals": lambda c, p, x: _num(c) == _num(p),
    "numericlessthan": lambda c, p, x: _num(c) < _num(p),
    "numericlessthanequals": lambda c, p, x: _num(c) <= _num(p),
    "numericgreaterthan": lambda c, p, x: _num(c) > _num(p),
    "numericgreaterthanequals": lambda c, p, x: _num(c) >= _num(p),
    "dateequals": lambda c, p, x: _date(c) == _date(p),
    "datelessthan": lambda c, p, x: _date(c) < _date(p),
    "datelessthanequals": lambda c, p, x: _date(c) <= _date(p),
    "dategreaterthan": lambda c, p, x: _date(c) > _date(p),
    "dategreaterthanequals": lambda c, p, x: _date(c) >= _date(p),
    "bool": lambda c, p, x: _bool_str(c) == _bool_str(substitute_plain(str(p), x) if isinstance(p, str) else p),
    "binaryequals": lambda c, p, x: _bytes(c) == _bytes(p),
    "ipaddress": lambda c, p, x: _ip_in(c, p),
    "arnequals": lambda c, p, x: arn_matches(str(p), str(c), ctx=x),
    "arnlike": lambda c, p, x: arn_matches(str(p), str(c), ctx=x),
}

# negated operator -> its positive form
_NEGATED = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "notipaddress": "ipaddress",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
}

#: canonical spelling of every base operator (without IfExists / set qualifiers)
BASE_OPERATORS = {
    k: v
    for v in [
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
        "StringLike", "StringNotLike",
        "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
        "NumericGreaterThan", "NumericGreaterThanEquals",
        "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
        "DateGreaterThan", "DateGreaterThanEquals",
        "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
        "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
    ]
    for k in [v.lower()]
}


@lru_cache(maxsize=4096)
def parse_operator(op: str) -> tuple[str | None, str, bool, bool]:
    """``'ForAnyValue:StringLikeIfExists'`` -> (qualifier, base, if_exists, known).

    ``qualifier`` is ``'ForAnyValue'``, ``'ForAllValues'`` or ``None``; ``base`` is lower-cased;
    ``known`` says whether we know the operator (an unknown one is reported, never false)."""
    qual = None
    rest = op
    if ":" in op:
        q, rest = op.split(":", 1)
        ql = q.lower()
        if ql == "foranyvalue":
            qual = "ForAnyValue"
        elif ql == "forallvalues":
            qual = "ForAllValues"
        else:
            return None, op.lower(), False, False
    base = rest.lower()
    if_exists = False
    if base.endswith("ifexists") and base != "ifexists":
        if_exists = True
        base = base[: -len("ifexists")]
    known = base in BASE_OPERATORS and not (base == "null" and (if_exists or qual))
    return qual, base, if_exists, known


def _as_list(v) -> list:
    if isinstance(v, (list, tuple)):
        return list(v)
    return [v]


def normalise_context(context: Mapping[str, Any] | None) -> dict:
    """Lower-case keys (condition keys are case-insensitive); keep values (None = absent)."""
    return {str(k).lower(): v for k, v in (context or {}).items()}


def _describe(op: str, key: str, values: list) -> str:
    return f"{key} {op} {json.dumps([v if isinstance(v, str) else _bool_str(v) if isinstance(v, bool) else v for v in values])}"


def evaluate_one(op: str, key: str, values, ctx: Mapping[str, Any]):
    """One (operator, key, policy values) test against ``ctx`` -> True | False | Unknown."""
    qual, base, if_exists, known = parse_operator(op)
    pvals = _as_list(values)
    lkey = key.lower()
    if not known:
        return Unknown(frozenset({f"unknown condition operator {op!r} on {key}"}), frozenset())
    if lkey not in ctx:
        return Unknown(frozenset({_describe(op, key, pvals)}), frozenset({lkey}))
    raw = ctx[lkey]
    cvals = [] if raw is None else _as_list(raw)
    absent = len(cvals) == 0
    if base == "null":
        want_absent = any(_bool_str(p) == "true" for p in pvals)
        want_present = any(_bool_str(p) == "false" for p in pvals)
        return (absent and want_absent) or ((not absent) and want_present)
    negated = base in _NEGATED
    cmp = _CMP[_NEGATED.get(base, base)]
    if absent:
        if if_exists:
            return True
        if qual == "ForAllValues":
            return True
        if qual == "ForAnyValue":
            return False
        return negated
    try:
        def per_value(c):
            hit = any(_safe(cmp, c, p, ctx) for p in pvals)
            return (not hit) if negated else hit

        if qual == "ForAllValues":
            return all(per_value(c) for c in cvals)
        if qual == "ForAnyValue":
            return any(per_value(c) for c in cvals)
        hit = any(_safe(cmp, c, p, ctx) for c in cvals for p in pvals)
        return (not hit) if negated else hit
    except MissingKey as e:
        return Unknown(frozenset({f"{_describe(op, key, pvals)} (policy variable ${{{e.key}}})"}), frozenset({e.key}))


def evaluate_condition_block(block: Mapping[str, Mapping[str, Any]] | None, ctx: Mapping[str, Any]):
    """AND of every operator and every key in a statement's ``Condition``."""
    if not block:
        return True
    results = []
    for op, tests in block.items():
        for key, values in tests.items():
            r = evaluate_one(op, key, values, ctx)
            if r is False:
                return False
            results.append(r)
    return t_and(*results)
