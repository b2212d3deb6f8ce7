"""How the notebooks and HTML reports show tables: the palette of the heatmaps on status cells, shares as
percentages, a missing value always shown as ``—``, cells HTML-escaped and broken only at spaces and after a
separator inside a token (:func:`cell_html`: region names, account ids, ARNs and OU paths stay whole), and
wide frames with the columns a reader needs first, the rest folded in a ``<details>`` block below.

:func:`style` makes one such table (a pandas Styler, stable across runs: fixed uuid); :func:`use_orgkit_tables`
makes every DataFrame a notebook cell returns display that way (text front ends keep pandas' plain text).
Imports no analysis: the words it colours are the palette's (:mod:`orgkit.palette`).
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterable, Sequence

import pandas as pd

from orgkit import palette, wrap
from orgkit import wrap as wrap_mod

MISSING = "—"
#: the class that keeps MathJax (JupyterLab typesets HTML outputs) off a name such as ``$\alpha$``: values are text
NO_MATH = "mathjax_ignore tex2jax_ignore"
#: the columns a reader looks at first in a wide frame (those present, in this order)
READ_FIRST = ["priority", "service", "name", "account_name", "region", "home_region", "kind", "status", "decision",
              "protected", "severity", "check", "state", "reason", "message", "account_id", "ou_path"]
MAX_ROWS = 200
#: the width (CSS px) a table may take: JupyterLab's output area at 1400x1000 with the file browser open is 968 px
#: wide (measured in chromium, tests/test_browser.py); a little is kept for borders and the folded block's margin
PAGE_PX = 930
#: padding and border of a cell (JupyterLab: 0.5em each side of 13px text, 1px border)
CELL_PAD_PX = 14
#: advance widths (px) of printable ASCII (32..126) in 13px DejaVu Sans, regular and bold (the widest of the common
#: sans fonts browsers fall back to, so an estimate from them errs on the wide side); other characters count as 13 px
_ADV = [4.1, 5.2, 6.0, 10.9, 8.3, 12.4, 10.1, 3.6, 5.1, 5.1, 6.5, 10.9, 4.1, 4.7, 4.1, 4.4] + [8.3] * 10 + [
    4.4, 4.4, 10.9, 10.9, 10.9, 6.9, 13.0, 8.9, 8.9, 9.1, 10.0, 8.2, 7.5, 10.1, 9.8, 3.8, 3.8, 8.5, 7.2, 11.2, 9.7,
    10.2, 7.8, 10.2, 9.0, 8.3, 7.9, 9.5, 8.9, 12.9, 8.9, 7.9, 8.9, 5.1, 4.4, 5.1, 10.9, 6.5, 6.5, 8.0, 8.3, 7.1, 8.3,
    8.0, 4.6, 8.3, 8.2, 3.6, 3.6, 7.5, 3.6, 12.7, 8.2, 8.0, 8.3, 8.3, 5.3, 6.8, 5.1, 8.2, 7.7, 10.6, 7.7, 7.7, 6.8,
    8.3, 4.4, 8.3, 10.9]
_ADV_BOLD = [4.5, 5.9, 6.8, 10.9, 9.0, 13.0, 11.3, 4.0, 5.9, 5.9, 6.8, 10.9, 4.9, 5.4, 4.9, 4.7] + [9.0] * 10 + [
    5.2, 5.2, 10.9, 10.9, 10.9, 7.5, 13.0, 10.1, 9.9, 9.5, 10.8, 8.9, 8.9, 10.7, 10.9, 4.8, 4.8, 10.1, 8.3, 12.9,
    10.9, 11.1, 9.5, 11.1, 10.0, 9.4, 8.9, 10.6, 10.1, 14.3, 10.0, 9.4, 9.4, 5.9, 4.7, 5.9, 10.9, 6.5, 6.5, 8.8, 9.3,
    7.7, 9.3, 8.8, 5.7, 9.3, 9.3, 4.5, 4.5, 8.6, 4.5, 13.5, 9.3, 8.9, 9.3, 9.3, 6.4, 7.7, 6.2, 9.3, 8.5, 12.0, 8.4,
    8.5, 7.6, 9.3, 4.7, 9.3, 10.9]
#: a column is given about this much room when its text can wrap (it may take less: the browser wraps it)
COMFORT_PX = 170
#: the CSS min-width of prose, token and wrapped columns (see :func:`style`), in px of 13px text
_PROSE_MIN_PX, _TOKEN_MIN_PX, _WRAP_MIN_PX = 12 * 13, 10 * 13, 14 * 13
#: the columns that name a row, repeated beside the folded columns so each folded row can be read
_ROW_NAMES = ("#", "step", "name", "account_name", "account_id", "policy_name", "service", "kind", "ou_path",
              "region", "action")
_NOWRAP = ("region", "account_id", "home_region", "administrator_id", "status", "decision", "state")
_BREAK_ANYWHERE = ("arn", "source", "trails", "listed_by", "parameters", "params", "bucket", "address")
#: float columns with these words in their name are shares of 1, shown as percentages
_SHARES = ("share", "watched", "fraction", "ratio")
_PROSE = {"reason", "message", "why", "checked by", "expected"}
_TIER_FILL = {"good": palette.STATUS_COLOURS["covered"], "warn": palette.STATUS_COLOURS["partial"],
              "bad": palette.STATUS_COLOURS["not_logging"], "unknown": palette.STATUS_COLOURS["unknown"],
              "na": palette.STATUS_COLOURS["not_applicable"]}


def cell_css(value) -> str:
    """The CSS of a cell holding a status word: the palette's fill (or its tier's) and readable text."""
    if not isinstance(value, str):
        return ""
    fill = palette.STATUS_COLOURS.get(value) or _TIER_FILL.get(palette.TIERS.get(value, ""))
    return f"background-color: {fill}; color: {palette.text_colour(fill)}" if fill else ""


def _status_columns(df: pd.DataFrame) -> list:
    """Columns whose values are all status words (coverage, SCP decisions, step states...)."""
    known = set(palette.STATUS_COLOURS) | set(palette.TIERS)
    out = []
    for c in df.columns:
        s = df[c]
        if s.dtype == bool or not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)
                                   or isinstance(s.dtype, pd.CategoricalDtype)):
            continue
        vals = s.dropna()
        if len(vals) and vals.map(lambda v: isinstance(v, str) and v in known).all():
            out.append(c)
    return out


def text_px(text: str, bold: bool = False) -> float:
    """About how wide ``text`` is in 13px text (CSS px): an upper estimate from the widest common sans font."""
    adv = _ADV_BOLD if bold else _ADV
    return sum(adv[o - 32] if 32 <= (o := ord(ch)) <= 126 else 13.0 for ch in text)


def _label(c) -> str:
    return " ".join(map(str, c)) if isinstance(c, tuple) else str(c)


def _nowrap_column(c) -> bool:
    return _label(c) in _NOWRAP or _label(c).endswith("region")


def column_px(df: pd.DataFrame, c, wrap: Iterable[str] = ()) -> tuple[float, float]:
    """The narrowest width (CSS px, padding included) column ``c`` can take without a token broken or its header
    broken inside a word (headers break at spaces and after ``_``; cells as :func:`cell_html` lets them), and the
    width it is given to be comfortable to read (its typical long cell, up to :data:`COMFORT_PX` when it can wrap)."""
    label = _label(c)
    narrow = max((text_px(p, bold=True) for p in wrap_mod.pieces(label, wrap_mod.HEADER_SEPARATORS)
                  if not p.startswith(" ")), default=0.0)
    texts = [wrap_mod.visible(_fmt(v)) for v in df[c].head(MAX_ROWS)]
    whole = [text_px(t) for t in texts]
    if _nowrap_column(c):
        narrow = max([narrow] + whole)
    else:
        narrow = max([narrow] + [max((text_px(p) for p in wrap_mod.pieces(t) if not p.startswith(" ")), default=0.0)
                                 for t in texts])
    if label in _PROSE:
        narrow = max(narrow, _PROSE_MIN_PX)
    elif c in wrap:
        narrow = max(narrow, _WRAP_MIN_PX)
    elif any(k in label for k in _BREAK_ANYWHERE):
        narrow = max(narrow, _TOKEN_MIN_PX)
    typical = float(pd.Series(whole, dtype=float).quantile(0.9)) if whole else 0.0
    comfort = max(narrow, min(typical, COMFORT_PX))  # a long header breaks after its ``_``
    return narrow + CELL_PAD_PX, comfort + CELL_PAD_PX


def _index_px(df: pd.DataFrame) -> float:
    if isinstance(df.index, pd.RangeIndex) and df.index.name is None:
        return 0.0
    total = 0.0
    for level in range(df.index.nlevels):
        values = df.index.get_level_values(level)[:MAX_ROWS]
        name = df.index.names[level]
        total += max([text_px(str(name or ""), bold=True)] + [text_px(wrap_mod.visible(_fmt(v)), bold=True)
                                                               for v in values]) + CELL_PAD_PX
    return total


def fit_columns(df: pd.DataFrame, order: Sequence, wrap: Iterable[str] = (), budget: float = PAGE_PX,
                keys: Iterable = ()) -> list:
    """The columns of ``order`` (most wanted first) that fit ``budget`` px across together beside the row labels:
    a ``keys`` column counted at its narrowest width (the browser narrows it, wrapping its text), any other at its
    comfortable one (:func:`column_px`). A column that does not fit is skipped, a narrower one after it may still
    fit. At least the first column is kept. Since no column is counted below its narrowest width, the kept ones
    never need more than ``budget``."""
    wrap, keys = list(wrap), set(keys)
    used = _index_px(df)
    keep = []
    for c in order:
        narrow, comfort = column_px(df, c, wrap)
        w = narrow if c in keys else comfort
        if not keep or used + w <= budget:
            keep.append(c)
            used += w
    return keep


def _chunks(df: pd.DataFrame, names: list, rest: list, wrap: Iterable[str], budget: float = PAGE_PX) -> list[list]:
    """``rest`` in groups that each fit beside the ``names`` columns (in their order; a column wider than the page
    alone gets a group of its own)."""
    wrap = list(wrap)
    base = _index_px(df) + sum(column_px(df, c, wrap)[1] for c in names)
    groups: list[list] = []
    used = budget + 1
    for c in rest:
        w = column_px(df, c, wrap)[1]
        if groups and used + w <= budget:
            groups[-1].append(c)
            used += w
        else:
            groups.append([c])
            used = base + w
    return groups


def _unique(df: pd.DataFrame) -> pd.DataFrame:
    """A frame a Styler can colour: row labels made unique (an unnamed repeated index, e.g. after ``explode``, is
    dropped; a named one becomes a column)."""
    if df.index.is_unique:
        return df
    if all(n is None for n in df.index.names):
        return df.reset_index(drop=True)
    return df.reset_index()


def _uuid(df: pd.DataFrame, prefix: str = "ok") -> str:
    # from the content: the same table gets the same id on every run, two tables of one page never share one
    key = "|".join(map(str, df.columns)) + f"|{len(df)}|" + df.head(MAX_ROWS).to_csv()
    return f"{prefix}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"


def text(value) -> str:
    """``value`` as HTML text: ``& < > " '`` escaped, so a name such as ``<script>`` is shown, never run."""
    return html.escape(str(value))


def escape_labels(s):
    """A Styler whose row and column labels, and the names of its index and columns, are escaped as text (its cells
    are the caller's formatter's: pass ``escape="html"`` or format with :func:`text`)."""
    s = s.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    if hasattr(s, "format_index_names"):  # pandas >= 3.0
        return s.format_index_names(escape="html", axis=0).format_index_names(escape="html", axis=1)
    # earlier pandas writes the names as they are: escape them in the Styler's own copy of the frame
    for axis in ("index", "columns"):
        idx = getattr(s.data, axis)
        if any(n is not None for n in idx.names):
            setattr(s.data, axis, idx.set_names([None if n is None else text(n) for n in idx.names]))
    return s


def _fmt(v) -> str:
    if isinstance(v, (list, tuple, set)):
        return ", ".join(map(str, v)) if len(v) else MISSING
    if isinstance(v, dict):
        return ", ".join(f"{k}: {x}" for k, x in v.items()) if v else MISSING
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, str) and v == "":
        return MISSING
    try:
        if pd.isna(v):
            return MISSING
    except (TypeError, ValueError):
        pass
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v):,}"
    return str(v)


#: the class of a piece of text the browser must not break inside (see :func:`cell_html`)
_TOKEN = "ok-tok"


def cell_html(v) -> str:
    """A cell's text as HTML (escaped with ``html.escape``), breakable only where the terminal tables break it
    (:mod:`orgkit.wrap`): at spaces and, through ``<wbr>``, after a separator inside a token. A piece with a
    character a browser would otherwise break at (``-``, ``/``, ...) is held in a ``white-space: nowrap`` span, so
    ``us-east-1``, ``p-FullAWSAccess`` and ``408053428601`` stay whole. Control characters are shown, not obeyed."""
    text = wrap.visible(_fmt(v))
    out = []
    for piece in wrap.pieces(text):
        if piece.startswith(" "):
            out.append(html.escape(piece))
            continue
        body = html.escape(piece)
        if not piece.rstrip(wrap.SEPARATORS).isalnum() and len(piece) > 1:
            body = f'<span class="{_TOKEN}">{body}</span>'
        out.append(body + ("<wbr>" if piece[-1] in wrap.SEPARATORS else ""))
    return "".join(out)


def header_html(v) -> str:
    """A column label as HTML: escaped, breakable at its spaces and after ``_`` or a separator (``est_monthly_usd``
    may break as ``est_`` / ``monthly_usd``; a word is never cut)."""
    out = []
    for piece in wrap_mod.pieces(wrap_mod.visible(str(v)), wrap_mod.HEADER_SEPARATORS):
        out.append(html.escape(piece) + ("<wbr>" if piece[-1] in wrap_mod.HEADER_SEPARATORS else ""))
    return "".join(out)


def style(df: pd.DataFrame, *, uuid: str | None = None, caption: str | None = None, wrap: Iterable[str] = ()):
    """``df`` as a stable Styler: no index unless it carries names, status cells in the palette, shares (columns
    named ``*share*``) as percentages, missing values as ``—``, text left-aligned, region/id columns unbroken and
    the ``wrap`` columns wrapped."""
    df = _unique(df)
    default_index = isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1 \
        and df.index.name is None
    s = df.style.set_uuid(uuid or _uuid(df)).set_table_attributes(f'class="{NO_MATH}"')
    if default_index:
        s = s.hide(axis="index")
    s = s.set_table_styles([{"selector": "th", "props": [("text-align", "left"), ("vertical-align", "bottom")]},
                            {"selector": f"span.{_TOKEN}", "props": [("white-space", "nowrap")]},
                            {"selector": "th.row_heading", "props": [("white-space", "nowrap"),
                                                                     ("vertical-align", "top")]}],
                           overwrite=False)
    # a column named after a status (counts per status) wears the status's colour on its header
    if any(str(c) in palette.STATUS_COLOURS for c in df.columns):
        s = s.map_index(lambda c: cell_css(str(c)), axis="columns")
    fmt = {}
    for c in df.columns:
        if any(k in str(c) for k in _SHARES) and pd.api.types.is_float_dtype(df[c]):
            fmt[c] = lambda v: MISSING if pd.isna(v) else f"{v:.0%}"
        else:
            fmt[c] = cell_html  # every value is text (escaped): names, tags and policies may be hostile
    s = s.format(fmt, na_rep=MISSING)
    s = escape_labels(s)
    s = s.format_index(header_html, axis="columns", escape=None)
    s = s.set_properties(**{"text-align": "left", "vertical-align": "top"})
    status = _status_columns(df)
    if status:
        s = s.map(cell_css, subset=status)
    nowrap = [c for c in df.columns if str(c) in _NOWRAP or str(c).endswith("region")]
    if nowrap:
        s = s.set_properties(subset=nowrap, **{"white-space": "nowrap"})
    # long tokens without spaces (ARNs, paths, parameters) break after their separators only (cell_html)
    tokens = [c for c in df.columns if c not in nowrap and any(k in str(c) for k in _BREAK_ANYWHERE)]
    if tokens:
        s = s.set_properties(subset=tokens, **{"min-width": "10em"})
    prose = [c for c in df.columns if str(c) in _PROSE]
    if prose:
        s = s.set_properties(subset=prose, **{"min-width": "12em"})
    wrap = [c for c in wrap if c in df.columns]
    if wrap:
        s = s.set_properties(subset=wrap, **{"white-space": "pre-wrap", "min-width": "14em"})
    if caption:
        s = s.set_caption(text(caption))
    return s


class Table:
    """A frame as the reader sees it first: the columns it needs first (``first``, then ``columns`` in that order,
    else :data:`READ_FIRST`, then the others) as many as fit the notebook's output area (:func:`fit_columns`), every row
    up to :data:`MAX_ROWS`; the columns left out are named, folded below in tables that fit too (each beside the
    columns that name its rows), and all are in ``.df``. Plain text for text front ends."""

    def __init__(self, df: pd.DataFrame, columns: Sequence | None = None, uuid: str | None = None,
                 wrap: Iterable[str] = (), caption: str | None = None, budget: float = PAGE_PX,
                 first: Sequence = ()):
        df = _unique(df)
        self.df, self.wrap, self.caption, self.budget = df, list(wrap), caption, budget
        cols = list(df.columns)
        head = df.head(MAX_ROWS)
        if columns is not None:
            # ``first`` (else those of :data:`READ_FIRST`) are kept before the others; shown in the order of ``columns``
            shown = [c for c in columns if c in cols]
            first = [c for c in first if c in shown] or [c for c in shown if _label(c) in READ_FIRST]
            order = first + [c for c in shown if c not in first] + [c for c in cols if c not in shown]
        else:
            # the columns a reader needs first, then the others in their order (long lists are details: last)
            lists = {c for c in cols if head[c].map(lambda v: isinstance(v, (list, tuple, dict))).any()}
            first = [c for name in READ_FIRST for c in cols if _label(c) == name]
            order = first + [c for c in cols if c not in first and c not in lists] + \
                [c for c in cols if c not in first and c in lists]
        keep = fit_columns(head, order, self.wrap, budget, keys=first)
        # shown in the order asked for (``columns``), else the frame's own
        self.columns = [c for c in columns if c in keep] if columns is not None else [c for c in cols if c in keep]
        #: the columns left out of the first table (folded below)
        self.folded = [c for c in order if c not in keep]
        self.uuid = uuid or _uuid(df)

    def _repr_html_(self) -> str:
        df = self.df
        more = ""
        if len(df) > MAX_ROWS:
            more = f"<p><i>first {MAX_ROWS} of {len(df)} rows</i></p>"
            df = df.head(MAX_ROWS)
        main = style(df[self.columns], uuid=self.uuid, wrap=self.wrap, caption=self.caption).to_html()
        folded = ""
        if self.folded:
            names = [c for c in self.columns if _label(c) in _ROW_NAMES]
            names = fit_columns(df, names, self.wrap, self.budget / 2)[:2] if names else []
            parts = []
            for i, group in enumerate(_chunks(df, names, self.folded, self.wrap, self.budget)):
                parts.append(style(df[names + group], uuid=f"{self.uuid}-more{i}", wrap=self.wrap).to_html())
            listed = html.escape(", ".join(map(_label, self.folded)))
            folded = (f"<details><summary>left out above: {listed} (open to see them; all columns are in .df "
                      f"and the CSV)</summary>{''.join(parts)}</details>")
        keys = html.escape(json.dumps([wrap_mod.visible(_label(c)) for c in self.columns]), quote=True)
        return f'<div class="{NO_MATH} ok-table" data-columns="{keys}">{main}{more}{folded}</div>'

    to_html = _repr_html_

    @property
    def data(self) -> pd.DataFrame:
        """The whole frame (as a pandas Styler names it)."""
        return self.df

    def __repr__(self) -> str:
        return repr(self.df)


def use_orgkit_tables(ip=None) -> None:
    """Show every DataFrame a cell returns as a :class:`Table` (HTML only; the plain text is pandas' own)."""
    if ip is None:
        from IPython import get_ipython

        ip = get_ipython()
    if ip is None:
        return
    ip.display_formatter.formatters["text/html"].for_type(pd.DataFrame, lambda df: Table(df)._repr_html_())
