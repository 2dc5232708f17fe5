"""Every Altair chart the product draws: each builder takes a core result and returns alt.Chart."""

from __future__ import annotations

import altair as alt
import pandas as pd

WON_LOST_COLORS = alt.Scale(domain=["Won", "Lost"], range=["#2e7d32", "#c62828"])
TEAM_COLORS = alt.Scale(domain=["marketing", "sales"], range=["#1f77b4", "#ff7f0e"])


def label(code: str | None) -> str:
    """'webinar_attended' -> 'Webinar attended' for axis labels."""
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return "(none)"
    return str(code).replace("_", " ").capitalize()


def touch_type_shares(df: pd.DataFrame) -> alt.Chart:
    """Share of won vs lost deals each touchpoint type preceded, sorted by the difference."""
    order = [label(t) for t in df.sort_values("share_difference", ascending=False)["touchpoint_type"]]
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "type": df["touchpoint_type"].map(label),
                    "team": df["team"],
                    "outcome": outcome,
                    "share": df[f"share_{key}_touched"],
                    "touched": df[f"{key}_deals_touched"],
                    "total": df[f"{key}_deals_total"],
                    "difference_pp": (df["share_difference"] * 100).round(1),
                }
            )
            for outcome, key in (("Won", "won"), ("Lost", "lost"))
        ],
        ignore_index=True,
    )
    return (
        alt.Chart(long, title="Which touchpoint types preceded won vs lost deals")
        .mark_bar()
        .encode(
            y=alt.Y("type:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
            yOffset=alt.YOffset("outcome:N", sort=["Won", "Lost"]),
            x=alt.X("share:Q", title="Share of deals touched (%)", axis=alt.Axis(format="%", tickCount=5),
                    scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("outcome:N", scale=WON_LOST_COLORS, title="Deals",
                            legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("type:N", title="Touchpoint type"),
                alt.Tooltip("outcome:N", title="Deals"),
                alt.Tooltip("touched:Q", title="Deals touched"),
                alt.Tooltip("total:Q", title="Deals in period"),
                alt.Tooltip("share:Q", title="Share touched", format=".0%"),
                alt.Tooltip("difference_pp:Q", title="Won minus lost (pp)"),
            ],
        )
        .properties(height=alt.Step(14))
    )
