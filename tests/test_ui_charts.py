"""ui/charts.py: the pages draw their Altair charts through ui.charts.draw, which skips the schema
check st.altair_chart runs on every rerun — and draws exactly what st.altair_chart would."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from closedloop import charts
from ui.charts import vega_lite_spec

ROOT = Path(__file__).resolve().parent.parent


def _paths(n: int = 40) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "path": [f"Paid search > Content {i}" for i in range(n)],
            "deals": np.arange(n) + 10,
            "won_deals": np.arange(n),
            "lost_deals": 10,
            "win_rate": np.arange(n) / (np.arange(n) + 10),
            "won_revenue_usd": np.arange(n) * 1000.0,
        }
    )


def _distribution() -> tuple[pd.DataFrame, pd.DataFrame]:
    boxes = pd.DataFrame(
        {
            "outcome": ["Won", "Lost"],
            "deals": [30, 20],
            **{c: [v, v + 1] for c, v in (("lower", 1), ("q1", 3), ("median", 5), ("q3", 8), ("upper", 12))},
        }
    )
    dots = pd.DataFrame(
        {"deal_name": [f"D{i}" for i in range(50)], "outcome": ["Won"] * 30 + ["Lost"] * 20, "touches": np.arange(50)}
    )
    return boxes, dots


# a bar chart with two layers, a box plot of four layers over two frames, a chart over more rows
# than Altair's default 5000-row limit: (builder, its arguments)
CHARTS = {
    "journey_paths": (charts.journey_paths, (_paths(), 10)),
    "journey_distribution": (charts.journey_distribution, (*_distribution(), "touches", "Touches", "Touches")),
    "6000_dots": (
        charts.journey_distribution,
        (
            _distribution()[0],
            pd.DataFrame({"deal_name": [f"D{i}" for i in range(6000)], "outcome": "Won", "touches": np.arange(6000)}),
            "touches",
            "Touches",
            "Touches",
        ),
    ),
}


@pytest.mark.parametrize("name", CHARTS)
def test_the_spec_without_validation_is_the_validated_spec(name: str) -> None:
    builder, args = CHARTS[name]
    chart = builder(*args)
    fast, validated = vega_lite_spec(chart), vega_lite_spec(chart, validate=True)
    frames, validated_frames = fast.pop("datasets"), validated.pop("datasets")
    assert fast == validated
    assert list(frames) == list(validated_frames) and len(frames) == 2
    for name_ in frames:
        pd.testing.assert_frame_equal(frames[name_], validated_frames[name_])
    assert "view" not in fast.get("config", {}), "Altair's default theme is off, as in st.altair_chart"


def test_no_view_calls_st_altair_chart() -> None:
    """st.altair_chart validates the whole spec on every rerun: views draw with ui.charts.draw."""
    calls = [
        f"{p.name}:{node.lineno}"
        for p in sorted((ROOT / "views").glob("*.py"))
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "altair_chart"
    ]
    assert calls == []


def _both(builder: str, width: str | None, height: int | str) -> None:
    """st.altair_chart and ui.charts.draw, one after the other, on the same chart (an AppTest script)."""
    import streamlit as st
    from test_ui_charts import CHARTS

    from ui.charts import draw

    build, args = CHARTS[builder]
    kwargs = {"height": height} if height != "content" else {}
    if width is None:  # Streamlit's choice, in a column
        left, right = st.columns(2)
        left.altair_chart(build(*args), **kwargs)
        draw(build, *args, where=right, width=None, **kwargs)
    else:
        st.altair_chart(build(*args), width=width, **kwargs)
        draw(build, *args, width=width, **kwargs)


def _drawn(proto: Any) -> Any:
    """A chart element as the browser gets it, its datasets' names (content hashes) numbered."""
    drawn = type(proto)()
    drawn.CopyFrom(proto)
    for i, dataset in enumerate(drawn.datasets):
        drawn.spec = drawn.spec.replace(dataset.name, f"dataset-{i}")
        dataset.name = f"dataset-{i}"
    return drawn


@pytest.mark.parametrize(
    ("builder", "width", "height"),
    [("journey_paths", "stretch", "content"), ("journey_distribution", None, 340), ("6000_dots", "stretch", "content")],
)
def test_draw_sends_what_st_altair_chart_sends(builder: str, width: str | None, height: int | str) -> None:
    at = AppTest.from_function(_both, args=(builder, width, height), default_timeout=60).run()
    assert not at.exception
    before, after = (_drawn(e.proto) for e in at.get("vega_lite_chart"))
    assert len(before.datasets) == 2
    assert after == before  # the spec (theme, sizes, legends, tooltips), the Arrow data, the theme setting


def test_a_rerun_with_the_same_frames_does_not_build_the_chart_again() -> None:
    from ui import charts as ui_charts

    ui_charts._spec.clear()
    built: list[int] = []

    def builder(paths: pd.DataFrame, top_n: int) -> object:
        built.append(top_n)
        return charts.journey_paths(paths, top_n)

    first = ui_charts._spec("test.builder", (_paths(), 5), {}, builder)
    again = ui_charts._spec("test.builder", (_paths(), 5), {}, builder)
    other = ui_charts._spec("test.builder", (_paths(), 6), {}, builder)
    assert built == [5, 6]
    assert list(again["datasets"]) == list(first["datasets"]) != list(other["datasets"])
    assert {k: v for k, v in again.items() if k != "datasets"} == {k: v for k, v in first.items() if k != "datasets"}
