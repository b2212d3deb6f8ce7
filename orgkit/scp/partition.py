"""Exact answers when context keys are unknown: a finite partition of each key's domain.

A statement's Condition compares a key with finitely many policy values, so every value the key can take
behaves, for the policies at hand, like one of finitely many *representatives*: each value the policies
mention, values between and beyond them, a value no test mentions ("any other value"), and the key being
absent from the request. The decision for unknown keys is then a function over the product of their
representatives: :func:`domains` builds them, the engine and the matrix evaluate every combination.

Per operator family (the values the policies mention, after substituting known policy variables):

* ``String…`` equality: each value; with ``IgnoreCase`` also its lower, upper and swapped-case forms;
* ``StringLike`` / ``Arn…`` patterns: each pattern with its wildcards filled by nothing, by ``x`` and by each
  literal fragment of the other values (so that ``a*`` and ``*b`` meet in ``ab``);
* ``Numeric…`` / ``Date…``: each threshold, the midpoints between consecutive thresholds, one below the lowest
  and one above the highest;
* ``Bool``: ``true`` and ``false``; ``IpAddress``: the first address of every interval the CIDRs cut the
  address space into (each network's start and the address after its end, IPv4 and IPv6);
* ``BinaryEquals``: each value and another; ``Null``: present or absent;
* for string and ARN keys a fresh value no test mentions ("any other value"); for every key, absent.

A multi-valued key (tested with ``ForAnyValue:``/``ForAllValues:``, or one AWS documents as multi-valued)
takes as values the non-empty *sets* of representatives: all of them up to :data:`MAX_SET_ELEMENTS`
representatives, beyond that the sets of one or two of them and the set of all (an approximation,
documented in docs/scp.md). The resource, when it is not given, is a dimension too: a value like each
``Resource``/``NotResource`` pattern, and any other ARN.
"""

from __future__ import annotations

import base64
import ipaddress
import itertools
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable, Mapping, Sequence

from orgkit.scp.conditions import _CMP, _NEGATED, _as_list, _date, _num, _safe, evaluate_one, parse_operator
from orgkit.scp.matching import MissingKey, _parse_var, arn_matches, iter_variables, sub_variables, variable_keys

__all__ = ["Rep", "domains", "MULTI_VALUED_KEYS", "RESOURCE", "MAX_SET_ELEMENTS", "MAX_COMBINATIONS"]

RESOURCE = "resource"
#: keys AWS documents as multi-valued (lower-cased)
MULTI_VALUED_KEYS = frozenset({"aws:principalorgpaths", "aws:tagkeys", "aws:calledvia",
                               "aws:principalservicenameslist"})
#: up to this many representatives, a multi-valued key's domain is every non-empty set of them
MAX_SET_ELEMENTS = 6
#: beyond this many combinations of unknown values the engine keeps the per-statement answer
MAX_COMBINATIONS = 20000

OTHER_VALUE = "orgkit-any-other-value"
OTHER_RESOURCE = "arn:aws:orgkit:::any-other-resource"
#: characters a fresh "other" value is made of when a policy names or matches OTHER_VALUE (see :func:`_other`)
_FRESH = "~^|!#%&=+\ue000\ue001\ue002"

@dataclass(frozen=True)
class Rep:
    """One representative value of an unknown key (``None``: absent from the request) and how to say it."""

    value: Any
    label: str

    def __repr__(self) -> str:  # pragma: no cover - debugging nicety
        return f"Rep({self.label})"


ABSENT_REP = Rep(None, "absent")


def _family(base: str) -> str:
    b = _NEGATED.get(base, base)
    if b in ("stringequals", "stringequalsignorecase"):
        return "string"
    if b == "stringlike":
        return "like"
    if b.startswith("numeric"):
        return "numeric"
    if b.startswith("date"):
        return "date"
    if b.startswith("arn"):
        return "arn"
    if b == "ipaddress":
        return "ip"
    return b  # bool, binaryequals, null


def _subst(text: str, ctx: Mapping[str, Any], fill: str = "x") -> str:
    """Policy variables replaced by their known value (else ``fill``); ``${*}`` etc. kept as literal markers."""

    def rep(m):
        body = m.group(1).strip()
        if body in ("*", "?", "$"):
            return {"*": "\x01", "?": "\x02", "$": "$"}[body]
        key = body.split(",", 1)[0].strip().lower()
        v = ctx.get(key) if hasattr(ctx, "get") else None
        if isinstance(v, str):
            return v.replace("*", "\x01").replace("?", "\x02")
        if "," in body:
            d = body.split(",", 1)[1].strip().strip("'\"")
            return d.replace("*", "\x01").replace("?", "\x02")  # a default is literal text, as a value is
        return fill

    return sub_variables(rep, text)


def placeholder(key: str) -> str:
    """The token orgkit.scp.matrix puts for a value read only through a policy variable (so that accounts share
    work): never shown as if it were the request's value."""
    return f"orgkit-{key.replace(':', '-').replace('/', '-')}-value"


def _shown(pattern: str, ctx) -> str:
    """A pattern as the request sees it: known policy variables replaced (a value the request gives, whatever its
    spelling), the others and orgkit's own placeholder (:func:`placeholder`) kept."""
    if "${" not in pattern:
        return pattern

    def rep(m):
        body = m.group(1).strip()
        key = body.split(",", 1)[0].strip().lower()
        v = ctx.get(key) if hasattr(ctx, "get") else None
        return v if isinstance(v, str) and v != placeholder(key) else m.group(0)

    return sub_variables(rep, pattern)


def _instantiate(pattern: str, fill: str, ctx) -> str:
    s = _subst(pattern, ctx)
    s = s.replace("*", fill).replace("?", "x")
    return s.replace("\x01", "*").replace("\x02", "?")


def _fragments(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        for f in re.split(r"[*?]", _subst(v, {})):
            f = f.replace("\x01", "*").replace("\x02", "?")
            if f and f not in out:
                out.append(f)
    return out[:12]


def _literal(v: str, ctx) -> str:
    """A policy value as the request would hold it: known variables substituted, ``${*}`` and ``${?}`` literal."""
    return _subst(v, ctx).replace("\x01", "*").replace("\x02", "?")


def _spellings(v: str, ctx) -> list[str]:
    """An ``IgnoreCase`` value's spellings tried: as written, lower, upper and swapped case (each once)."""
    s = _literal(v, ctx)
    return list(dict.fromkeys((s, s.lower(), s.upper(), s.swapcase())))


def _other(first: str, texts: Iterable[str], fits, shape=lambda c: c) -> str:
    """A value standing for "any other": ``first``, unless a policy value names or matches it (``fits`` says no),
    then one made of a character no policy value holds (``shape`` makes it a value of the right kind), which
    only a pattern of wildcards alone can match; ``first`` when none fits."""
    used = set("".join(texts))
    fresh = [ch for ch in _FRESH if ch not in used]
    for c in (first, *(shape(ch * n) for ch in fresh[:3] for n in (1, 2, 3, 7))):
        if fits(c):
            return c
    return first


def _string_reps(strings, ignorecase, patterns, arn_patterns, ctx, other: str = OTHER_VALUE) -> list[Rep]:
    reps: list[Rep] = []
    for v in strings:
        reps.append(Rep(_literal(v, ctx), repr_value(v)))
    for v in ignorecase:
        reps += [Rep(form, repr_value(form)) for form in _spellings(v, ctx)]
    frags = _fragments([*strings, *ignorecase, *patterns, *arn_patterns])
    for p in (*patterns, *arn_patterns):
        if "*" not in p and "?" not in p:
            reps.append(Rep(_instantiate(p, "", ctx), repr_value(p)))
            continue
        shown = _shown(p, ctx)
        for fill in ("", "x", *frags):
            reps.append(Rep(_instantiate(p, fill, ctx), f"like {shown}"))
    reps.append(Rep(other, "any other value"))
    return reps


def _fmt_num(x) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def _ordered_reps(points, to_value, fmt, step) -> list[Rep]:
    pts = sorted(set(points))
    reps = [Rep(to_value(pts[0] - step), f"below {fmt(pts[0])}")]
    for i, p in enumerate(pts):
        reps.append(Rep(to_value(p), f"= {fmt(p)}"))
        if i + 1 < len(pts):
            reps.append(Rep(to_value(p + (pts[i + 1] - p) / 2), f"between {fmt(p)} and {fmt(pts[i + 1])}"))
    reps.append(Rep(to_value(pts[-1] + step), f"above {fmt(pts[-1])}"))
    return reps


def _merged(reps: list[Rep], behaviour) -> list[Rep]:
    """Ordered representatives (below, =, between, above the policy's points) of one class as ONE, labelled with
    every piece it holds: ``NumericLessThan 10`` and ``NumericGreaterThan 20`` allow ``= 10 or between 10 and 20
    or = 20``, not just ``= 10`` (the first piece met)."""
    classes: dict = {}
    for r in reps:
        classes.setdefault(behaviour(r.value), []).append(r)
    return [rs[0] if len(rs) == 1 else Rep(rs[0].value, " or ".join(r.label for r in rs)) for rs in classes.values()]


def _ip_reps(nets) -> list[Rep]:
    """The first address of every interval the networks cut each address space into, named by the interval
    (``10.0.0.0 to 10.255.255.255``; ``any IPv6 address`` when no network cuts that space)."""
    reps: list[Rep] = []
    for version, cls, top in ((4, ipaddress.IPv4Address, 2**32), (6, ipaddress.IPv6Address, 2**128)):
        mine = [n for n in nets if n.version == version]
        points = {0}
        for n in mine:
            points.add(int(n.network_address))
            end = int(n.broadcast_address) + 1
            if end < top:
                points.add(end)
        starts = sorted(points)
        for p, nxt in zip(starts, starts[1:] + [top]):
            if p == 0 and nxt == top:
                label = f"any IPv{version} address"
            elif nxt - p == 1:
                label = str(cls(p))
            else:
                label = f"{cls(p)} to {cls(nxt - 1)}"
            reps.append(Rep(str(cls(p)), label))
    return reps


def element_reps(tests: Sequence[tuple], ctx: Mapping[str, Any]) -> list[Rep]:
    """Representatives of one value of a key, from its ``(qualifier, base, values)`` tests."""
    strings, ignorecase, patterns, arns, nums, dates, nets, binaries = [], [], [], [], [], [], [], []
    fams = set()
    for _, base, vals in tests:
        fam = _family(base)
        fams.add(fam)
        for v in vals:
            try:
                if fam == "string":
                    (ignorecase if "ignorecase" in base else strings).append(_str(v))
                elif fam == "like":
                    patterns.append(_str(v))
                elif fam == "arn":
                    arns.append(_str(v))
                elif fam == "numeric":
                    nums.append(_num(v))
                elif fam == "date":
                    dates.append(_date(v))
                elif fam == "ip":
                    nets.append(ipaddress.ip_network(str(v).strip(), strict=False))
                elif fam == "binaryequals":
                    binaries.append(str(v))
            except (ValueError, TypeError, OverflowError):
                continue  # a policy value that does not parse never matches: nothing to represent
    reps: list[Rep] = []

    def behaviour(v):
        return _behaviour(v, tests, ctx)

    def fits(v):  # no test's policy value names or matches it
        return True not in behaviour(v)

    if fams & {"string", "like", "arn"} or not (fams - {"null"}):
        texts = [*strings, *ignorecase, *patterns, *arns]
        reps += _string_reps(strings, ignorecase, patterns, arns, ctx, _other(OTHER_VALUE, texts, fits))

    if nums:
        reps += _merged(_ordered_reps(nums, lambda x: _fmt_num(x), _fmt_num, 1), behaviour)
    elif "numeric" in fams:
        reps.append(Rep("0", "0"))
    if dates:
        reps += _merged(_ordered_reps(dates, lambda d: d.isoformat(), lambda d: d.isoformat(), timedelta(days=1)),
                        behaviour)
    elif "date" in fams:
        reps.append(Rep("2000-01-01T00:00:00+00:00", "2000-01-01"))
    if "bool" in fams:
        reps += [Rep("true", "true"), Rep("false", "false")]
    if "ip" in fams:
        reps += _merged(_ip_reps(nets), behaviour)
    if "binaryequals" in fams:
        other = _other("b3JnaXQtb3RoZXI=", binaries, fits, lambda c: base64.b64encode(c.encode()).decode())
        reps += [Rep(b, b) for b in binaries] + [Rep(other, "any other value")]
    return _case_labels(_by_behaviour(reps, behaviour), ignorecase, ctx, behaviour)


def _case_labels(reps: list[Rep], ignorecase, ctx, behaviour) -> list[Rep]:
    """An ``IgnoreCase`` value's class named by every spelling of it tried that falls in the class: ``"Security"
    in any case`` when all of them behave alike, else the ones that do (``"security" or "sECURITY"``, when a
    case-sensitive test splits them), not one of them as if it were the only value allowed."""
    if not ignorecase:
        return reps
    forms_of: dict[str, list[str]] = {}
    for v in ignorecase:
        forms = _spellings(v, ctx)
        for f in forms:
            forms_of.setdefault(f, forms)
    out = []
    for r in reps:
        if r.value in forms_of and len(forms_of[r.value]) > 1:
            forms = forms_of[r.value]
            b = behaviour(r.value)
            same = [f for f in forms if behaviour(f) == b]
            if len(same) == len(forms):
                r = Rep(r.value, f"{repr_value(forms[0])} in any case")
            elif len(same) > 1:
                r = Rep(r.value, " or ".join(repr_value(f) for f in same))
        out.append(r)
    return out


def _behaviour(value, tests, ctx) -> tuple:
    """What every (operator, policy value) test on the key says of ``value``: values that agree on all of
    them are interchangeable for these policies (one class of the partition)."""
    out = []
    for _, base, vals in tests:
        pos = _NEGATED.get(base, base)
        cmp = _CMP.get(pos)
        if cmp is None:  # Null: only presence matters
            continue
        for p in vals:
            try:
                out.append(bool(_safe(cmp, value, p, ctx)))
            except MissingKey:
                out.append(None)
    return tuple(out)


def _by_behaviour(reps: list[Rep], behaviour) -> list[Rep]:
    """One representative per class (the first met: literal values before pattern instances and "other")."""
    seen_values: set = set()
    seen: dict = {}
    for r in reps:
        if r.value in seen_values:
            continue
        seen_values.add(r.value)
        seen.setdefault(behaviour(r.value), r)
    return list(seen.values())


def _str(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def repr_value(v) -> str:
    return '"' + str(v) + '"'


def key_tests(statements) -> dict[str, list[tuple]]:
    """``{lower-cased key: [(qualifier, base, values), ...]}`` over the statements' conditions; keys used
    only as policy variables get an empty list (a string key)."""
    out: dict[str, list[tuple]] = {}
    for st in statements:
        for op, tests in (st.condition or {}).items():
            qual, base, _, known = parse_operator(op)
            for k, vals in tests.items():
                out.setdefault(k.lower(), [])
                if known:
                    out[k.lower()].append((qual, base, _as_list(vals)))
        for k in st.referenced_keys:
            out.setdefault(k, [])
    _ = variable_keys
    return out


def resource_reps(statements, ctx) -> list[Rep]:
    reps: list[Rep] = []
    pats = [p for st in statements for p in (st.resources or st.not_resources or ()) if p != "*"]
    frags = _fragments(pats)
    for p in pats:
        if "*" not in p and "?" not in p and "${" not in p:
            reps.append(Rep(p, p))
            continue
        shown = _shown(p, ctx)
        for fill in ("", "x", *frags):
            reps.append(Rep(_instantiate(p, fill, ctx), f"like {shown}"))
    other = _other(OTHER_RESOURCE, pats, lambda v: True not in _pattern_matches(pats, v, ctx),
                   lambda c: f"arn:{c}:{c}:{c}:{c}:{c}")
    reps.append(Rep(other, "any other resource"))
    return _by_behaviour(reps, lambda v: _pattern_matches(pats, v, ctx))


def _pattern_matches(pats: Sequence[str], resource: str, ctx) -> tuple:
    """Whether each pattern matches ``resource`` (None: a variable it uses has no value)."""
    out = []
    for p in pats:
        try:
            out.append(bool(arn_matches(p, resource, ctx=ctx)))
        except MissingKey:
            out.append(None)
    return tuple(out)


def _sets(elems: list[Rep]) -> list[Rep]:
    n = len(elems)
    if n <= MAX_SET_ELEMENTS:
        sizes = range(1, n + 1)
        combos = itertools.chain.from_iterable(itertools.combinations(elems, k) for k in sizes)
    else:
        combos = itertools.chain(itertools.combinations(elems, 1), itertools.combinations(elems, 2), [tuple(elems)])
    out = []
    for c in combos:
        out.append(Rep([r.value for r in c], "{" + ", ".join(r.label for r in c) + "}"))
    return out


def is_multi_valued(key: str, tests: Sequence[tuple]) -> bool:
    return key in MULTI_VALUED_KEYS or any(q for q, _, _ in tests)


def reads(st, key: str) -> bool:
    """Whether a statement's answer can depend on ``key`` (``resource``: it names resources other than ``*``)."""
    if key == RESOURCE:
        pats = st.resources if st.resources is not None else st.not_resources
        return any(p != "*" for p in pats or ())
    return key in st.referenced_keys


#: at most this many values of a key are cut out of the request's resource (see :func:`resource_values`)
MAX_RESOURCE_CUTS = 256


_GLOB_OR_VAR = re.compile(r"[*?]|\$\{[^}]*\}")


def _cuts(resource: str, pats: list[str], key: str) -> Iterable[str]:
    """Pieces of ``resource`` the variable ``key`` may stand for: between the literal text around it in each
    pattern (``team-${aws:PrincipalTag/team}-data``), wherever that text is found in the resource; then each run of
    the resource's ``/``- or ``:``-separated parts, and each part's prefixes and suffixes."""
    for p in pats:
        for m in iter_variables(p):
            if _parse_var(m.group(1))[0].lower() != key:
                continue
            before = _GLOB_OR_VAR.split(p[: m.start()])[-1]
            after = _GLOB_OR_VAR.split(p[m.end():])[0]
            i = resource.find(before)
            while i >= 0:
                start = i + len(before)
                end = resource.find(after, start) if after else len(resource)
                if end >= start:
                    yield resource[start:end]
                    if not after:
                        stop = min((k for k in (resource.find("/", start), resource.find(":", start)) if k >= 0),
                                   default=-1)
                        if stop >= start:
                            yield resource[start:stop]
                i = resource.find(before, i + 1) if before else -1
    toks = re.split(r"([/:])", resource)
    parts = toks[0::2]
    for i in range(len(parts)):
        for j in range(i, min(i + 4, len(parts))):
            yield "".join(toks[2 * i: 2 * j + 1])
    for part in parts:
        for k in range(1, min(len(part), 64)):
            yield part[:k]
            yield part[-k:]


def _new_ways(candidates: Iterable[str], behaviour, does: str) -> list[Rep]:
    """The candidates (at most :data:`MAX_RESOURCE_CUTS` distinct ones) tried by ``behaviour``: one value for each
    way they come out other than "any other value" does, the first found; a value found among others that come out
    alike is one example of them, and said so ("one that ``does`` (such as …)")."""
    seen = {behaviour(OTHER_VALUE)}
    first: dict[tuple, str] = {}
    alike: dict[tuple, int] = {}
    tried: set[str] = set()
    for v in candidates:
        if v in tried:
            continue
        if len(tried) >= MAX_RESOURCE_CUTS:
            break
        tried.add(v)
        b = behaviour(v)
        alike[b] = alike.get(b, 0) + 1
        if b not in seen:
            first.setdefault(b, v)
    return [Rep(v, repr_value(v) if alike[b] == 1 else f"one that {does} (such as {repr_value(v)})")
            for b, v in first.items()]


def resource_values(key: str, statements, ctx: Mapping[str, Any], resource: str | None) -> list[Rep]:
    """Values of ``key`` that make a ``Resource`` or ``NotResource`` pattern using it as a variable
    (``arn:aws:s3:::b/${aws:PrincipalTag/team}/*``) match the request's ``resource``: one for each different way
    the patterns then match, other than the way "any other value" makes them match. Candidates are cut out of the
    resource (:func:`_cuts`, at most :data:`MAX_RESOURCE_CUTS` distinct ones) and each tried by the ARN matcher."""
    if not isinstance(resource, str) or not resource or resource == "*":
        return []
    pats = [p for st in statements for p in (*(st.resources or ()), *(st.not_resources or ()))
            if "${" in p and key in variable_keys(p)]
    if not pats:
        return []

    def behaviour(v):
        return _pattern_matches(pats, resource, {**ctx, key: v})

    return _new_ways(_cuts(resource, pats, key), behaviour, "makes the Resource pattern match the request")


def condition_values(key: str, statements, ctx: Mapping[str, Any]) -> list[Rep]:
    """Values of ``key`` that make a condition whose policy value uses it as a variable, on a key whose value the
    request gives (``"aws:ResourceTag/team": "${aws:PrincipalTag/team}"`` with the resource's tag known), come out
    otherwise than "any other value" does: one for each different way the conditions then come out. Candidates are
    cut out of the known values (:func:`_cuts`, at most :data:`MAX_RESOURCE_CUTS` distinct ones) and each tried by
    the condition's operator."""
    tests, texts = [], []
    for st in statements:
        for op, by_key in (st.condition or {}).items():
            for k, vals in by_key.items():
                pats = [v for v in _as_list(vals) if isinstance(v, str) and key in variable_keys(v)]
                known = [v for v in _as_list(ctx.get(k.lower())) if isinstance(v, str)] if k.lower() != key else []
                if pats and known:
                    tests.append((op, k, vals))
                    texts += [(text, pats) for text in known]
    if not tests:
        return []

    def behaviour(v):
        c = {**ctx, key: v}
        return tuple(r if isinstance(r, bool) else None
                     for r in (evaluate_one(op, k, vals, c) for op, k, vals in tests))

    on = " and ".join(dict.fromkeys(k for _, k, _ in tests))
    return _new_ways(itertools.chain.from_iterable(_cuts(text, pats, key) for text, pats in texts), behaviour,
                     f"makes the value of the condition on {on} match the request")


def domain(key: str, statements, ctx: Mapping[str, Any], resource: str | None = None) -> tuple[Rep, ...]:
    """The representatives of one unknown key (or ``resource``), from the statements that read it; with the
    request's ``resource``, also the values of a key used in a Resource pattern that make it match."""
    if key == RESOURCE:
        return tuple(resource_reps(statements, ctx))
    t = key_tests(statements).get(key, [])
    elems = element_reps(t, ctx)
    for more in (resource_values(key, statements, ctx, resource), condition_values(key, statements, ctx)):
        known = {r.value for r in elems}
        elems += [r for r in more if r.value not in known]
    if is_multi_valued(key, t):
        return (ABSENT_REP, *_sets(elems))
    return (ABSENT_REP, *elems)


def domains(keys: Iterable[str], statements, ctx: Mapping[str, Any], cache: dict | None = None,
            resource: str | None = None) -> dict[str, tuple[Rep, ...]]:
    """The representatives of each unknown key (and of ``resource``), each built from the ``statements``
    that read it, the known part of the context and the request's ``resource`` (``cache``: reuse across calls)."""
    out: dict[str, tuple[Rep, ...]] = {}
    for k in keys:
        sts = [st for st in statements if reads(st, k)]
        if cache is None:
            out[k] = domain(k, sts, ctx, resource)
            continue
        vkeys = sorted({v for st in sts for v in st.value_keys})
        ck = (k, tuple((st.policy_id, st.index) for st in sts),
              tuple(_hv(ctx.get(v, "\0unknown")) for v in vkeys), resource)
        d = cache.get(ck)
        if d is None:
            d = cache[ck] = domain(k, sts, ctx, resource)
        out[k] = d
    return out


def _hv(v):
    return tuple(v) if isinstance(v, list) else v


def describe_values(key: str, reps: Sequence[Rep], domain: Sequence[Rep], display: str | None = None) -> str:
    """``aws:requestedregion is "us-east-1"`` / ``… is not "us-east-1"`` / ``… is absent``: the values in
    ``reps`` (a part of ``domain``) in the shorter of the two ways to say them."""
    name = "the resource" if key == RESOURCE else (display or key)
    if len(reps) == len(domain):
        return f"{name} is anything"
    if key.startswith("unknown operator "):  # engine.exact's free yes/no: "… holds", "… does not hold"
        return f"{name} " + " or ".join(dict.fromkeys(r.label for r in reps))
    ids = {id(r) for r in reps}
    rest = [r for r in domain if id(r) not in ids]
    has_absent = any(r.value is None for r in reps) and key != RESOURCE
    # "is not X": only when every value left out is one the policies name ("is not any other value" says nothing)
    if (len(rest) < len(reps) and len(rest) <= 3 and all(r.value is not None for r in rest)
            and not any(r.label.startswith("like ") or r.label in ("any other value", "any other resource")
                        for r in rest)):
        return f"{name} is not " + " or ".join(dict.fromkeys(r.label for r in rest)) + (" (or absent)" if has_absent else "")
    return f"{name} is " + " or ".join(dict.fromkeys(r.label for r in reps))
