"""The Pipeline influence page's charts: pipeline over time and by key."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from closedloop.charts.base import labels

# --- Pipeline influence --------------------------------------------------------------------------

PIPELINE_SPLITS = ["Marketing-sourced", "Marketing-influenced", "Sales-only", "No touchpoint"]
PIPELINE_COLORS = alt.Scale(domain=PIPELINE_SPLITS, range=["#1565c0", "#64b5f6", "#ef6c00", "#bdbdbd"])


def _stacked(
    field: str, scale: alt.Scale, order: alt.Order, tooltip: list[alt.Tooltip], **color: Any
) -> dict[str, Any]:
    """The encodings of a stack's parts: their colour (`field` on `scale`, untitled, its legend on
    top), the stacking `order` and the `tooltip`."""
    return {
        "color": alt.Color(field, scale=scale, title=None, legend=alt.Legend(orient="top"), **color),
        "order": order,
        "tooltip": tooltip,
    }


def pipeline_over_time(long: pd.DataFrame, grain: str, measure: str = "usd") -> alt.Chart:
    """Pipeline created per period (USD, or deals with measure="deals"), stacked by split,
    marketing-sourced at the bottom."""
    data = long.assign(stack_order=long["split_label"].map(PIPELINE_SPLITS.index))
    if measure == "deals":
        y = alt.Y("sum(deals):Q", title="Deals created", axis=alt.Axis(tickMinStep=1, format=",d"))
        unit = "deals"
    else:
        y = alt.Y("sum(pipeline_usd):Q", title="Pipeline created (USD)", axis=alt.Axis(format="$,.2~s"))
        unit = "USD"
    return (
        alt.Chart(data, title=f"Pipeline created per {grain}, by how marketing took part ({unit})")
        .mark_bar()
        .encode(
            x=alt.X(
                "period:O",
                title=f"{grain.capitalize()} the deal was created",
                axis=alt.Axis(labelAngle=0, labelLimit=120),
            ),
            y=y,
            **_stacked(
                "split_label:N",
                PIPELINE_COLORS,
                alt.Order("stack_order:Q", sort="ascending"),
                [
                    alt.Tooltip("period:O", title=grain.capitalize()),
                    alt.Tooltip("split_label:N", title="Split"),
                    alt.Tooltip("pipeline_usd:Q", title="Pipeline (USD)", format="$,.0f"),
                    alt.Tooltip("deals:Q", title="Deals"),
                    alt.Tooltip("won_deals:Q", title="Won so far"),
                ],
                sort=PIPELINE_SPLITS,
            ),
        )
        .properties(height=340)
    )


def pipeline_by_key(
    df: pd.DataFrame, key_title: str, codes: bool = False, top_n: int = 25, measure: str = "usd"
) -> alt.Chart:
    """Pipeline each campaign / channel sourced and influenced (USD, or deals with measure="deals"),
    sorted by the total."""
    by_deals = measure == "deals"
    total = "deals" if by_deals else "pipeline_usd"
    top = df.sort_values([total, "key"], ascending=[False, True]).head(top_n)
    names = labels(top["name"]) if codes else top["name"].astype(str)
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "name": names,
                    "role": role,
                    "usd": top[col],
                    "deals": top[deals],
                    "value": top[deals if by_deals else col],
                    "total_deals": top["deals"],
                    "total_usd": top["pipeline_usd"],
                    "won_deals": top["won_deals"],
                    "cost_per_won_deal_usd": top["cost_per_won_deal_usd"],
                }
            )
            for role, col, deals in (
                ("Sourced", "sourced_pipeline_usd", "deals_sourced"),
                ("Influenced", "influenced_pipeline_usd", "deals_influenced"),
            )
        ],
        ignore_index=True,
    )
    shown = f"top {top_n} " if len(df) > top_n else ""
    return (
        alt.Chart(
            long,
            title=f"Pipeline each {key_title} sourced and influenced ({shown}by total, "
            f"{'deals' if by_deals else 'USD'})",
        )
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=names.tolist(), title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X(
                "value:Q",
                stack="zero",
                title="Deals it touched" if by_deals else "Pipeline of the deals it touched (USD)",
                axis=alt.Axis(tickMinStep=1, format=",d") if by_deals else alt.Axis(format="$,.2~s"),
            ),
            **_stacked(
                "role:N",
                alt.Scale(domain=["Sourced", "Influenced"], range=["#1565c0", "#64b5f6"]),
                alt.Order("role:N", sort="descending"),
                [
                    alt.Tooltip("name:N", title=key_title.capitalize()),
                    alt.Tooltip("role:N", title="Role"),
                    alt.Tooltip("usd:Q", title="Pipeline (USD)", format="$,.0f"),
                    alt.Tooltip("deals:Q", title="Deals"),
                    alt.Tooltip("total_usd:Q", title="Sourced + influenced (USD)", format="$,.0f"),
                    alt.Tooltip("won_deals:Q", title="Won deals"),
                    alt.Tooltip("cost_per_won_deal_usd:Q", title="Cost per won deal (USD)", format="$,.0f"),
                ],
            ),
        )
        .properties(height=alt.Step(20))
    )
