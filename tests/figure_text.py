"""Text of a matplotlib figure as a reader sees it in a notebook: font sizes at the size the image is displayed, and
labels that overlap. Used by tests/test_figure_text.py."""

from __future__ import annotations

import io

from matplotlib.text import Text

#: the width (CSS px) of JupyterLab's output area at 1400x1000 with the file browser open (tests/test_browser.py)
DISPLAY_PX = 968
MIN_PT = 8.0


def _texts(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()  # lays out (constrained layout) and gives the renderer
    renderer = fig.canvas.get_renderer()
    out = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip() or t.axes is None and t.figure is None:
            continue
        bb = t.get_window_extent(renderer)
        if bb.width <= 0 or bb.height <= 0:
            continue
        out.append((t, bb))
    return out


def displayed_scale(fig) -> float:
    """How much the notebook shrinks the figure's image: the inline PNG (``bbox_inches="tight"``, at the figure's
    dpi) is drawn at most :data:`DISPLAY_PX` wide; a point is ``dpi/72`` px of that image."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    import struct

    width = struct.unpack(">I", buf.getvalue()[16:20])[0]
    shown = min(width, DISPLAY_PX)
    # a CSS px is 1/96 in, a pt 1/72 in: a size of s pt in an image of dpi d drawn at scale k measures s*d/72*k px,
    # which reads as (s*d/72*k) * 72/96 pt
    return shown / width * fig.dpi / 96


def small_text(fig, min_pt: float = MIN_PT) -> list[tuple[str, float]]:
    """The labels smaller than ``min_pt`` as displayed (text, displayed size in pt)."""
    k = displayed_scale(fig)
    return [(t.get_text(), round(t.get_fontsize() * k, 1)) for t, _ in _texts(fig)
            if t.get_fontsize() * k < min_pt - 1e-6]


def overlaps(fig, pad: float = 0.0) -> list[tuple[str, str]]:
    """Pairs of labels whose drawn extents intersect (sweep over x: fine for a few thousand labels)."""
    items = sorted(_texts(fig), key=lambda tb: tb[1].x0)
    out = []
    active: list = []
    for t, bb in items:
        active = [(u, ub) for u, ub in active if ub.x1 > bb.x0 + pad]
        for u, ub in active:
            if ub.y0 < bb.y1 - pad and bb.y0 < ub.y1 - pad and ub.x0 < bb.x1 - pad:
                out.append((u.get_text(), t.get_text()))
        active.append((t, bb))
    return out
