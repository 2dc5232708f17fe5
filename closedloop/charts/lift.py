"""The Lift page's chart: the win-rate difference of each key with its 95% interval."""

from __future__ import annotations

import altair as alt
import pandas as pd

from closedloop.charts.base import labels


def _interval_tooltips(low: str, high: str, fmt: str, unit: str = "") -> list[alt.Tooltip]:
    """The two ends of a key's 95% interval."""
    return [
        alt.Tooltip(f"{low}:Q", title=f"95% interval from{unit}", format=fmt),
        alt.Tooltip(f"{high}:Q", title=f"95% interval to{unit}", format=fmt),
    ]


# --- Touchpoint lift -----------------------------------------------------------------------------


def win_rate_lift(df: pd.DataFrame, dimension_title: str, small_sample_deals: int, codes: bool = True) -> alt.Chart:
    """Difference in win rate (touched minus not touched, percentage points) per key, sorted, with its
    95% interval as a rule; keys with few closed deals on a side drawn faint and named in the legend."""
    names = labels(df["label"]) if codes else df["label"].astype(str)
    small = f"Fewer than {small_sample_deals} closed deals on a side"
    enough = f"{small_sample_deals} or more closed deals on each side"
    data = df.assign(
        name=names,
        direction=df["win_rate_diff_pp"].map(lambda v: "Won more often" if v >= 0 else "Won less often"),
        sample=df["small_sample"].map({True: small, False: enough}),
    )
    order = data.sort_values(["win_rate_diff_pp", "name"], ascending=[False, True])["name"].tolist()
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    # a symmetric axis around 0, wide enough for every interval, in steps of 10 pp
    widest = data[["low95_pp", "high95_pp", "win_rate_diff_pp"]].abs().max().max()
    reach = int(min(100, max(10, -(-widest // 10) * 10)))
    tooltip = [
        alt.Tooltip("name:N", title=dimension_title.capitalize()),
        alt.Tooltip("win_rate_diff_pp:Q", title="Difference (pp)", format="+.1f"),
        *_interval_tooltips("low95_pp", "high95_pp", "+.1f", " (pp)"),
        alt.Tooltip("win_rate_touched:Q", title="Win rate touched", format=".0%"),
        alt.Tooltip("deals_touched_won:Q", title="Touched: won"),
        alt.Tooltip("deals_touched_lost:Q", title="Touched: lost"),
        alt.Tooltip("win_rate_not_touched:Q", title="Win rate not touched", format=".0%"),
        alt.Tooltip("deals_not_touched_won:Q", title="Not touched: won"),
        alt.Tooltip("deals_not_touched_lost:Q", title="Not touched: lost"),
        alt.Tooltip("sample:N", title="Sample"),
    ]
    base = alt.Chart(data)
    bars = base.mark_bar(height={"band": 0.6}).encode(
        y=y,
        x=alt.X(
            "win_rate_diff_pp:Q",
            title="Win rate touched minus not touched (percentage points)",
            scale=alt.Scale(domain=[-reach, reach]),
            axis=alt.Axis(format="+d", tickCount=9),
        ),
        color=alt.Color(
            "direction:N",
            title="Deals it touched",
            scale=alt.Scale(domain=["Won more often", "Won less often"], range=["#2e7d32", "#c62828"]),
            legend=alt.Legend(orient="top"),
        ),
        opacity=alt.Opacity(
            "sample:N",
            title="Sample size",
            scale=alt.Scale(domain=[enough, small], range=[0.9, 0.3]),
            legend=alt.Legend(orient="top", labelLimit=320),
        ),
        tooltip=tooltip,
    )
    interval = base.mark_rule(color="#212121", strokeWidth=1.5).encode(
        y=y, x="low95_pp:Q", x2="high95_pp:Q", tooltip=tooltip
    )
    ends = base.mark_tick(color="#212121", thickness=1.5, size=10).encode(y=y, x="low95_pp:Q") + base.mark_tick(
        color="#212121", thickness=1.5, size=10
    ).encode(y=y, x="high95_pp:Q")
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#616161").encode(x="x:Q")
    return alt.layer(bars, interval, ends, zero).properties(
        title=f"Win-rate lift by {dimension_title}: closed deals touched vs not touched, with 95% intervals",
        height=alt.Step(24),
    )


# --- Lift adjusted for the account (issue 14) ----------------------------------------------------


def lift_adjusted(charted: pd.DataFrame, dimension_title: str, codes: bool = True) -> alt.LayerChart:
    """Odds of winning, touched vs not, per key: the raw odds ratio and the one within segment,
    region and deal size (Mantel-Haenszel), each a dot with its 95% interval on a log scale, sorted
    by the raw ratio; keys with few deals per stratum drawn faint (closedloop.pages.lift_adjusted)."""
    names = labels(charted["label"]) if codes else charted["label"].astype(str)
    thin, enough = "Few deals per stratum", "Enough deals per stratum"
    data = charted.assign(name=names, sample=charted["thin"].map({True: thin, False: enough}))
    raw = data[data["figure"] == "Raw"].sort_values(["odds_ratio", "name"], ascending=[False, True])
    order = list(dict.fromkeys(raw["name"].tolist() + data["name"].tolist()))
    low = max(min(float(data["low95"].min()), 0.5), 0.01)
    high = min(max(float(data["high95"].max()), 2.0), 100.0)
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    x_scale = alt.Scale(type="log", domain=[low, high], clamp=True)
    figures = ["Raw", "Within segment, region and size"]
    color = alt.Color(
        "figure:N",
        title="Odds ratio",
        scale=alt.Scale(domain=figures, range=["#9e9e9e", "#1565c0"]),
        legend=alt.Legend(orient="top", labelLimit=320),
    )
    opacity = alt.Opacity(
        "sample:N",
        title="Deals per stratum",
        scale=alt.Scale(domain=[enough, thin], range=[1.0, 0.3]),
        legend=alt.Legend(orient="top", labelLimit=320),
    )
    offset = alt.YOffset("figure:N", sort=figures, scale=alt.Scale(domain=figures))
    tooltip = [
        alt.Tooltip("name:N", title=dimension_title.capitalize()),
        alt.Tooltip("figure:N", title="Figure"),
        alt.Tooltip("odds_ratio:Q", title="Odds ratio", format=".2f"),
        *_interval_tooltips("low95", "high95", ".2f"),
        alt.Tooltip("win_rate_diff_pp:Q", title="Raw difference (pp)", format="+.1f"),
        alt.Tooltip("strata_used:Q", title="Strata compared"),
        alt.Tooltip("deals_in_strata_used:Q", title="Deals in them"),
        alt.Tooltip("smaller_side_per_stratum:Q", title="Smaller side per stratum", format=".1f"),
    ]
    base = alt.Chart(data).encode(y=y, yOffset=offset, color=color, opacity=opacity, tooltip=tooltip)
    rules = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("low95:Q", scale=x_scale, title="Odds of winning, touched vs not touched (1 = no lift; log scale)"),
        x2="high95:Q",
    )
    dots = base.mark_circle(size=70).encode(x=alt.X("odds_ratio:Q", scale=x_scale))
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color="#616161", strokeDash=[4, 3]).encode(x="x:Q")
    return alt.layer(rules, dots, one).properties(
        title=f"Lift by {dimension_title}, raw and within the same segment, region and deal size (95% intervals)",
        height=alt.Step(14),
    )
