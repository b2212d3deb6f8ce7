"""The coverage heatmap: a Figure, accounts grouped by OU, fixed colours, a legend of the statuses present."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from matplotlib.colors import to_hex  # noqa: E402

from orgkit.plots import STATUS_COLOURS, coverage_heatmap  # noqa: E402


def frame():
    rows = []
    for aid, name, ou in [("000000000003", "b", "Root/Z"), ("000000000001", "a", "Root/A"),
                          ("000000000002", "c", "Root/A")]:
        for reg, st in [("us-east-1", "covered"), ("eu-west-1", "none" if aid.endswith("3") else "unknown")]:
            rows.append({"account_id": aid, "account_name": name, "ou_path": ou, "region": reg, "status": st})
    return pd.DataFrame(rows)


def test_heatmap_figure():
    fig = coverage_heatmap(frame(), "CloudTrail")
    ax = fig.axes[0]
    assert ax.get_title() == "CloudTrail"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["a (000000000001)", "c (000000000002)", "b (000000000003)"]  # grouped by OU, then name
    assert [t.get_text() for t in ax.get_xticklabels()] == ["us-east-1", "eu-west-1"]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["covered", "none", "unknown"]
    colours = [to_hex(h.get_facecolor()) for h in legend.legend_handles]
    assert colours == [STATUS_COLOURS[s] for s in ("covered", "none", "unknown")]
    img = ax.get_images()[0].get_array()
    assert img.shape == (3, 2)
    assert np.asarray(img)[2, 1] == 1  # b / eu-west-1 is "none", the second status
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    assert canvas.buffer_rgba().shape[0] > 100


def test_heatmap_needs_columns():
    with pytest.raises(ValueError):
        coverage_heatmap(pd.DataFrame({"account_id": []}))


def test_heatmap_of_no_rows():
    fig = coverage_heatmap(frame().iloc[0:0], "empty")
    assert fig.axes[0].texts[0].get_text() == "no rows"


def test_not_delivering_has_its_own_colour_in_the_legend():
    df = frame()
    df.loc[df["account_id"] == "000000000001", "status"] = "not_delivering"
    fig = coverage_heatmap(df, "CloudTrail")
    legend = fig.axes[0].get_legend()
    names = [t.get_text() for t in legend.get_texts()]
    assert "not_delivering" in names
    colours = dict(zip(names, (to_hex(h.get_facecolor()) for h in legend.legend_handles)))
    assert colours["not_delivering"] == STATUS_COLOURS["not_delivering"]
    # distinguishable from every CloudTrail status (and from the colour of an unknown word)
    others = {STATUS_COLOURS[s] for s in ("covered", "partial", "not_logging", "none", "unknown", "not_applicable")}
    assert STATUS_COLOURS["not_delivering"] not in others | {"#7b3294"}
