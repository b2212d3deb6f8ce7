"""Wildcard, ARN and policy-variable matching, and the three-valued logic the engine uses.

Three values: ``True``, ``False`` and an :class:`Unknown` that names what the answer depends on
(a context key the caller did not give, an operator we do not know). ``Unknown`` is never
silently turned into ``False``: it travels through statements, levels and the final decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

__all__ = [
    "Unknown",
    "MissingKey",
    "VariableNotReplaced",
    "t_and",
    "t_or",
    "t_not",
    "is_unknown",
    "action_regex",
    "action_matches",
    "glob_regex",
    "glob_matches",
    "arn_matches",
    "substitute",
    "has_variables",
    "variable_keys",
    "iter_variables",
    "sub_variables",
]


@dataclass(frozen=True)
class Unknown:
    """A truth value we cannot decide. ``deps`` are human-readable reasons, e.g.
    ``'aws:RequestedRegion StringNotEquals ["eu-west-1"]'`` or ``'unknown operator StringFoo'``;
    ``keys`` are the (lower-cased) context keys that would settle it."""

    deps: frozenset = frozenset()
    keys: frozenset = frozenset()

    def __bool__(self):  # pragma: no cover - guard against accidental truthiness
        raise TypeError("Unknown has no truth value; use is_unknown()")

    def merge(self, other: "Unknown") -> "Unknown":
        return Unknown(self.deps | other.deps, self.keys | other.keys)


def is_unknown(v) -> bool:
    return isinstance(v, Unknown)


def t_and(*vals):
    """Kleene AND: False wins, then Unknown (merged), then True."""
    unk = None
    for v in vals:
        if v is False:
            return False
        if isinstance(v, Unknown):
            unk = v if unk is None else unk.merge(v)
    return True if unk is None else unk


def t_or(*vals):
    """Kleene OR: True wins, then Unknown (merged), then False."""
    unk = None
    for v in vals:
        if v is True:
            return True
        if isinstance(v, Unknown):
            unk = v if unk is None else unk.merge(v)
    return False if unk is None else unk


def t_not(v):
    if isinstance(v, Unknown):
        return v
    return not v


class VariableNotReplaced(ValueError):
    """A policy variable whose key is absent from the request (and has no default), or is
    multi-valued: IAM cannot replace it, and the element holding it matches nothing."""


class MissingKey(Exception):
    """A policy variable names a context key the caller did not give (and it has no default)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


# ---------------------------------------------------------------------------------------------
# policy variables

_VAR = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


def iter_variables(text: str):
    """The policy variables ``${...}`` of ``text`` (match objects, group 1 the body), in linear time: a ``${``
    with no ``}`` after it would make the regex scan to the end once per ``${`` (quadratic); no match can end
    after the last ``}``, so the search stops there, and then every scan ends at a ``}`` the next starts after."""
    return _VAR.finditer(text, 0, text.rfind("}") + 1)


def sub_variables(repl, text: str) -> str:
    """``_VAR.sub(repl, text)`` in linear time (see :func:`iter_variables`)."""
    end = text.rfind("}") + 1
    return _VAR.sub(repl, text[:end]) + text[end:]


def has_variables(text: str) -> bool:
    return "${" in text


def _parse_var(body: str) -> tuple[str, str | None]:
    """``aws:username`` or ``aws:username, 'default'`` -> (key, default)."""
    if "," in body:
        key, default = body.split(",", 1)
        default = default.strip()
        if len(default) >= 2 and default[0] == default[-1] and default[0] in "'\"":
            default = default[1:-1]
        return key.strip(), default
    return body.strip(), None


@lru_cache(maxsize=65536)
def variable_keys(text: str) -> frozenset:
    """Lower-cased context keys referenced by policy variables in ``text``."""
    out = set()
    for m in iter_variables(text):
        body = m.group(1)
        if body.strip() in _SPECIAL:
            continue
        out.add(_parse_var(body)[0].lower())
    return frozenset(out)


def _resolve(body: str, ctx: Mapping[str, object] | None) -> str:
    b = body.strip()
    if b in _SPECIAL:
        return _SPECIAL[b]
    key, default = _parse_var(body)
    lk = key.lower()
    if ctx is not None and lk in ctx:
        v = ctx[lk]
        if v is None or (isinstance(v, (list, tuple)) and len(v) != 1):
            # absent from the request, or multi-valued: IAM cannot replace it
            if default is not None:
                return default
            raise VariableNotReplaced(lk)
        if isinstance(v, (list, tuple)):
            return str(v[0])
        return str(v)
    raise MissingKey(lk)


def substitute(text: str, ctx: Mapping[str, object] | None) -> list[tuple[str, bool]]:
    """Split ``text`` into pieces ``(piece, literal)``: ``literal`` pieces come from variables
    (their ``*``/``?`` are plain characters); the others keep wildcard meaning.
    Raises :class:`MissingKey` when a variable's key is not in ``ctx``."""
    if "${" not in text:
        return [(text, False)]
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in iter_variables(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((_resolve(m.group(1), ctx), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def substitute_plain(text: str, ctx: Mapping[str, object] | None) -> str:
    """Substitute variables, returning plain text (for String/Arn condition values)."""
    return "".join(p for p, _ in substitute(text, ctx))


# ---------------------------------------------------------------------------------------------
# globbing, in time linear in pattern x value
#
# Python's ``re`` backtracks: ``a.*a.*a.*b`` against ``aaaa...`` tries every way of cutting the value, so a
# pattern with k stars costs O(n^k). The regexes below have the same meaning but cannot backtrack beyond one
# segment: a glob ``S0*S1*...*Sk`` (each Si of fixed length: literals and ``?``) matches exactly when S0 is a
# prefix, Sk a suffix, and S1..S(k-1) occur in order in between, and placing each Si at its leftmost place
# after the previous one is never worse (the gaps are unrestricted). ``(?>.*?Si)`` (an atomic group, Python
# 3.11+) finds that leftmost place and then gives up every other choice, so a failed match costs at most
# O(len(value) x len(pattern)) steps instead of trying every combination. Each character is still judged by
# ``re`` with the same flags (IGNORECASE, DOTALL), so the answer is the same as before. See docs/scp.md.

_STAR = object()  # a '*' in a token list; every other token is the regex of one character


def _glob_tokens(pieces: list[tuple[str, bool]], one: str = ".") -> list:
    """Tokens of a glob given as pieces ``(text, literal)``: ``*`` -> _STAR, ``?`` -> ``one``, other characters
    (and every character of a literal piece) escaped."""
    out: list = []
    for piece, literal in pieces:
        if literal:
            out.extend(re.escape(ch) for ch in piece)
            continue
        for ch in piece:
            if ch == "*":
                out.append(_STAR)
            elif ch == "?":
                out.append(one)
            else:
                out.append(re.escape(ch))
    return out


def _split_stars(tokens: list) -> list[str]:
    """The fixed-length segments between the stars of a token list (one more than the stars)."""
    segs = [[]]
    for t in tokens:
        if t is _STAR:
            segs.append([])
        else:
            segs[-1].append(t)
    return ["".join(s) for s in segs]


def _linear(segs: list[str], gap: str = ".", min_end: bool = False) -> str:
    """The regex for ``segs[0] gap* segs[1] gap* ... segs[-1]`` that does not backtrack across segments.
    ``min_end=False``: the last segment is anchored by what follows (the end of the value, or a ``:`` that
    ``gap`` cannot cross), so it is matched with one greedy gap (O(n x len(last)) tries). ``min_end=True``:
    the match ends as early as possible (every segment at its leftmost place); used where a ``.*`` follows."""
    if len(segs) == 1:
        return segs[0]
    mids = segs[1:] if min_end else segs[1:-1]
    out = [segs[0]]
    out.extend(f"(?>{gap}*?{m})" for m in mids if m)
    if not min_end:
        out.append(f"{gap}*{segs[-1]}")
    return "".join(out)


def _pieces_to_regex(pieces: list[tuple[str, bool]]) -> str:
    return _linear(_split_stars(_glob_tokens(pieces)))


@lru_cache(maxsize=65536)
def glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern:
    """``*`` = any run of characters (including none), ``?`` = exactly one character. For ``fullmatch`` only
    (linear time; see above)."""
    flags = re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL
    return re.compile(_pieces_to_regex([(pattern, False)]), flags)


@lru_cache(maxsize=65536)
def _pieces_regex(pieces: tuple, ignore_case: bool) -> re.Pattern:
    return re.compile(_pieces_to_regex(list(pieces)), (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def glob_matches(pattern: str, value: str, ignore_case: bool = False, ctx=None) -> bool:
    """Whole-string glob match. With ``ctx``, policy variables are substituted first (may raise
    :class:`MissingKey`)."""
    if ctx is not None and "${" in pattern:
        try:
            pieces = substitute(pattern, ctx)
        except VariableNotReplaced:
            return False
        return _pieces_regex(tuple(pieces), ignore_case).fullmatch(value) is not None
    return glob_regex(pattern, ignore_case).fullmatch(value) is not None


def action_regex(pattern: str) -> re.Pattern:
    """Action names are case-insensitive and ``*``/``?`` may appear anywhere (``s3:Get*``,
    ``*:Describe*``, ``iam:?etUser``). For ``fullmatch`` only."""
    return glob_regex(pattern, True)


def action_matches(pattern: str, action: str) -> bool:
    return glob_regex(pattern, True).fullmatch(action) is not None

# ---------------------------------------------------------------------------------------------
# ARNs: arn:partition:service:region:account:resource


def _split_arn(s: str) -> list[str]:
    return s.split(":", 5)


@lru_cache(maxsize=65536)
def _arn_pattern(pattern: str) -> tuple:
    segs = _split_arn(pattern)
    return tuple(glob_regex(s) for s in segs)


def arn_matches(pattern: str, value: str, ctx=None) -> bool:
    """Case-sensitive ARN match, segment by segment: ``*`` and ``?`` do not cross the ``:`` that
    separate the first five fields (arn, partition, service, region, account) — except a ``*`` that ends
    one of those fields, which AWS documents may expand beyond the colons; inside the
    resource part (the sixth field) they match any character, ``:`` and ``/`` included.
    ``*`` alone matches everything. A pattern with fewer than six fields matches its last field
    against the rest of the value. A value that is not an ARN matches only ``*`` or an identical
    string. May raise :class:`MissingKey` when ``ctx`` is given and a variable is unresolved."""
    if pattern == "*":
        return True
    if ctx is not None and "${" in pattern:
        items = []
        for k in sorted(variable_keys(pattern)):
            if k in ctx:
                v = ctx[k]
                items.append((k, tuple(v) if isinstance(v, list) else v))
        regs = _var_arn_regs(pattern, tuple(items))
        if regs is None:
            return False
    else:
        regs = _arn_pattern(pattern)
    vsegs = _split_arn(value)
    if len(vsegs) >= len(regs):
        if len(regs) < 6 and len(vsegs) > len(regs):
            vsegs = vsegs[: len(regs) - 1] + [":".join(vsegs[len(regs) - 1 :])]
        if all(r.fullmatch(v) is not None for r, v in zip(regs, vsegs)):
            return True
    crossing = _crossing_regex(_plain_pattern(pattern, ctx))
    return crossing is not None and crossing.fullmatch(value) is not None


def _plain_pattern(pattern: str, ctx) -> str:
    """``pattern`` with its variables replaced, for :func:`_crossing_regex`: the same pattern when the values
    hold no ``*``, ``?`` or ``:`` (plain text then reads as the literal pieces would); else "" (no crossing tried:
    a value's ``*`` or ``:`` would be read as a wildcard or a field separator)."""
    if "${" not in pattern:
        return pattern
    if ctx is None:
        return ""
    pieces = substitute(pattern, ctx)
    if any(lit and any(ch in p for ch in "*?:") for p, lit in pieces):
        return ""
    return "".join(p for p, _ in pieces)


@lru_cache(maxsize=65536)
def _var_arn_regs(pattern: str, items: tuple):
    """The segment regexes of an ARN pattern with its variables replaced from ``items`` ((key, value) for
    the variable keys that are in the context); None when a variable cannot be replaced. Raises
    :class:`MissingKey` for a key that is not in the context (lru_cache keeps no exception)."""
    ctx = {k: (list(v) if isinstance(v, tuple) else v) for k, v in items}
    try:
        pieces = substitute(pattern, ctx)
    except VariableNotReplaced:
        return None
    # rebuild a pattern where literal pieces are protected: split into segments by
    # walking pieces, so a ':' inside a substituted value stays inside its segment.
    segs: list[list[tuple[str, bool]]] = [[]]
    for piece, literal in pieces:
        if literal:
            segs[-1].append((piece, True))
            continue
        chunks = piece.split(":")
        for i, c in enumerate(chunks):
            if i:
                if len(segs) < 6:
                    segs.append([])
                else:
                    segs[-1].append((":", True))
            if c:
                segs[-1].append((c, False))
    return tuple(re.compile(_pieces_to_regex(s), re.DOTALL) for s in segs)


@lru_cache(maxsize=65536)
def _crossing_regex(pattern: str):
    """AWS: "If the * wildcard is the last character of a resource ARN segment, it can expand to match beyond
    the colon boundaries" (IAM User Guide, Resource element). The whole-ARN regex where such a ``*`` crosses
    colons; None when no segment of the first five ends with ``*`` (then segment matching said it all).

    Meaning: in the first five fields a ``*`` that ends its field is ``.*``, any other ``*`` is ``[^:]*`` and
    ``?`` is ``[^:]``; from the sixth field on ``*`` is ``.*`` and ``?`` is ``.``; the ``:`` are literal.
    Linear construction: the ``.*`` cut the pattern into blocks; each block but the last is placed where it
    ends earliest (``(?>.*?block)``, an atomic group), which is never worse since a ``.*`` follows. Inside a
    block the fields are bounded by the value's own colons (``[^:]`` cannot cross one), so a block placed at a
    given colon has one end, later colons give later ends, and within one field the ``[^:]*`` segments are
    placed leftmost like a plain glob's (:func:`_linear`)."""
    segs = pattern.split(":")
    if not any(seg.endswith("*") for seg in segs[:5]):
        return None
    blocks: list[list[str]] = [[]]
    for i, seg in enumerate(segs[:5]):
        if i:
            blocks[-1].append(":")
        crossing = seg.endswith("*")
        body = seg[:-1] if crossing else seg
        field = _split_stars(_glob_tokens([(body, False)], one="[^:]"))
        blocks[-1].append(_linear(field, gap="[^:]", min_end=crossing))
        if crossing:
            blocks.append([])
    if len(segs) > 5:
        rest = _split_stars(_glob_tokens([(":".join(segs[5:]), False)]))
        blocks[-1].append(":" + rest[0])
        blocks.extend([r] for r in rest[1:])
    parts = ["".join(b) for b in blocks]
    out = [f"(?>{parts[0]})"]
    out.extend(f"(?>.*?{p})" for p in parts[1:-1] if p)
    out.append(f".*{parts[-1]}")
    return re.compile("".join(out), re.DOTALL)
