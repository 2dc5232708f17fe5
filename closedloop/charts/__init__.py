"""Every Altair chart the product draws: each builder takes a core result and returns alt.Chart.

One module per page (named like the page's file in views/), and base for what they share."""

from closedloop.charts.attribution import attribution_bars, model_rank_heatmap, team_split_bar
from closedloop.charts.base import (
    CANONICAL_CHANNELS,
    MARKER_COLOR,
    MEASURE_TITLES,
    NOTE_COLOR,
    TEAM_COLORS,
    TOUCH_SHAPES,
    TOUCH_TYPES,
    WON_LOST_COLORS,
    label,
    label_map,
    labels,
)
from closedloop.charts.deal_explorer import credit_receipt, deal_timeline
from closedloop.charts.handoff import FUNNEL_COLORS, FUNNEL_STAGES, SLA_COLORS, lead_funnel, speed_to_lead
from closedloop.charts.journeys import journey_distribution, journey_paths, path_distribution, transition_heatmap
from closedloop.charts.lift import lift_adjusted, win_rate_lift
from closedloop.charts.pipeline_influence import PIPELINE_COLORS, PIPELINE_SPLITS, pipeline_by_key, pipeline_over_time
from closedloop.charts.review import (
    AGREEMENT_COLORS,
    AGREEMENT_SERIES,
    review_agreement,
    review_credit,
    touch_type_shares,
)

__all__ = [
    "WON_LOST_COLORS",
    "TEAM_COLORS",
    "CANONICAL_CHANNELS",
    "label",
    "label_map",
    "labels",
    "MARKER_COLOR",
    "NOTE_COLOR",
    "TOUCH_TYPES",
    "TOUCH_SHAPES",
    "MEASURE_TITLES",
    "touch_type_shares",
    "review_credit",
    "AGREEMENT_SERIES",
    "AGREEMENT_COLORS",
    "review_agreement",
    "SLA_COLORS",
    "speed_to_lead",
    "FUNNEL_STAGES",
    "FUNNEL_COLORS",
    "lead_funnel",
    "deal_timeline",
    "credit_receipt",
    "journey_paths",
    "journey_distribution",
    "transition_heatmap",
    "attribution_bars",
    "model_rank_heatmap",
    "team_split_bar",
    "PIPELINE_SPLITS",
    "PIPELINE_COLORS",
    "pipeline_over_time",
    "pipeline_by_key",
    "win_rate_lift",
    "lift_adjusted",
    "path_distribution",
]
