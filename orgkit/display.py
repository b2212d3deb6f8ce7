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
from collections.abc import Iterable, Sequence

import pandas as pd

from orgkit import palette, wrap

MISSING = "—"
#: the class that keeps MathJax (JupyterLab typesets HTML outputs) off a name such as ``$\alpha$``: values are text
NO_MATH = "mathjax_ignore tex2jax_ignore"
#: the columns a reader looks at first in a wide frame (those present, in this order)
READ_FIRST = ["priority", "service", "name", "account_name", "account_id", "ou_path", "region", "home_region",
              "kind", "status", "decision", "protected", "severity", "check", "state", "reason", "message"]
#: beyond this many columns, a frame shows :data:`READ_FIRST` and folds the rest
MAX_COLUMNS = 9
MAX_ROWS = 200
#: about how many characters of 14px text a notebook page holds across
PAGE_CHARS = 160
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


def _width(df: pd.DataFrame, cols) -> int:
    """Estimated characters across for ``cols``: header or typical long cell (capped: long cells wrap), plus padding."""
    total = 0
    for c in cols:
        text = [_fmt(v) for v in df[c].head(MAX_ROWS)]
        cells = pd.Series([len(t) for t in text], dtype=float)
        cap = 18 if any(" " in t for t in text) else 28  # prose wraps at its spaces; tokens need more room
        total += max(len(str(c)), min(int(cells.quantile(0.9)) if len(cells) else 0, cap)) + 3
    return total


def _index_width(df: pd.DataFrame) -> int:
    if isinstance(df.index, pd.RangeIndex):
        return 0
    return max([len(str(n or "")) for n in df.index.names] + [len(str(v)) for v in df.index[:MAX_ROWS]]) + 3


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
        s = s.set_properties(subset=tokens, **{"min-width": "12em"})
    prose = [c for c in df.columns if str(c) in _PROSE]
    if prose:
        s = s.set_properties(subset=prose, **{"min-width": "16em"})
    wrap = [c for c in wrap if c in df.columns]
    if wrap:
        s = s.set_properties(subset=wrap, **{"white-space": "pre-wrap", "min-width": "18em"})
    if caption:
        s = s.set_caption(text(caption))
    return s


class Table:
    """A frame as the reader sees it first (:data:`READ_FIRST` columns of a wide frame, every row up to
    :data:`MAX_ROWS`), with the full frame folded below; plain text for text front ends."""

    def __init__(self, df: pd.DataFrame, columns: Sequence | None = None, uuid: str | None = None,
                 wrap: Iterable[str] = ()):
        df = _unique(df)
        self.df, self.wrap = df, list(wrap)
        cols = list(df.columns)
        if columns is None and (len(cols) > MAX_COLUMNS or _width(df, cols) > PAGE_CHARS):
            # the columns a reader needs first, then the other short ones (in their order) while the table fits a
            # page; long details (lists, ARNs, JSON) and what does not fit fold below
            first = set(READ_FIRST) & set(map(str, cols))
            used = _width(df, [c for c in cols if str(c) in first]) + _index_width(df)
            keep = set(first)
            lists = {c for c in cols if df[c].head(MAX_ROWS).map(lambda v: isinstance(v, (list, tuple, dict))).any()}
            for c in [c for c in cols if c not in lists] + [c for c in cols if c in lists]:  # lists are details
                if str(c) in first:
                    continue
                w = _width(df, [c])
                lengths = [len(_fmt(v)) for v in df[c].head(MAX_ROWS)]
                typical = float(pd.Series(lengths, dtype=float).median()) if lengths else 0.0
                if typical <= 36 and used + w <= PAGE_CHARS:
                    keep.add(str(c))
                    used += w
            columns = [c for c in cols if str(c) in keep]
        self.columns = list(columns) if columns is not None else cols
        self.uuid = uuid or _uuid(df)

    def _repr_html_(self) -> str:
        df = self.df
        more = ""
        if len(df) > MAX_ROWS:
            more = f"<p><i>first {MAX_ROWS} of {len(df)} rows</i></p>"
            df = df.head(MAX_ROWS)
        main = style(df[self.columns], uuid=self.uuid, wrap=self.wrap).to_html()
        folded = ""
        rest = [c for c in df.columns if c not in self.columns]
        if rest:
            full = style(df, uuid=self.uuid + "-all", wrap=self.wrap).to_html()
            folded = (f"<details><summary>{len(rest)} more column(s): {html.escape(', '.join(map(str, rest)))}"
                      f"</summary>{full}</details>")
        return f'<div class="{NO_MATH}">{main}{more}{folded}</div>'

    to_html = _repr_html_

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
