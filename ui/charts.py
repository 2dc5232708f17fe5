"""Drawing the charts of closedloop.charts without building and validating them on every rerun.

st.altair_chart converts a chart with chart.to_dict(), which checks the whole spec against
Vega-Lite's JSON schema (jsonschema) each time the chart is drawn; for charts the code builds the
same way every time, that check finds nothing new. Here:
 - vega_lite_spec converts a chart as Streamlit does (Altair's "none" theme in place of its default
   one, each data frame a named dataset sent as Arrow, no 5000-row limit) with validate=False;
 - draw caches that spec per builder and arguments (st.cache_data), so a rerun on the page's cached
   frames neither builds the Altair objects nor converts them, and draws it with st.vega_lite_chart.
Both, because both count. Cached reruns on a 100,000-deal sample (AppTest, median of 5, seconds,
Journeys / Touchpoint lift / Deal explorer): st.altair_chart 0.21 / 0.12 / 0.13; validate=False
alone 0.14 / 0.10 / 0.09; the cached spec 0.07 / 0.03 / 0.04 (docs/performance.md).
tests/test_ui_charts.py checks that draw sends what st.altair_chart sends (spec, data, theme),
that the spec is the validated one, and that no view calls st.altair_chart itself.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

# Altair's theme and data transformer are settings of the whole process: convert one chart at a time
_altair_settings = threading.Lock()
_TRANSFORMER = "closedloop_named_frames"


def _dataset_name(df: pd.DataFrame) -> str:
    """A name from the frame's content (its columns, types and values), the same on every rerun."""
    h = hashlib.sha256(repr([(str(c), str(t)) for c, t in df.dtypes.items()]).encode())
    try:
        h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    except TypeError:  # unhashable cells (lists, dicts)
        h.update(df.to_json(orient="split", date_format="iso").encode())
    return h.hexdigest()[:32]


def _named_frames(data: Any, datasets: dict[str, Any]) -> Any:
    """Altair data transformer: a data frame becomes {"name": ...}, the frame kept in `datasets`
    (st.vega_lite_chart sends it as Arrow, as st.altair_chart does); other data as Altair's default."""
    if not isinstance(data, pd.DataFrame):
        return alt.to_values(data)
    name = _dataset_name(data)
    datasets[name] = data
    return {"name": name}


alt.data_transformers.register(_TRANSFORMER, _named_frames)


def vega_lite_spec(chart: alt.TopLevelMixin, *, validate: bool = False) -> dict[str, Any]:
    """The Vega-Lite spec st.altair_chart would draw for `chart`, checked against the schema only if `validate`."""
    datasets: dict[str, Any] = {}
    with _altair_settings:
        theme = alt.theme.enable("none") if alt.theme.active == "default" else nullcontext()
        with theme, alt.data_transformers.enable(_TRANSFORMER, datasets=datasets):
            spec = chart.to_dict(validate=validate)
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


@st.cache_data(show_spinner=False, max_entries=256)
def _spec(qualname: str, args: tuple[Any, ...], kwargs: dict[str, Any], _builder: Callable[..., Any]) -> dict[str, Any]:
    # keyed by the builder's qualified name and its arguments (st.cache_data does not hash `_builder`,
    # as ui.common._call): a rerun with the same frames gets the spec without building the chart.
    # A builder's code edited while the app runs shows after a restart or "Clear cache", as there.
    return vega_lite_spec(_builder(*args, **kwargs))


def draw(
    builder: Callable[..., alt.TopLevelMixin],
    *args: Any,
    where: Any = st,
    width: Any = "stretch",
    height: Any = "content",
    **kwargs: Any,
) -> None:
    """Draw builder(*args, **kwargs) (a closedloop.charts builder) in `where` (st, a column, a tab)
    as where.altair_chart(chart, width=, height=) would; width=None lets Streamlit choose, as there."""
    spec = _spec(f"{builder.__module__}.{builder.__qualname__}", args, kwargs, builder)
    where.vega_lite_chart(spec, width=width, height=height, theme="streamlit")
