"""The spend and return charts (issue 14; closedloop/engine/spend.py): a spend measure per key,
credit over time, and each key's rank per quarter under every model (the Attribution page's spend
section and the pack)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from closedloop.charts.base import KEY_TOOLTIP, MEASURE_TITLES, RANK_TOOLTIP, label, labels, rank_cells

SPEND_TITLES = {
    "roas": "ROAS (attributed won revenue ÷ spend)",
    "cac_usd": "Cost per won deal, CAC (USD)",
    "cost_per_opportunity_usd": "Cost per opportunity (USD)",
    "cost_per_lead_usd": "Cost per lead (USD)",
    "pipeline_per_spend": "Attributed pipeline ÷ spend",
    "spend_usd": "Spend (USD)",
}


def spend_return_bars(report: pd.DataFrame, column: str, title: str) -> alt.Chart:
    """One measure of the spend report per key with spend, sorted best first (ROAS and pipeline ÷
    spend: highest; costs: lowest); ROAS bars below 1 (spend not earned back) in red, with a rule
    at 1."""
    df = report[report["spend_usd"] > 0][["key", column, "spend_usd"]].dropna(subset=[column]).copy()
    df["key_label"] = labels(df["key"])
    money = column.endswith("_usd")
    ratio = column in ("roas", "pipeline_per_spend")
    df = df.sort_values(column, ascending=not ratio, kind="stable")
    df["verdict"] = np.where(df[column] >= 1, "Earns back its spend", "Below its spend") if ratio else "Cost"
    fmt = "$,.0f" if money else ".2f"
    bars = (
        alt.Chart(df, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("key_label:N", sort=df["key_label"].tolist(), title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X(f"{column}:Q", title=SPEND_TITLES[column], axis=alt.Axis(format="$,.2s" if money else ".1f")),
            color=alt.Color(
                "verdict:N",
                scale=alt.Scale(domain=["Earns back its spend", "Below its spend"], range=["#2e7d32", "#c62828"])
                if ratio
                else alt.Scale(domain=["Cost"], range=["#1f77b4"]),
                legend=alt.Legend(title=None, orient="bottom") if ratio else None,
            ),
            tooltip=[
                KEY_TOOLTIP,
                alt.Tooltip(f"{column}:Q", title=SPEND_TITLES[column], format=fmt),
                alt.Tooltip("spend_usd:Q", title="Spend (USD)", format="$,.0f"),
            ],
        )
    )
    if ratio:
        rule = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 3], color="#444").encode(x="x:Q")
        return (bars + rule).properties(height=alt.Step(22))
    return bars.properties(height=alt.Step(22))


def credit_trend(over_time: pd.DataFrame, column: str, grain: str, title: str, top_n: int = 8) -> alt.Chart:
    """A measure per period as one line per key (the top_n keys by total, the rest summed as
    "Other")."""
    df = over_time[["period", "key", column]].dropna(subset=[column]).copy()
    totals = df.groupby("key")[column].sum().sort_values(ascending=False)
    keep = [k for k in totals.index if k != "No touchpoint"][:top_n]
    df["key_label"] = np.where(df["key"].isin(keep), labels(df["key"]), "Other")
    if column == "roas":
        df = df[df["key"].isin(keep)]
    else:
        df = df.groupby(["period", "key_label"], as_index=False)[column].sum()
    df["period"] = pd.to_datetime(df["period"])
    money = column.endswith("_usd")
    legend_order = [label(k) for k in keep] + ["Other"]
    return (
        alt.Chart(df, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "period:T",
                title="Month" if grain == "month" else "Quarter",
                axis=alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": 1 if grain == "month" else 3}),
            ),
            y=alt.Y(
                f"{column}:Q",
                title=SPEND_TITLES.get(column) or MEASURE_TITLES.get(column, column),
                axis=alt.Axis(format="$,.2s" if money else ",.1f"),
            ),
            color=alt.Color("key_label:N", sort=legend_order, title=None, legend=alt.Legend(orient="right")),
            tooltip=[
                alt.Tooltip("period:T", title="Period", format="%b %Y"),
                KEY_TOOLTIP,
                alt.Tooltip(f"{column}:Q", format="$,.0f" if money else ",.2f"),
            ],
        )
        .properties(height=380)
    )


def rank_by_quarter(ranks: pd.DataFrame, labels_of: dict[str, str], title: str) -> alt.Chart:
    """Each key's rank (1 = most credit) per quarter, one small panel per model: a key whose colour
    changes along a row depends on the quarter; across panels, on the model."""
    df = ranks.copy()
    df["key_label"] = labels(df["key"])
    df["model_label"] = df["model"].map(lambda m: labels_of.get(m, m))
    order = df.groupby("key_label")["rank"].mean().sort_values().index.tolist()
    quarters = sorted(df["quarter"].unique())
    base = alt.Chart(df).encode(
        x=alt.X("quarter:O", sort=quarters, title=None, axis=alt.Axis(labelAngle=-40, labelOverlap=False)),
        y=alt.Y("key_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=160, labelOverlap=False)),
    )
    tooltip = [
        alt.Tooltip("model_label:N", title="Model"),
        alt.Tooltip("quarter:O", title="Quarter"),
        KEY_TOOLTIP,
        RANK_TOOLTIP,
        alt.Tooltip("value:Q", title="Credit", format=",.2f"),
    ]
    models = [labels_of.get(m, m) for m in dict.fromkeys(df["model"])]
    return (
        rank_cells(base, tooltip, font_size=10)
        .properties(width=alt.Step(46), height=alt.Step(20))
        .facet(facet=alt.Facet("model_label:N", sort=models, title=None), columns=4, title=title)
    )
