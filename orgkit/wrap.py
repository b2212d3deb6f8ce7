"""Where a table cell may break across lines: free text at its spaces, identifiers only after a separator.

An account id, an ARN, an API or action name, a region, an OU path, a Terraform address is never broken inside a
token: ``arn:aws:iam::*:role/SecurityAdmin`` may break after a ``:`` or a ``/``, ``Root/Engineering/Dev`` after a
``/``, ``us-east-1`` after a ``-``, ``408053428601`` nowhere. Shared by the terminal tables (:mod:`orgkit.output`) and
the notebook tables (:mod:`orgkit.display`, which marks the same places with ``<wbr>``). Imports nothing from orgkit.
"""

from __future__ import annotations

import html
import re
import unicodedata

#: a line may break after one of these (and at a space, which the break consumes)
SEPARATORS = ":/-.,;="
#: header names may also break after an underscore (``est_monthly_usd``)
HEADER_SEPARATORS = SEPARATORS + "_"

_PIECES = {}


def _pieces_re(seps: str) -> re.Pattern:
    if seps not in _PIECES:
        s = re.escape(seps)
        # a run of spaces | a token up to and including its separators | a token without any
        _PIECES[seps] = re.compile(rf" +|[^ {s}]*[{s}]+|[^ {s}]+")
    return _PIECES[seps]


def visible(text: str) -> str:
    """``text`` with control and format characters (escape sequences, newlines, bidi overrides) written out as
    ``\\x1b``, ``\\n``, ``\\u202e``, so a value cannot move the cursor, colour the terminal or break a row."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch == " " or (ch.isprintable() and unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")):
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii") if ord(ch) < 0x10000 or ch == "\n"
                       else f"\\U{ord(ch):08x}")
    return "".join(out)


#: a break after a hyphen or a dot needs this many characters on either side (``us-east-1``, ``p-FullAWSAccess``,
#: ``0.5`` stay whole; ``security-insights`` may break)
SHORT = 3


def _core(stem: str) -> int:
    """The letters and digits of a part (quotes and brackets around ``"us-west-2"`` do not make ``"us`` a part)."""
    return sum(ch.isalnum() for ch in stem)


def pieces(text: str, seps: str = SEPARATORS) -> list[str]:
    """``text`` cut into the pieces a line may not break inside (tokens ending at a separator, and runs of spaces).
    After a ``-`` or ``.`` only between two parts of :data:`SHORT` characters or more."""
    out: list[list[str]] = []  # each piece as the raw pieces it joins (joined once at the end: linear time)
    last = ""  # the last raw piece's stem (a raw piece has separators only at its end)
    for p in _pieces_re(seps).findall(text):
        stem = p.rstrip(seps)
        if out and not p.startswith(" ") and out[-1][-1][-1] in "-." and not out[-1][0].startswith(" "):
            if _core(last) < SHORT or _core(stem) < SHORT:
                out[-1].append(p)
                last = stem
                continue
        out.append([p])
        last = stem
    return ["".join(x) for x in out]


def min_width(text: str, seps: str = SEPARATORS) -> int:
    """The narrowest column ``text`` fits in without a token broken: its longest piece."""
    return max((len(p) for p in pieces(text, seps) if not p.startswith(" ")), default=0)


#: ends a line where a token longer than the line was folded (``wrap(..., mark=FOLD)``): the only break inside a token
FOLD = "\u21a9"  # ↩


def wrap(text: str, width: int, seps: str = SEPARATORS, mark: str = "") -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken only at spaces (dropped at the break) and after
    separators (:func:`pieces`). A piece longer than ``width`` is folded by characters (the caller gives a column at
    least :func:`min_width`, so this only happens when asked for a narrower one), each folded line ending with
    ``mark`` (e.g. :data:`FOLD`; not a character of the text) when one is given; no character is ever lost."""
    width = max(1, width)
    step = max(1, width - len(mark))
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    cur = ""
    for p in pieces(text, seps):
        if p.startswith(" "):
            if cur and len(cur) + len(p) < width:
                cur += p
            elif cur:
                lines.append(cur)
                cur = ""
            continue
        if len(cur) + len(p) <= width:
            cur += p
            continue
        if cur.strip():
            lines.append(cur.rstrip(" "))
        cut = range(0, len(p), step if len(p) > width else width)
        lines.extend(p[i:i + step] + mark for i in cut[:-1])
        cur = p[cut[-1]:]
    if cur.strip() or not lines:
        lines.append(cur.rstrip(" ") if lines else cur)
    return lines


def html_breaks(text: str, seps: str = SEPARATORS) -> str:
    """``text`` HTML-escaped, with ``<wbr>`` (a break opportunity) after each separator inside a token, for a cell
    styled ``word-break: keep-all; overflow-wrap: normal``: the browser then breaks it at spaces and there only."""
    out = []
    for p in pieces(text, seps):
        if p.startswith(" ") or p[-1] not in seps:
            out.append(html.escape(p))
        else:
            out.append(html.escape(p) + "<wbr>")
    return "".join(out)
