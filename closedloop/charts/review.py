"""The Review and Review meeting pages' charts: touch type shares, the model's credit, agreement."""

from __future__ import annotations

import altair as alt
import pandas as pd

from closedloop.charts.base import DEAL_CREDIT_TOOLTIP, TOUCH_TOOLTIPS, WON_LOST_COLORS, _text, label, label_map

_TYPE_TOOLTIP = alt.Tooltip("type:N", title="Touchpoint type")


def touch_type_shares(df: pd.DataFrame) -> alt.Chart:
    """Share of won vs lost deals each touchpoint type preceded, sorted by the difference."""
    names = label_map(df["touchpoint_type"])
    order = [names[t] for t in df.sort_values("share_difference", ascending=False)["touchpoint_type"]]
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "type": df["touchpoint_type"].map(names),
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
            x=alt.X(
                "share:Q",
                title="Share of deals touched (%)",
                axis=alt.Axis(format="%", tickCount=5),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("outcome:N", scale=WON_LOST_COLORS, title="Deals", legend=alt.Legend(orient="top")),
            tooltip=[
                _TYPE_TOOLTIP,
                alt.Tooltip("outcome:N", title="Deals"),
                alt.Tooltip("touched:Q", title="Deals touched"),
                alt.Tooltip("total:Q", title="Deals in period"),
                alt.Tooltip("share:Q", title="Share touched", format=".0%"),
                alt.Tooltip("difference_pp:Q", title="Won minus lost (pp)"),
            ],
        )
        .properties(height=alt.Step(14))
    )


# --- Review meeting ------------------------------------------------------------------------------


def review_credit(credit: pd.DataFrame, model_label: str) -> alt.LayerChart:
    """One deal's credit under the review's model: a bar per touch in journey order (team as
    colour, its positions in the label), the share written at the end of each bar."""
    rows = [
        "No touchpoint" if pd.isna(n) else f"{int(n)}. {at:%d %b %Y} · {label(tt)}" + (f" ({pos})" if pos else "")
        for n, at, tt, pos in zip(
            credit["touch_number"], credit["occurred_at"], credit["touchpoint_type"], credit["positions"], strict=True
        )
    ]
    data = credit.assign(
        touch=rows,
        team=credit["team"].fillna("No touchpoint"),
        campaign=credit["campaign"].map(_text),
        share_text=[f"{c:.1%}" if c < 0.1 else f"{c:.0%}" for c in credit["credit"]],
    )
    teams = {"marketing": "#1f77b4", "sales": "#ff7f0e", "No touchpoint": "#9e9e9e"}
    y = alt.Y("touch:N", sort=rows, title=None, axis=alt.Axis(labelLimit=320))
    tooltip = [
        *TOUCH_TOOLTIPS,
        alt.Tooltip("campaign:N", title="Campaign"),
        DEAL_CREDIT_TOOLTIP,
    ]
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X(
                "credit:Q",
                title=f"Share of the deal's credit under {model_label} (%)",
                axis=alt.Axis(format="%", tickCount=5),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "team:N",
                title="Team",
                legend=alt.Legend(orient="top"),
                scale=alt.Scale(
                    domain=[t for t in teams if t in set(data["team"])],
                    range=[c for t, c in teams.items() if t in set(data["team"])],
                ),
            ),
            tooltip=tooltip,
        )
    )
    text = (
        alt.Chart(data)
        .mark_text(align="left", dx=4, fontSize=11, color="#212121")
        .encode(y=y, x="credit:Q", text="share_text:N", tooltip=tooltip)
    )
    return alt.layer(
        bars, text, title=f"Credit receipt under {model_label}: each touch's share of the deal"
    ).properties(height=alt.Step(26))


AGREEMENT_SERIES = ["Marketing called it critical", "Sales called it critical", "Model's share of the credit"]
AGREEMENT_COLORS = alt.Scale(domain=AGREEMENT_SERIES, range=["#1f77b4", "#ff7f0e", "#9e9e9e"])


def review_agreement(by_type: pd.DataFrame, model_label: str) -> alt.LayerChart:
    """Per touchpoint type: the share of each team's verdicts that called it critical, next to the
    share of the discussed deals' credit the model gave it; types sorted by the model's share.
    Each bar is labelled (a team's "0 of 2" shows where a bar of 0% would be invisible)."""
    names = label_map(by_type["touchpoint_type"])
    order = [names[t] for t in by_type["touchpoint_type"]]
    series = []
    for team, name in (("marketing", AGREEMENT_SERIES[0]), ("sales", AGREEMENT_SERIES[1])):
        judged = by_type[by_type[f"{team}_verdicts"] > 0]
        series.append(
            pd.DataFrame(
                {
                    "type": judged["touchpoint_type"].map(names),
                    "series": name,
                    "share": judged[f"{team}_critical_share"].astype(float),
                    "text": [
                        f"{c / v:.0%} ({c} of {v})"
                        for c, v in zip(judged[f"{team}_critical"], judged[f"{team}_verdicts"], strict=True)
                    ],
                }
            )
        )
    series.append(
        pd.DataFrame(
            {
                "type": by_type["touchpoint_type"].map(names),
                "series": AGREEMENT_SERIES[2],
                "share": by_type["model_credit_share"].astype(float),
                "text": [f"{v:.1%}" for v in by_type["model_credit_share"]],
            }
        )
    )
    long = pd.concat(series, ignore_index=True)
    y = alt.Y("type:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    offset = alt.YOffset("series:N", sort=AGREEMENT_SERIES, scale=alt.Scale(domain=AGREEMENT_SERIES))
    tooltip = [
        _TYPE_TOOLTIP,
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("text:N", title="Share"),
    ]
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=y,
            yOffset=offset,
            x=alt.X(
                "share:Q",
                title="Critical share of a team's verdicts on the type / model's share of the credit (%)",
                # room right of 100% for the labels, but no tick beyond it
                axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1]),
                scale=alt.Scale(domain=[0, 1.15]),
            ),
            color=alt.Color(
                "series:N", scale=AGREEMENT_COLORS, title=None, legend=alt.Legend(orient="top", labelLimit=260)
            ),
            tooltip=tooltip,
        )
    )
    text = (
        alt.Chart(long)
        .mark_text(align="left", dx=3, fontSize=10, color="#424242")
        .encode(y=y, yOffset=offset, x="share:Q", text="text:N", tooltip=tooltip)
    )
    return alt.layer(
        bars, text, title=f"What the teams called critical vs what {model_label} credited, per touchpoint type"
    ).properties(height=alt.Step(14))
