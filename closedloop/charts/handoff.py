"""The Handoff page's charts: speed to lead and the lead funnel."""

from __future__ import annotations

import altair as alt
import pandas as pd

from closedloop.charts.base import labels

# --- Handoff & SLA -------------------------------------------------------------------------------

SLA_COLORS = alt.Scale(domain=["Within SLA", "Over SLA", "Never followed up"], range=["#2e7d32", "#ef6c00", "#9e9e9e"])


def speed_to_lead(speed: pd.DataFrame, sla_hours: float) -> alt.Chart:
    """Leads per speed-to-lead bucket (hours from assignment to first follow-up), the SLA drawn
    as a rule at the bucket edge it falls on, and the never-followed-up leads as a last grey bar."""
    order = speed.sort_values("order")["bucket"].tolist()
    title = f"Speed to lead: hours from assignment to first follow-up (SLA {sla_hours:g} h)"
    bars = (
        alt.Chart(speed, title=title)
        .mark_bar()
        .encode(
            x=alt.X(
                "bucket:N",
                sort=order,
                title="Hours from assignment to first follow-up",
                axis=alt.Axis(labelAngle=0, labelLimit=140),
            ),
            y=alt.Y("leads:Q", title="Leads", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("status:N", scale=SLA_COLORS, title=None, legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("bucket:N", title="Bucket"),
                alt.Tooltip("span:N", title="Hours"),
                alt.Tooltip("leads:Q", title="Leads"),
                alt.Tooltip("status:N", title="Status"),
            ],
        )
    )
    first_over = speed.loc[speed["status"] == "Over SLA", "bucket"]
    if first_over.empty:
        return bars
    rule_data = pd.DataFrame({"bucket": [first_over.iloc[0]], "text": [f"SLA {sla_hours:g} h"]})
    rule = (
        alt.Chart(rule_data)
        .mark_rule(color="#c62828", strokeDash=[6, 4], strokeWidth=2)
        .encode(x=alt.X("bucket:N", sort=order, bandPosition=0))
    )
    text = (
        alt.Chart(rule_data)
        .mark_text(align="left", dx=4, dy=-4, baseline="top", color="#c62828", fontWeight="bold")
        .encode(x=alt.X("bucket:N", sort=order, bandPosition=0), y=alt.value(0), text="text:N")
    )
    return alt.layer(bars, rule, text).properties(height=320)


FUNNEL_STAGES = ["MQLs", "Accepted", "Opportunities", "Won"]
FUNNEL_COLORS = alt.Scale(domain=FUNNEL_STAGES, range=["#90caf9", "#42a5f5", "#1565c0", "#2e7d32"])


def lead_funnel(df: pd.DataFrame, group_title: str, codes: bool = True) -> alt.Chart:
    """Leads reaching each funnel stage (MQL -> accepted -> opportunity -> won) per group,
    groups sorted by MQLs. `codes`: the group keys are codes like paid_social (not names)."""
    df = df.assign(group_key=labels(df["group_key"]) if codes else df["group_key"].astype(str))
    order = df.sort_values(["mqls", "won"], ascending=False)["group_key"].tolist()
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "group": df["group_key"],
                    "stage": stage,
                    "leads": df[col],
                    "mqls": df["mqls"],
                    "share_of_mqls": (df[col] / df["mqls"].where(df["mqls"] > 0)).fillna(0),
                }
            )
            for stage, col in zip(FUNNEL_STAGES, ["mqls", "accepted", "opportunities", "won"], strict=True)
        ],
        ignore_index=True,
    )
    return (
        alt.Chart(long, title=f"Lead funnel by {group_title}: MQL → accepted → opportunity → won")
        .mark_bar()
        .encode(
            y=alt.Y("group:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
            yOffset=alt.YOffset("stage:N", sort=FUNNEL_STAGES),
            x=alt.X("leads:Q", title="Leads", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "stage:N",
                scale=FUNNEL_COLORS,
                sort=FUNNEL_STAGES,
                title="Stage reached",
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("group:N", title=group_title.capitalize()),
                alt.Tooltip("stage:N", title="Stage"),
                alt.Tooltip("leads:Q", title="Leads"),
                alt.Tooltip("share_of_mqls:Q", title="Share of MQLs", format=".0%"),
            ],
        )
        .properties(height=alt.Step(12))
    )
