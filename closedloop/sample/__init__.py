"""The seeded sample: a realistic B2B dataset with planted, documented effects.

`python -m closedloop sample --deals N --seed S --db PATH [--force]` writes a new
Closed Loop database; `generate()` is the same from Python. docs/sample.md
describes the data in full; the short version:

* Every table of the data model is filled: accounts (industry, segment, region,
  employees), contacts (titles, personas), leads (MQL, assignment and follow-up
  times; some followed up late, ~15% never; accepted / disqualified with a
  reason), ~30 campaigns (channel, type, cost, dates), touchpoints of all 16
  types from both teams (~20 per deal), deals (lognormal amounts by segment,
  stage histories, won / lost / open), deal contacts with roles. The app-written
  tables (retro_notes, reviews, import_log, ...) stay empty.
* Time is fixed: everything happens on or before REFERENCE_DATE (2026-09-30, the end
  of a quarter, so the latest quarter is complete), never the wall clock, so the
  same seed gives the same database content.
* Timing: marketing touches run up to ~165 days before a deal is created, sales
  touches come later (some prospecting just before), and a burst of touches of
  both teams sits around the opportunity"s creation. Touches of a deal always
  fall inside its default attribution window (created - 178 days .. closed).

Planted effects. Each deal"s (latent) outcome is drawn first from a win rate by
segment; then the presence of each touchpoint type is drawn with a probability
that depends on the outcome (PRESENCE below). Because presences are independent
given the outcome, this is exactly a logistic model of the win odds: each type
present adds log(p_won (1 - p_lost) / (p_lost (1 - p_won))) to the log-odds.

* webinar_attended: 45% of won vs 12% of lost deals (odds x6.0) - strong win signal.
* sales_meeting:    75% of won vs 25% of lost deals (odds x9.0) - strong win signal.
* demo_request:     40% of won vs 22% of lost deals (odds x2.4) - moderate.
* ad_view:          present in 50% of won AND lost deals - neutral by construction.
* email-only deals: 2% of won vs 16% of lost deals get only email_open /
  email_click / sales_email touches, so about 9 in 10 of them lose.
* ~2% of deals have no tracked touch at all (the "No touchpoint" row),
  independently of the outcome.

Everything is vectorized with numpy and written through DuckDB from DataFrames;
touchpoints are generated and inserted in chunks of deals, so 1,000,000 deals
(~20 million touchpoints) fit in modest memory.
"""

from closedloop.sample.build import generate
from closedloop.sample.world import (
    AMOUNT,
    ASSETS,
    CAMPAIGNS,
    CHANNELS,
    CYCLE_DAYS,
    DEFAULT_DEALS,
    DEFAULT_SEED,
    DEFAULT_TOUCHES_PER_DEAL,
    DISQUALIFY_P,
    DISQUALIFY_REASONS,
    EBOOKS,
    EMAIL_ONLY,
    EMPLOYEES,
    EPOCH,
    INDUSTRIES,
    INDUSTRY_P,
    LEAD_SOURCE_P,
    LEAD_SOURCES,
    NAME_PREFIXES,
    NAME_SUFFIXES,
    NO_TOUCH,
    OWNERS,
    OWNERS_BY_REGION,
    PRODUCTS,
    REFERENCE_DATE,
    REGION_P,
    REGIONS,
    ROLE_FROM_PERSONA,
    ROLES,
    SEGMENT_P,
    SEGMENT_TOUCH_FACTOR,
    SEGMENTS,
    STAGES,
    TITLE_P,
    TITLES,
    TOUCH_TYPES,
    TOUCHPOINT_TYPES,
    WHITEPAPERS,
    WIN_RATE,
    TouchType,
)

__all__ = [
    "generate",
    "EPOCH",
    "REFERENCE_DATE",
    "DEFAULT_DEALS",
    "DEFAULT_SEED",
    "DEFAULT_TOUCHES_PER_DEAL",
    "SEGMENTS",
    "SEGMENT_P",
    "REGIONS",
    "REGION_P",
    "INDUSTRIES",
    "INDUSTRY_P",
    "EMPLOYEES",
    "NAME_PREFIXES",
    "NAME_SUFFIXES",
    "PRODUCTS",
    "TITLES",
    "TITLE_P",
    "ROLE_FROM_PERSONA",
    "ROLES",
    "OWNERS_BY_REGION",
    "OWNERS",
    "DISQUALIFY_REASONS",
    "DISQUALIFY_P",
    "CHANNELS",
    "LEAD_SOURCES",
    "LEAD_SOURCE_P",
    "STAGES",
    "TouchType",
    "TOUCH_TYPES",
    "TOUCHPOINT_TYPES",
    "WIN_RATE",
    "EMAIL_ONLY",
    "NO_TOUCH",
    "SEGMENT_TOUCH_FACTOR",
    "AMOUNT",
    "CYCLE_DAYS",
    "EBOOKS",
    "WHITEPAPERS",
    "CAMPAIGNS",
    "ASSETS",
]
