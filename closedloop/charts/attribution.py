"""The Attribution page's charts: credit per key, the models' ranks side by side, the team split."""

from __future__ import annotations

import altair as alt
import pandas as pd

from closedloop.charts.base import (
    KEY_TOOLTIP,
    MEASURE_TITLES,
    RANK_TOOLTIP,
    _measure_axis,
    label,
    label_map,
    labels,
    rank_cells,
)


def attribution_bars(rollup: pd.DataFrame, column: str, title: str) -> alt.Chart:
    """The chosen model's credit per key, sorted; "No touchpoint" in grey at the bottom."""
    df = rollup[["key", column]].copy()
    df["key_label"] = labels(df["key"])
    df["kind"] = df["key"].eq("No touchpoint").map({True: "No touchpoint", False: "Credited"})
    order = df.sort_values(column, ascending=False, kind="stable")
    order = pd.concat([order[order["kind"] == "Credited"], order[order["kind"] != "Credited"]])
    fmt = "$,.0f" if column.endswith("_usd") else ",.1f"
    return (
        alt.Chart(df, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("key_label:N", sort=order["key_label"].tolist(), title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X(f"{column}:Q", title=MEASURE_TITLES[column], axis=_measure_axis(column)),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=["Credited", "No touchpoint"], range=["#1f77b4", "#9e9e9e"]),
                legend=None,
            ),
            tooltip=[
                KEY_TOOLTIP,
                alt.Tooltip(f"{column}:Q", title=MEASURE_TITLES[column], format=fmt),
            ],
        )
        .properties(height=alt.Step(22))
    )


def model_rank_heatmap(comparison: pd.DataFrame, labels: dict[str, str], column: str) -> alt.Chart:
    """Each key's rank under each model (1 = most credit); rows sorted by mean rank, so a key
    that changes colour across its row rises or falls depending on the model."""
    models = [m for m in labels if m in comparison.columns]
    df = comparison[comparison["key"] != "No touchpoint"]
    fmt = "$,.0f" if column.endswith("_usd") else ",.1f"
    key_labels = df["key"].map(label_map(df["key"]))
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "key_label": key_labels,
                    "model": labels[m],
                    "rank": df[f"rank_{m}"].astype(float),
                    "credit": df[m].astype(float),
                    "spread": df["rank_spread"].astype(float),
                }
            )
            for m in models
        ],
        ignore_index=True,
    )
    base = alt.Chart(long, title="Rank of each key under every model (1 = most credit)").encode(
        x=alt.X(
            "model:N",
            sort=[labels[m] for m in models],
            title=None,
            axis=alt.Axis(labelAngle=-35, labelLimit=200, labelOverlap=False),
        ),
        y=alt.Y("key_label:N", sort=key_labels.tolist(), title=None, axis=alt.Axis(labelLimit=260)),
    )
    tooltip = [
        KEY_TOOLTIP,
        alt.Tooltip("model:N", title="Model"),
        RANK_TOOLTIP,
        alt.Tooltip("credit:Q", title=MEASURE_TITLES[column], format=fmt),
        alt.Tooltip("spread:Q", title="Rank spread across models"),
    ]
    return rank_cells(base, tooltip, font_size=11).properties(height=alt.Step(24))


def team_split_bar(team_split: pd.DataFrame, column: str) -> alt.Chart:
    """Marketing vs sales (vs no touchpoint) share of the credit, one bar each."""
    df = team_split.copy()
    df["team_label"] = df["team"].map(lambda t: "No touchpoint" if t == "No touchpoint" else label(t))
    fmt = "$,.0f" if column.endswith("_usd") else ",.1f"
    return (
        alt.Chart(df, title="Marketing vs sales share of the credit")
        .mark_bar()
        .encode(
            y=alt.Y("team_label:N", sort=["Marketing", "Sales", "No touchpoint"], title=None),
            x=alt.X(
                "share:Q",
                title="Share of credit (%)",
                axis=alt.Axis(format="%", tickCount=5),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "team_label:N",
                legend=None,
                scale=alt.Scale(
                    domain=["Marketing", "Sales", "No touchpoint"], range=["#1f77b4", "#ff7f0e", "#9e9e9e"]
                ),
            ),
            tooltip=[
                alt.Tooltip("team_label:N", title="Team"),
                alt.Tooltip("share:Q", format=".1%"),
                alt.Tooltip(f"{column}:Q", title=MEASURE_TITLES[column], format=fmt),
            ],
        )
        .properties(height=alt.Step(30))
    )
