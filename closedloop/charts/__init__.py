"""Every Altair chart the product draws: each builder takes a core result and returns alt.Chart.

One module per page (named like the page's file in views/), and base for what they share."""

# Each builder re-exported (`name as name`: an explicit re-export) so pages call charts.<builder>.
from closedloop.charts.attribution import attribution_bars as attribution_bars
from closedloop.charts.attribution import model_rank_heatmap as model_rank_heatmap
from closedloop.charts.attribution import team_split_bar as team_split_bar
from closedloop.charts.base import CANONICAL_CHANNELS as CANONICAL_CHANNELS
from closedloop.charts.base import MARKER_COLOR as MARKER_COLOR
from closedloop.charts.base import MEASURE_TITLES as MEASURE_TITLES
from closedloop.charts.base import NOTE_COLOR as NOTE_COLOR
from closedloop.charts.base import TEAM_COLORS as TEAM_COLORS
from closedloop.charts.base import TOUCH_SHAPES as TOUCH_SHAPES
from closedloop.charts.base import TOUCH_TYPES as TOUCH_TYPES
from closedloop.charts.base import WON_LOST_COLORS as WON_LOST_COLORS
from closedloop.charts.base import label as label
from closedloop.charts.base import label_map as label_map
from closedloop.charts.base import labels as labels
from closedloop.charts.deal_explorer import credit_receipt as credit_receipt
from closedloop.charts.deal_explorer import deal_timeline as deal_timeline
from closedloop.charts.handoff import FUNNEL_COLORS as FUNNEL_COLORS
from closedloop.charts.handoff import FUNNEL_STAGES as FUNNEL_STAGES
from closedloop.charts.handoff import SLA_COLORS as SLA_COLORS
from closedloop.charts.handoff import lead_funnel as lead_funnel
from closedloop.charts.handoff import speed_to_lead as speed_to_lead
from closedloop.charts.journeys import journey_distribution as journey_distribution
from closedloop.charts.journeys import journey_paths as journey_paths
from closedloop.charts.journeys import path_distribution as path_distribution
from closedloop.charts.journeys import transition_heatmap as transition_heatmap
from closedloop.charts.lift import lift_adjusted as lift_adjusted
from closedloop.charts.lift import win_rate_lift as win_rate_lift
from closedloop.charts.pipeline_influence import PIPELINE_COLORS as PIPELINE_COLORS
from closedloop.charts.pipeline_influence import PIPELINE_SPLITS as PIPELINE_SPLITS
from closedloop.charts.pipeline_influence import pipeline_by_key as pipeline_by_key
from closedloop.charts.pipeline_influence import pipeline_over_time as pipeline_over_time
from closedloop.charts.review import AGREEMENT_COLORS as AGREEMENT_COLORS
from closedloop.charts.review import AGREEMENT_SERIES as AGREEMENT_SERIES
from closedloop.charts.review import review_agreement as review_agreement
from closedloop.charts.review import review_credit as review_credit
from closedloop.charts.review import touch_type_shares as touch_type_shares
from closedloop.charts.spend import SPEND_TITLES as SPEND_TITLES
from closedloop.charts.spend import credit_trend as credit_trend
from closedloop.charts.spend import rank_by_quarter as rank_by_quarter
from closedloop.charts.spend import spend_return_bars as spend_return_bars
