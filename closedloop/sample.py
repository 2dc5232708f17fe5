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
  both teams sits around the opportunity's creation. Touches of a deal always
  fall inside its default attribution window (created - 178 days .. closed).

Planted effects. Each deal's (latent) outcome is drawn first from a win rate by
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

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from closedloop import db

# ---------------------------------------------------------------------------
from closedloop.engine import journey_tables as derived

# Fixed calendar. Times are float days since EPOCH; they become timestamps only
# when written, rounded down to the minute.
EPOCH = np.datetime64("2024-01-01T00:00", "m")
REFERENCE_DATE = "2026-09-30"
_REF = float((np.datetime64(REFERENCE_DATE, "m") - EPOCH) / np.timedelta64(1, "D")) + 18 / 24
_FIRST_DEAL = float((np.datetime64("2024-08-01", "m") - EPOCH) / np.timedelta64(1, "D"))
# Touches of a deal stay this many days after (created - lookback) so that the
# default 180-day window always holds them, whatever the time of day.
_MAX_LOOKBACK = 178.0
_MINUTE = 1 / 1440

DEFAULT_DEALS = 2000
DEFAULT_SEED = 42
DEFAULT_TOUCHES_PER_DEAL = 20.0
# Deals per touchpoint chunk: bounds memory at 1M deals (~1M touches per chunk).
_CHUNK_DEALS = 50_000
# Share of the run each step takes (measured at 1M deals), for the progress bar.
_WEIGHT = {
    "accounts": 5,
    "deals": 10,
    "deal_contacts": 3,
    "leads": 7,
    "contacts": 8,
    "campaigns": 0,
    "touchpoints": 62,
    "other_touchpoints": 4,
}

# ---------------------------------------------------------------------------
# Vocabularies.
SEGMENTS = ["Enterprise", "Mid-Market", "SMB"]
SEGMENT_P = [0.17, 0.33, 0.50]
REGIONS = ["NA", "EMEA", "APAC", "LATAM"]
REGION_P = [0.45, 0.30, 0.15, 0.10]
INDUSTRIES = [
    "Software",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Education",
    "Media",
    "Logistics",
    "Energy",
    "Public Sector",
]
INDUSTRY_P = [0.24, 0.14, 0.12, 0.12, 0.10, 0.07, 0.06, 0.06, 0.05, 0.04]
# Employees: lognormal median and the segment's range.
EMPLOYEES = {"Enterprise": (8000, 2000, 150_000), "Mid-Market": (600, 200, 1999), "SMB": (50, 5, 199)}
# Account names are "<prefix> <suffix>", numbered once the combinations run out.
NAME_PREFIXES = [
    "Acme",
    "Borealis",
    "Cobalt",
    "Dynamo",
    "Evergreen",
    "Fjord",
    "Granite",
    "Helix",
    "Ironwood",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Northwind",
    "Onyx",
    "Pinnacle",
    "Quasar",
    "Redwood",
    "Summit",
    "Tidal",
    "Umbra",
    "Vertex",
    "Willow",
    "Xenon",
    "Yellowstone",
    "Zephyr",
    "Atlas",
    "Beacon",
    "Cascade",
    "Delta",
    "Ember",
    "Falcon",
    "Glacier",
    "Harbor",
    "Indigo",
    "Jasper",
    "Keystone",
    "Lighthouse",
    "Monarch",
    "Nimbus",
    "Orchid",
    "Prairie",
    "Quartz",
    "Riverbend",
    "Sequoia",
    "Trident",
    "Unity",
    "Vanguard",
    "Westfield",
    "Alder",
    "Bluebird",
    "Crescent",
    "Driftwood",
    "Equinox",
    "Foxglove",
    "Goldcrest",
    "Highland",
    "Ivory",
    "Jetstream",
    "Kinetic",
    "Lakeshore",
    "Mosaic",
    "Nova",
    "Oakridge",
]
NAME_SUFFIXES = [
    "Corp",
    "Labs",
    "Systems",
    "Health",
    "Analytics",
    "Logistics",
    "Bank",
    "Foods",
    "Energy",
    "Media",
    "Group",
    "Holdings",
    "Industries",
    "Software",
    "Partners",
    "Networks",
    "Robotics",
    "Retail",
    "Capital",
    "Pharma",
    "Motors",
    "Telecom",
    "Insurance",
    "Learning",
    "Security",
    "Cloud",
    "Data",
    "Devices",
    "Materials",
    "Studios",
    "Travel",
    "Foods Co",
    "Supply",
    "Biotech",
    "Solutions",
    "Dynamics",
    "Ventures",
    "Works",
    "Technologies",
    "Outfitters",
]
PRODUCTS = [
    "Platform",
    "Attribution Pro",
    "Analytics add-on",
    "Team plan",
    "Enterprise license",
    "Expansion",
    "Data connectors",
    "Pilot",
]
# (title, persona); contacts draw a title, the persona follows from it.
TITLES = [
    ("CEO", "economic_buyer"),
    ("CFO", "economic_buyer"),
    ("VP Finance", "economic_buyer"),
    ("CMO", "decision_maker"),
    ("VP Marketing", "decision_maker"),
    ("VP Sales", "decision_maker"),
    ("CTO", "decision_maker"),
    ("Head of RevOps", "champion"),
    ("Marketing Ops Manager", "champion"),
    ("Demand Gen Manager", "champion"),
    ("Sales Ops Manager", "champion"),
    ("Marketing Analyst", "user"),
    ("SDR Manager", "user"),
    ("Content Marketer", "user"),
    ("IT Manager", "technical_evaluator"),
    ("Data Engineer", "technical_evaluator"),
    ("Procurement Manager", "influencer"),
    ("Head of Legal", "influencer"),
]
TITLE_P = np.array([3, 2, 2, 3, 6, 5, 3, 6, 7, 7, 5, 8, 4, 5, 6, 6, 3, 2], dtype=float)
TITLE_P /= TITLE_P.sum()
# A deal contact's role is usually their persona; some are just influencers.
ROLE_FROM_PERSONA = {
    "economic_buyer": "economic_buyer",
    "decision_maker": "decision_maker",
    "champion": "champion",
    "user": "user",
    "technical_evaluator": "technical_evaluator",
    "influencer": "influencer",
}
ROLES = list(dict.fromkeys(ROLE_FROM_PERSONA.values()))
# Sales reps own territories, so owner follows region.
OWNERS_BY_REGION = {
    "NA": ["Alice Chen", "Bob Martinez", "David Kim"],
    "EMEA": ["Elena Rossi", "Farid Haddad"],
    "APAC": ["Grace Liu", "Hiro Tanaka"],
    "LATAM": ["Carla Souza"],
}
OWNERS = [o for region in REGIONS for o in OWNERS_BY_REGION[region]]
DISQUALIFY_REASONS = [
    "no budget",
    "no response",
    "not a fit",
    "chose competitor",
    "student or personal",
    "duplicate",
]
DISQUALIFY_P = [0.22, 0.30, 0.22, 0.10, 0.08, 0.08]

CHANNELS = [
    "paid_search",
    "paid_social",
    "display",
    "email",
    "webinar",
    "event",
    "content",
    "syndication",
    "organic_search",
    "website",
    "sales",
]
_CH = {c: i for i, c in enumerate(CHANNELS)}
# Lead sources are the channels ('sales' = outbound prospecting); codes are shared.
LEAD_SOURCES = CHANNELS
LEAD_SOURCE_P = [0.14, 0.10, 0.03, 0.06, 0.10, 0.07, 0.14, 0.08, 0.10, 0.08, 0.10]

# The touch a lead of each source arrives with, to give it a matching campaign.
_LEAD_SOURCE_TOUCH = {
    "paid_search": "ad_click",
    "paid_social": "ad_click",
    "display": "ad_click",
    "email": "email_click",
    "webinar": "webinar_registered",
    "event": "event_attended",
    "content": "ebook_download",
    "syndication": "content_syndication",
    "organic_search": "website_visit",
    "website": "demo_request",
    "sales": "sales_call",
}

STAGES = ["qualification", "discovery", "proposal", "negotiation", "closed_won", "closed_lost"]


@dataclass(frozen=True)
class TouchType:
    name: str
    team: str
    p_won: float  # share of won deals the type touches
    p_lost: float  # share of lost deals the type touches
    extra: float  # mean extra touches (Poisson) once present, before scaling
    channels: dict[str, float]
    anonymous: float  # share of touches without a known contact
    # when the touch happens: shares of (pre-opportunity, during the deal, burst
    # around creation, prospecting before creation, just before, just after)
    modes: tuple[float, float, float, float, float, float]


_MKT = (0.65, 0.15, 0.20, 0, 0, 0)
# p_won / p_lost: presence of the type over all won / all lost deals.
TOUCH_TYPES = [
    TouchType("ebook_download", "marketing", 0.40, 0.36, 0.3, {"content": 1}, 0, _MKT),
    TouchType("whitepaper_download", "marketing", 0.28, 0.25, 0.2, {"content": 1}, 0, _MKT),
    TouchType(
        "ad_view", "marketing", 0.50, 0.50, 3.0, {"display": 0.5, "paid_social": 0.5}, 1.0, (0.6, 0.25, 0.15, 0, 0, 0)
    ),
    TouchType(
        "ad_click", "marketing", 0.35, 0.31, 0.8, {"paid_search": 0.5, "paid_social": 0.3, "display": 0.2}, 0.6, _MKT
    ),
    # nurture emails keep flowing to stalled deals: a little more common in losses
    TouchType("email_open", "marketing", 0.70, 0.78, 3.0, {"email": 1}, 0, (0.55, 0.30, 0.15, 0, 0, 0)),
    TouchType("email_click", "marketing", 0.40, 0.36, 0.8, {"email": 1}, 0, (0.55, 0.30, 0.15, 0, 0, 0)),
    # registrations without attendance; every attendance adds its own registration
    TouchType("webinar_registered", "marketing", 0.25, 0.25, 0.2, {"webinar": 1}, 0, _MKT),
    TouchType("webinar_attended", "marketing", 0.45, 0.12, 0.2, {"webinar": 1}, 0, (0.70, 0.15, 0.15, 0, 0, 0)),
    TouchType("event_attended", "marketing", 0.22, 0.18, 0.1, {"event": 1}, 0, _MKT),
    TouchType(
        "website_visit",
        "marketing",
        0.85,
        0.82,
        3.0,
        {"website": 0.55, "organic_search": 0.45},
        0.5,
        (0.50, 0.25, 0.25, 0, 0, 0),
    ),
    TouchType("demo_request", "marketing", 0.40, 0.22, 0.0, {"website": 1}, 0, (0, 0, 0, 0, 1, 0)),
    TouchType("content_syndication", "marketing", 0.20, 0.20, 0.3, {"syndication": 1}, 0, _MKT),
    TouchType("sales_email", "sales", 0.85, 0.85, 3.0, {"sales": 1}, 0, (0, 0.55, 0.20, 0.25, 0, 0)),
    TouchType("sales_call", "sales", 0.70, 0.62, 1.5, {"sales": 1}, 0, (0, 0.60, 0.25, 0.15, 0, 0)),
    TouchType("sales_meeting", "sales", 0.75, 0.25, 1.0, {"sales": 1}, 0, (0, 0.65, 0, 0, 0, 0.35)),
    TouchType("linkedin_inmail", "sales", 0.30, 0.30, 0.5, {"sales": 1}, 0, (0, 0.30, 0.10, 0.60, 0, 0)),
]
TOUCHPOINT_TYPES = [t.name for t in TOUCH_TYPES]
_T = {name: i for i, name in enumerate(TOUCHPOINT_TYPES)}
_NT = len(TOUCH_TYPES)
_EMAIL_TYPES = [_T["email_open"], _T["email_click"], _T["sales_email"]]
# Presence of each email type in an email-only deal.
_EMAIL_ONLY_P = {"email_open": 0.8, "email_click": 0.3, "sales_email": 0.8}

WIN_RATE = {"Enterprise": 0.29, "Mid-Market": 0.38, "SMB": 0.47}
EMAIL_ONLY = {"won": 0.02, "lost": 0.16}
NO_TOUCH = 0.02
# Touch volume grows with the deal's size.
SEGMENT_TOUCH_FACTOR = {"Enterprise": 1.5, "Mid-Market": 1.0, "SMB": 0.7}
# Amounts: lognormal median and sigma, USD.
AMOUNT = {"Enterprise": (150_000, 0.7), "Mid-Market": (40_000, 0.6), "SMB": (10_000, 0.6)}
# Sales cycle: lognormal median days; lost deals die a little sooner.
CYCLE_DAYS = {"Enterprise": 120, "Mid-Market": 65, "SMB": 35}

# Campaigns: (name, channel, campaign_type, asset or None, started, ended or None,
# cost range in USD). Webinar and event series are half-yearly, so a touch's
# campaign follows from its date.
_HALF_YEARS = ["H1 2024", "H2 2024", "H1 2025", "H2 2025", "H1 2026", "H2 2026"]
_HY_START = ["2024-01-01", "2024-07-01", "2025-01-01", "2025-07-01", "2026-01-01", "2026-07-01"]
_HY_END = ["2024-06-30", "2024-12-31", "2025-06-30", "2025-12-31", "2026-06-30", "2026-12-31"]
_WEBINARS = [
    "Closing the Loop on Pipeline",
    "Attribution Without the Guesswork",
    "Sales + Marketing SLAs That Work",
    "Speed-to-Lead Masterclass",
    "From MQL to Revenue",
    "Board-Ready Marketing Metrics",
]
_EVENTS = [
    "RevOps Summit 2024",
    "Pipeline Live London 2024",
    "RevOps Summit 2025",
    "Pipeline Live London 2025",
    "RevOps Summit 2026",
    "Pipeline Live London 2026",
]
EBOOKS = ["ROI Guide eBook", "Attribution Playbook eBook", "Lead Scoring eBook"]
WHITEPAPERS = ["State of B2B Attribution Report", "Security Whitepaper", "Data Model Whitepaper"]
_ALWAYS_ON = "2024-01-01"


def _campaign_specs() -> list[tuple[str, str, str, str | None, str, str | None, tuple[float, float]]]:
    specs: list[tuple[str, str, str, str | None, str, str | None, tuple[float, float]]] = [
        ("Search - Brand", "paid_search", "paid_ads", None, _ALWAYS_ON, None, (60_000, 90_000)),
        ("Search - Competitor", "paid_search", "paid_ads", None, _ALWAYS_ON, None, (40_000, 70_000)),
        ("Search - Generic", "paid_search", "paid_ads", None, _ALWAYS_ON, None, (80_000, 120_000)),
        ("LinkedIn - ABM Enterprise", "paid_social", "paid_ads", None, _ALWAYS_ON, None, (90_000, 140_000)),
        ("LinkedIn - Retargeting", "paid_social", "paid_ads", None, _ALWAYS_ON, None, (30_000, 50_000)),
        ("Display - Retargeting", "display", "paid_ads", None, _ALWAYS_ON, None, (25_000, 40_000)),
        ("Display - Programmatic ABM", "display", "paid_ads", None, _ALWAYS_ON, None, (50_000, 80_000)),
        ("Nurture - New MQL", "email", "email", None, _ALWAYS_ON, None, (4_000, 8_000)),
        ("Newsletter", "email", "email", None, _ALWAYS_ON, None, (3_000, 6_000)),
        ("Product Launch Emails", "email", "email", None, "2025-03-01", "2025-04-30", (1_000, 3_000)),
        ("Re-engagement", "email", "email", None, _ALWAYS_ON, None, (2_000, 4_000)),
        (
            "Content Syndication - TechTarget",
            "syndication",
            "content_syndication",
            None,
            _ALWAYS_ON,
            None,
            (40_000, 60_000),
        ),
        ("Content Syndication - G2", "syndication", "content_syndication", None, _ALWAYS_ON, None, (20_000, 35_000)),
    ]
    for asset in EBOOKS + WHITEPAPERS:
        specs.append((asset, "content", "content", asset, _ALWAYS_ON, None, (5_000, 15_000)))
    for hy, title, start, end in zip(_HALF_YEARS, _WEBINARS, _HY_START, _HY_END, strict=True):
        # registration opens two weeks before a series starts
        promo = str(np.datetime64(start, "D") - np.timedelta64(14, "D"))
        specs.append((f"Webinar series {hy}", "webinar", "webinar", title, promo, end, (3_000, 9_000)))
    for hy, event, start, end in zip(_HALF_YEARS, _EVENTS, _HY_START, _HY_END, strict=True):
        specs.append((f"Field events {hy}", "event", "event", event, start, end, (20_000, 80_000)))
    return specs


CAMPAIGNS = _campaign_specs()
_CAMPAIGN_IDS = [f"C{i + 1:03d}" for i in range(len(CAMPAIGNS))]
ASSETS = EBOOKS + WHITEPAPERS + _WEBINARS + _EVENTS
_ASSET = {a: i for i, a in enumerate(ASSETS)}


def _days(iso: str) -> float:
    return float((np.datetime64(iso, "m") - EPOCH) / np.timedelta64(1, "D"))


_HY_BOUNDS = np.array([_days(s) for s in _HY_START[1:]])


# ---------------------------------------------------------------------------
# Progress on stderr.
class _Progress:
    """A one-line text progress bar; silent when disabled."""

    def __init__(self, enabled: bool, total: float) -> None:
        self.enabled = enabled
        self.total = total
        self.done = 0.0
        self.start = time.monotonic()

    def advance(self, amount: float, label: str) -> None:
        self.done = min(self.total, self.done + amount)
        if not self.enabled:
            return
        frac = self.done / self.total if self.total else 1.0
        filled = int(round(frac * 30))
        bar = "#" * filled + " " * (30 - filled)
        elapsed = time.monotonic() - self.start
        sys.stderr.write(f"\r[{bar}] {frac:4.0%} {label:<28} {elapsed:5.1f}s")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


# ---------------------------------------------------------------------------
# Helpers.
def _rng(seed: int, *stream: int) -> np.random.Generator:
    """An independent random stream per table / chunk, so chunking never shifts draws."""
    return np.random.default_rng([seed, *stream])


def _to_ts(days: np.ndarray) -> np.ndarray:
    minutes = np.floor(np.asarray(days) * 1440).astype(np.int64)
    return (EPOCH + minutes.astype("timedelta64[m]")).astype("datetime64[us]")


def _business_hours(days: np.ndarray) -> np.ndarray:
    """Move a time to 08:00-18:00 of its own day, keeping its place within the day."""
    day = np.floor(days)
    return day + (8 + 10 * (days - day)) / 24


def _cat(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int32), categories=categories)


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float | np.ndarray, n: int) -> np.ndarray:
    return np.asarray(median) * np.exp(rng.normal(0.0, 1.0, n) * sigma)


def _pick(rng: np.random.Generator, p: list[float] | np.ndarray, n: int) -> np.ndarray:
    cum = np.cumsum(p)
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(cum) - 1)


def _insert(con: duckdb.DuckDBPyConnection, table: str, select_sql: str, df: pd.DataFrame) -> None:
    con.register("src", df)
    try:
        # select_sql is fixed text of this module; the relation API names the table. It inserts by
        # position: every column of the table, dates_unknown (false: the sample has real dates) last
        con.sql(select_sql).insert_into(table)
    finally:
        con.unregister("src")


def _id(prefix: str, width: int, col: str) -> str:
    """SQL that formats a 0-based integer column as a 1-based string id."""
    return f"printf('{prefix}%0{width}d', {col} + 1)"


def _opt_id(prefix: str, width: int, col: str) -> str:
    return f"case when {col} >= 0 then {_id(prefix, width, col)} end"


# Per-type tables as arrays.
_P_WON = np.array([t.p_won for t in TOUCH_TYPES])
_P_LOST = np.array([t.p_lost for t in TOUCH_TYPES])
_EXTRA = np.array([t.extra for t in TOUCH_TYPES])
_ANON = np.array([t.anonymous for t in TOUCH_TYPES])
_TEAM = np.array([0 if t.team == "marketing" else 1 for t in TOUCH_TYPES], dtype=np.int8)
_MODE_CUM = np.cumsum(np.array([t.modes for t in TOUCH_TYPES], dtype=float), axis=1)
_MODE_CUM /= _MODE_CUM[:, -1:]
_CH_CUM = np.zeros((_NT, len(CHANNELS)))
for _i, _t in enumerate(TOUCH_TYPES):
    for _c, _share in _t.channels.items():
        _CH_CUM[_i, _CH[_c]] = _share
_CH_CUM = np.cumsum(_CH_CUM, axis=1)
_CH_CUM /= _CH_CUM[:, -1:]
_P_EMAIL_ONLY = np.zeros(_NT)
for _name, _p in _EMAIL_ONLY_P.items():
    _P_EMAIL_ONLY[_T[_name]] = _p


def _presence_tables() -> tuple[np.ndarray, np.ndarray]:
    """Presence probabilities in deals that are not email-only, by outcome.

    TOUCH_TYPES gives each type's presence over ALL won and ALL lost deals. The
    email-only deals (mostly lost) carry no other type, so without rescaling
    every non-email type would look like a win signal; dividing by the share of
    deals that are not email-only restores the intended figures (and keeps
    ad_view exactly neutral).
    """
    keep = np.ones(_NT, dtype=bool)
    keep[_EMAIL_TYPES] = False
    won = np.where(keep, _P_WON / (1 - EMAIL_ONLY["won"]), _P_WON)
    lost = np.where(keep, _P_LOST / (1 - EMAIL_ONLY["lost"]), _P_LOST)
    return won, lost


_PRESENCE_WON, _PRESENCE_LOST = _presence_tables()
_LEAD_SOURCE_TYPE = np.array([_T[_LEAD_SOURCE_TOUCH[s]] for s in LEAD_SOURCES])


def _touch_scale(touches_per_deal: float, other_per_deal: float) -> float:
    """The factor on extra touches that makes the expected total per deal hit the target."""
    w = float(np.dot(SEGMENT_P, [WIN_RATE[s] for s in SEGMENTS]))
    f = float(np.dot(SEGMENT_P, [SEGMENT_TOUCH_FACTOR[s] for s in SEGMENTS]))
    eo = w * EMAIL_ONLY["won"] + (1 - w) * EMAIL_ONLY["lost"]
    normal = w * (1 - EMAIL_ONLY["won"]) * _PRESENCE_WON + (1 - w) * (1 - EMAIL_ONLY["lost"]) * _PRESENCE_LOST
    p = (normal + eo * _P_EMAIL_ONLY) * (1 - NO_TOUCH)
    att = _T["webinar_attended"]
    base = p.sum() + p[att]  # every attendance brings its own registration
    per_extra = float(np.dot(p, _EXTRA) + p[att] * _EXTRA[att]) * f
    target = touches_per_deal - other_per_deal
    return max(0.0, (target - base) / per_extra)


# ---------------------------------------------------------------------------
# The generator.
@dataclass
class _Deals:
    n: int
    account: np.ndarray
    segment: np.ndarray
    created: np.ndarray
    end: np.ndarray  # close time, or the reference time for open deals
    closed: np.ndarray  # bool
    won: np.ndarray  # latent outcome, also for open deals
    journey: np.ndarray  # days of marketing before creation
    email_only: np.ndarray
    no_touch: np.ndarray
    dc_offset: np.ndarray  # first row of the deal in deal_contacts
    dc_count: np.ndarray
    dc_contact: np.ndarray  # contact of each deal_contacts row


def generate(
    db_path: str | Path = db.DEFAULT_DB,
    deals: int = DEFAULT_DEALS,
    seed: int = DEFAULT_SEED,
    progress: bool = True,
    touches_per_deal: float = DEFAULT_TOUCHES_PER_DEAL,
    force: bool = False,
) -> dict[str, int]:
    """Write a new sample database at `db_path` and return its row count per table.

    Refuses to replace an existing file unless `force`. The database is built
    beside the target and moved into place at the end, so an interrupted run
    never leaves half a database behind.
    """
    if deals < 1:
        raise ValueError(f"--deals must be at least 1, got {deals}.")
    if touches_per_deal < 1:
        raise ValueError(f"--touches-per-deal must be at least 1, got {touches_per_deal}.")
    path = Path(db_path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} already exists; pass --force (force=True) to replace it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    for stale in (tmp, Path(str(tmp) + ".wal")):
        stale.unlink(missing_ok=True)

    bar = _Progress(progress, total=100.0)
    con = duckdb.connect(str(tmp))
    try:
        db.create_schema(con)
        bar.advance(0, "schema")
        counts = _build(con, deals, seed, touches_per_deal, bar)
        bar.advance(0, "derived tables")
        derived.refresh(con)
        con.execute(
            "insert or replace into schema_info values "
            "('sample_seed', $seed), ('sample_deals', $deals), ('sample_reference_date', $ref)",
            {"seed": str(seed), "deals": str(deals), "ref": REFERENCE_DATE},
        )
        con.execute("checkpoint")
        derived.seal(con)
    except BaseException:
        con.close()
        for partial in (tmp, Path(str(tmp) + ".wal")):
            partial.unlink(missing_ok=True)
        raise
    con.close()
    Path(str(path) + ".wal").unlink(missing_ok=True)
    os.replace(tmp, path)
    bar.advance(bar.total, "done")
    bar.finish()
    return counts


def _build(
    con: duckdb.DuckDBPyConnection, n_deals: int, seed: int, touches_per_deal: float, bar: _Progress
) -> dict[str, int]:
    # --- accounts ---------------------------------------------------------
    rng = _rng(seed, 1)
    n_deal_accounts = max(1, round(n_deals * 0.75))
    n_lead_accounts = max(1, round(n_deals * 0.35))  # accounts with leads but no deal
    n_acc = n_deal_accounts + n_lead_accounts
    seg = _pick(rng, SEGMENT_P, n_acc)
    region = _pick(rng, REGION_P, n_acc)
    industry = _pick(rng, INDUSTRY_P, n_acc)
    med = np.array([EMPLOYEES[s][0] for s in SEGMENTS])[seg]
    lo = np.array([EMPLOYEES[s][1] for s in SEGMENTS])[seg]
    hi = np.array([EMPLOYEES[s][2] for s in SEGMENTS])[seg]
    employees = np.clip(np.round(_lognormal(rng, med, 0.8, n_acc)), lo, hi).astype(np.int32)
    n_combos = len(NAME_PREFIXES) * len(NAME_SUFFIXES)
    combo = rng.permutation(n_combos)[np.arange(n_acc) % n_combos]
    repeat = np.arange(n_acc) // n_combos
    # contacts per account grow with the segment
    extra_contacts = np.array([4.0, 2.0, 1.0])[seg]
    n_contacts_acc = (2 + rng.poisson(extra_contacts)).astype(np.int64)
    contact_offset = np.concatenate([[0], np.cumsum(n_contacts_acc)[:-1]])
    # which accounts hold deals: a random subset, so ids don't give it away
    acc_perm = rng.permutation(n_acc)
    deal_accounts, lead_accounts = acc_perm[:n_deal_accounts], acc_perm[n_deal_accounts:]
    _insert(
        con,
        "accounts",
        f"select {_id('A', 7, 'i')}, cast(prefix as varchar) || ' ' || cast(suffix as varchar) || "
        "case when rep > 0 then ' ' || cast(rep + 1 as varchar) else '' end, "
        "industry, segment, region, employees from src",
        pd.DataFrame(
            {
                "i": np.arange(n_acc),
                "prefix": _cat(combo // len(NAME_SUFFIXES), NAME_PREFIXES),
                "suffix": _cat(combo % len(NAME_SUFFIXES), NAME_SUFFIXES),
                "rep": repeat,
                "industry": _cat(industry, INDUSTRIES),
                "segment": _cat(seg, SEGMENTS),
                "region": _cat(region, REGIONS),
                "employees": employees,
            }
        ),
    )
    bar.advance(_WEIGHT["accounts"], "accounts")

    # --- deals ------------------------------------------------------------
    rng = _rng(seed, 2)
    n = n_deals
    # every deal account gets one deal; the rest are further deals on them
    repeat_deals = deal_accounts[rng.integers(0, n_deal_accounts, n - n_deal_accounts)]
    account = np.concatenate([deal_accounts, repeat_deals])
    account = account[rng.permutation(n)] if n > n_deal_accounts else account[:n]
    dseg = seg[account]
    # creation dates grow with the business: density rising linearly by 60%
    g = 0.6
    u = rng.random(n)
    x = (np.sqrt(1 + 2 * g * u * (1 + g / 2)) - 1) / g
    created = _business_hours(_FIRST_DEAL + x * (_REF - 1 - _FIRST_DEAL))
    order = np.argsort(created, kind="stable")  # deal ids follow creation order
    account, dseg, created = account[order], dseg[order], created[order]
    win_rate = np.array([WIN_RATE[s] for s in SEGMENTS])[dseg]
    won = rng.random(n) < win_rate
    cycle = _lognormal(rng, np.array([CYCLE_DAYS[s] for s in SEGMENTS])[dseg], 0.5, n)
    cycle = np.maximum(3.0, cycle)
    close_at = _business_hours(created + cycle)
    closed = close_at <= _REF
    end = np.where(closed, close_at, _REF)
    owner_lists = [OWNERS_BY_REGION[r] for r in REGIONS]
    owner_base = np.array([OWNERS.index(lst[0]) for lst in owner_lists])
    owner_n = np.array([len(lst) for lst in owner_lists])
    dregion = region[account]
    owner = owner_base[dregion] + np.floor(rng.random(n) * owner_n[dregion]).astype(np.int64)
    amount = np.round(
        _lognormal(
            rng,
            np.array([AMOUNT[s][0] for s in SEGMENTS])[dseg],
            np.array([AMOUNT[s][1] for s in SEGMENTS])[dseg],
            n,
        ),
        -2,
    )
    amount = np.maximum(amount, 1000.0)
    product = rng.integers(0, len(PRODUCTS), n)
    journey = rng.uniform(45, 165, n)
    email_only = rng.random(n) < np.where(won, EMAIL_ONLY["won"], EMAIL_ONLY["lost"])
    no_touch = (rng.random(n) < NO_TOUCH) & ~email_only

    # stage history: won deals pass every stage; lost ones drop out after
    # reaching one; open ones are wherever the calendar has got them to
    reached = np.where(won, 3, _pick(rng, [0.30, 0.30, 0.25, 0.15], n))
    steps = np.sort(rng.uniform(0.05, 1.0, (n, 3)), axis=1) * 0.95
    entered = np.column_stack([created, created[:, None] + cycle[:, None] * steps])  # (n, 4)
    keep = np.arange(4)[None, :] <= np.where(closed, reached, 3)[:, None]
    keep &= entered <= _REF
    last_open_stage = keep.sum(axis=1) - 1
    stage = np.where(closed, np.where(won, 4, 5), last_open_stage)
    outcome = np.where(closed, np.where(won, 0, 1), 2)
    rows, cols = np.nonzero(keep)
    hist_deal = np.concatenate([rows, np.flatnonzero(closed)])
    hist_stage = np.concatenate([cols, np.where(won, 4, 5)[closed]])
    hist_at = np.concatenate([entered[rows, cols], close_at[closed]])
    _insert(
        con,
        "deals",
        f"select {_id('D', 7, 'd.i')}, {_id('A', 7, 'd.account')}, "
        "a.name || ' – ' || cast(d.product as varchar), d.owner, "
        "d.created_at, d.closed_at, d.stage, d.outcome, d.amount, false "
        f"from src as d join accounts as a on a.account_id = {_id('A', 7, 'd.account')}",
        pd.DataFrame(
            {
                "i": np.arange(n),
                "account": account,
                "product": _cat(product, PRODUCTS),
                "owner": _cat(owner, OWNERS),
                "created_at": _to_ts(created),
                "closed_at": pd.Series(_to_ts(close_at)).where(closed),
                "stage": _cat(stage, STAGES),
                "outcome": _cat(outcome, ["won", "lost", "open"]),
                "amount": amount,
            }
        ),
    )
    _insert(
        con,
        "deal_stage_history",
        f"select {_id('D', 7, 'deal')}, stage, entered_at from src",
        pd.DataFrame(
            {
                "deal": hist_deal,
                "stage": _cat(hist_stage, STAGES),
                "entered_at": _to_ts(hist_at),
            }
        ),
    )
    bar.advance(_WEIGHT["deals"], "deals")

    # --- deal contacts ----------------------------------------------------
    rng = _rng(seed, 3)
    m = n_contacts_acc[account]
    want = 1 + rng.poisson(np.array([2.0, 1.2, 0.5])[dseg])
    dc_count = np.minimum(want, m)
    dc_offset = np.concatenate([[0], np.cumsum(dc_count)[:-1]])
    start = np.floor(rng.random(n) * m).astype(np.int64)
    dc_deal = np.repeat(np.arange(n), dc_count)
    j = np.arange(dc_count.sum()) - np.repeat(dc_offset, dc_count)
    # consecutive contacts from a random start: distinct without sampling loops
    dc_contact = contact_offset[account[dc_deal]] + (start[dc_deal] + j) % m[dc_deal]

    # --- contacts (titles now; created_at once leads are known) -------------
    n_contacts = int(n_contacts_acc.sum())
    contact_account = np.repeat(np.arange(n_acc), n_contacts_acc)
    title = _pick(rng, TITLE_P, n_contacts)
    personas = list(dict.fromkeys(p for _, p in TITLES))
    persona = np.array([personas.index(p) for _, p in TITLES])[title]
    role_of_persona = np.array([ROLES.index(ROLE_FROM_PERSONA[p]) for p in personas])
    role = np.where(rng.random(len(dc_contact)) < 0.2, ROLES.index("influencer"), role_of_persona[persona[dc_contact]])
    _insert(
        con,
        "deal_contacts",
        f"select {_id('D', 7, 'deal')}, {_id('K', 8, 'contact')}, role from src",
        pd.DataFrame({"deal": dc_deal, "contact": dc_contact, "role": _cat(role, ROLES)}),
    )
    bar.advance(_WEIGHT["deal_contacts"], "deal contacts")

    # --- leads --------------------------------------------------------------
    rng = _rng(seed, 4)
    # 1) the lead each deal grew from, on its first contact
    lead_created_d = created - journey * rng.uniform(0.3, 0.9, n)
    src_d = _pick(rng, LEAD_SOURCE_P, n)
    # 2) leads that never became a deal: on lead-only accounts and on other
    #    contacts of deal accounts
    n_lo = len(lead_accounts)
    lo_acc = np.concatenate([lead_accounts, lead_accounts[rng.random(n_lo) < 0.3]])
    extra_acc = account[rng.random(n) < 0.3]
    o_acc = np.concatenate([lo_acc, extra_acc])
    n_o = len(o_acc)
    o_contact = contact_offset[o_acc] + np.floor(rng.random(n_o) * n_contacts_acc[o_acc]).astype(np.int64)
    o_created = rng.uniform(_FIRST_DEAL - 150, _REF - 1, n_o)
    src_o = _pick(rng, LEAD_SOURCE_P, n_o)

    n_leads = n + n_o
    is_deal_lead = np.arange(n_leads) < n
    l_created = _business_hours(np.concatenate([lead_created_d, o_created]))
    l_acc = np.concatenate([account, o_acc])
    l_contact = np.concatenate([dc_contact[dc_offset], o_contact])
    l_source = np.concatenate([src_d, src_o])
    deal_limit = np.concatenate([created, np.full(n_o, np.inf)])
    has_mql = is_deal_lead | (rng.random(n_leads) < 0.85)
    mql = l_created + rng.exponential(1.5, n_leads)
    assigned_ok = has_mql & (is_deal_lead | (rng.random(n_leads) < 0.95))
    assigned = mql + _lognormal(rng, 1.5 / 24, 1.0, n_leads)
    # follow-up: most within hours, some days late, some never
    fu_kind = np.where(is_deal_lead, _pick(rng, [0.80, 0.15, 0.05], n_leads), _pick(rng, [0.55, 0.15, 0.30], n_leads))
    fu_delay = np.where(fu_kind == 0, _lognormal(rng, 3 / 24, 1.0, n_leads), rng.uniform(1.0, 10.0, n_leads))
    follow_up = assigned + fu_delay
    # a deal's lead is worked before the deal exists
    mql = np.minimum(mql, deal_limit - 2)
    assigned = np.clip(assigned, mql, deal_limit - 1.5)
    follow_up = np.clip(follow_up, assigned, deal_limit - 1)
    has_fu = assigned_ok & (fu_kind < 2) & (follow_up <= _REF)
    accept_base = np.where(has_fu, follow_up, assigned)
    accepted = np.minimum(accept_base + rng.uniform(0.5, 5.0, n_leads), deal_limit - 0.5)
    outcome_draw = rng.random(n_leads)
    is_accepted = assigned_ok & (is_deal_lead | (has_fu & (outcome_draw < 0.25))) & (accepted <= _REF)
    is_disq = ~is_deal_lead & has_fu & (outcome_draw >= 0.25) & (outcome_draw < 0.70)
    disq_at = follow_up + rng.uniform(0.5, 14.0, n_leads)
    is_disq &= disq_at <= _REF
    # leads never followed up are dropped as "no response" now and then, too
    stale = ~is_deal_lead & assigned_ok & ~has_fu & (outcome_draw < 0.3) & (assigned + 30 <= _REF)
    disq_at = np.where(stale, assigned + 30, disq_at)
    disq_reason = np.where(stale, DISQUALIFY_REASONS.index("no response"), _pick(rng, DISQUALIFY_P, n_leads))
    is_disq |= stale
    has_mql &= mql <= _REF
    assigned_ok &= has_mql & (assigned <= _REF)
    l_owner = np.where(
        is_deal_lead,
        np.concatenate([owner, np.zeros(n_o, dtype=np.int64)]),
        owner_base[region[l_acc]] + np.floor(rng.random(n_leads) * owner_n[region[l_acc]]).astype(np.int64),
    )
    l_campaign, _ = _campaign_and_asset(rng, _LEAD_SOURCE_TYPE[l_source], l_source, l_created)
    _insert(
        con,
        "leads",
        f"select {_id('L', 8, 'i')}, {_id('K', 8, 'contact')}, {_id('A', 7, 'account')}, source_channel, "
        "created_at, mql_at, assigned_at, owner, first_follow_up_at, accepted_at, disqualified_at, "
        f"disqualify_reason, {_opt_id('C', 3, 'campaign')}, false from src",
        pd.DataFrame(
            {
                "i": np.arange(n_leads),
                "contact": l_contact,
                "account": l_acc,
                "source_channel": _cat(l_source, LEAD_SOURCES),
                "created_at": _to_ts(l_created),
                "mql_at": pd.Series(_to_ts(np.minimum(mql, _REF))).where(has_mql),
                "assigned_at": pd.Series(_to_ts(np.minimum(assigned, _REF))).where(assigned_ok),
                "owner": _cat(np.where(assigned_ok, l_owner, -1), OWNERS),
                "first_follow_up_at": pd.Series(_to_ts(np.minimum(follow_up, _REF))).where(has_fu & assigned_ok),
                "accepted_at": pd.Series(_to_ts(accepted)).where(is_accepted),
                "disqualified_at": pd.Series(_to_ts(np.minimum(disq_at, _REF))).where(is_disq),
                "disqualify_reason": _cat(np.where(is_disq, disq_reason, -1), DISQUALIFY_REASONS),
                "campaign": l_campaign,
            }
        ),
    )
    bar.advance(_WEIGHT["leads"], "leads")

    # --- contacts: known from their account's first signal, or their lead --
    first_seen = np.full(n_acc, _REF)
    np.minimum.at(first_seen, account, created - journey)
    np.minimum.at(first_seen, o_acc, o_created)
    c_created = np.minimum(first_seen[contact_account] + rng.exponential(30.0, n_contacts), _REF)
    np.minimum.at(c_created, l_contact, l_created)
    _insert(
        con,
        "contacts",
        f"select {_id('K', 8, 'i')}, {_id('A', 7, 'account')}, title, persona, created_at from src",
        pd.DataFrame(
            {
                "i": np.arange(n_contacts),
                "account": contact_account,
                "title": _cat(title, [t for t, _ in TITLES]),
                "persona": _cat(persona, personas),
                "created_at": _to_ts(_business_hours(c_created)),
            }
        ),
    )
    bar.advance(_WEIGHT["contacts"], "contacts")

    # --- campaigns ----------------------------------------------------------
    rng = _rng(seed, 5)
    cost = np.round([rng.uniform(*spec[6]) for spec in CAMPAIGNS], -2)
    _insert(
        con,
        "campaigns",
        "select campaign_id, name, channel, campaign_type, cost, started_at, ended_at from src",
        pd.DataFrame(
            {
                "campaign_id": _CAMPAIGN_IDS,
                "name": [c[0] for c in CAMPAIGNS],
                "channel": [c[1] for c in CAMPAIGNS],
                "campaign_type": [c[2] for c in CAMPAIGNS],
                "cost": cost,
                "started_at": pd.to_datetime([c[4] for c in CAMPAIGNS]).astype("datetime64[us]"),
                "ended_at": pd.to_datetime([c[5] for c in CAMPAIGNS]).astype("datetime64[us]"),
            }
        ),
    )
    bar.advance(_WEIGHT["campaigns"], "campaigns")

    # --- touchpoints --------------------------------------------------------
    deal_state = _Deals(
        n=n,
        account=account,
        segment=dseg,
        created=created,
        end=end,
        closed=closed,
        won=won,
        journey=journey,
        email_only=email_only,
        no_touch=no_touch,
        dc_offset=dc_offset,
        dc_count=dc_count,
        dc_contact=dc_contact,
    )
    # Touches outside deals: ~3.5 per non-converting lead on a lead-only
    # account, and a few after a deal's close (which must never count).
    other_per_deal = (len(lo_acc) * 3.5 + n * 0.1 * 1.0) / n
    scale = _touch_scale(touches_per_deal, other_per_deal)
    next_id = 0
    for k, i0 in enumerate(range(0, n, _CHUNK_DEALS)):
        i1 = min(n, i0 + _CHUNK_DEALS)
        df = _deal_touches(_rng(seed, 100, k), deal_state, i0, i1, scale, n_contacts_acc, contact_offset)
        df["i"] = np.arange(next_id, next_id + len(df))
        next_id += len(df)
        _insert_touches(con, df)
        bar.advance(_WEIGHT["touchpoints"] * (i1 - i0) / n, f"touchpoints {i1:,}/{n:,} deals")
    rng = _rng(seed, 6)
    df = _lead_touches(rng, o_acc[: len(lo_acc)], o_contact[: len(lo_acc)], o_created[: len(lo_acc)])
    post = _post_close_touches(rng, deal_state)
    df = pd.concat([df, post], ignore_index=True)
    df["i"] = np.arange(next_id, next_id + len(df))
    _insert_touches(con, df)
    bar.advance(_WEIGHT["other_touchpoints"], "touchpoints outside deals")
    _insert_review_site_visits(con, _rng(seed, 8))

    _insert_spend(con, _rng(seed, 7))

    tables = [
        "accounts",
        "contacts",
        "leads",
        "campaigns",
        "touchpoints",
        "deals",
        "deal_contacts",
        "deal_stage_history",
        "spend",
    ]
    return {t: int(con.table(t).count("*").fetchall()[0][0]) for t in tables}


# Spend per campaign and month (docs/spend.md): each month's spend is the campaign's touches that
# month times its channel's cost per touch, as a multiple of the sample's won revenue per touch,
# with +-20% noise. Paid search, email and content pay back several times; paid social about
# breaks even; display and field events cost more than they return (ROAS below 1 under linear).
SPEND_PER_TOUCH = {
    "paid_search": 0.25,
    "email": 0.05,
    "content": 0.15,
    "webinar": 0.35,
    "syndication": 0.6,
    "paid_social": 1.0,
    "display": 2.5,
    "event": 2.0,
}


def _insert_spend(con: duckdb.DuckDBPyConnection, rng: np.random.Generator) -> None:
    """Spend rows by campaign and month, from the touches the campaigns made (SPEND_PER_TOUCH)."""
    per_touch = con.sql(
        "select coalesce(sum(amount) filter (where outcome = 'won'), 0) "
        "/ greatest((select count(*) from touchpoints), 1) from deals"
    ).fetchall()[0][0]
    monthly = con.sql(
        "select t.campaign_id, c.channel, cast(date_trunc('month', t.occurred_at) as date) as spend_date, "
        "count(*) as touches from touchpoints as t join campaigns as c on c.campaign_id = t.campaign_id "
        "where t.team = 'marketing' group by all order by all"
    ).df()
    factor = monthly["channel"].map(SPEND_PER_TOUCH).fillna(0.5).to_numpy()
    noise = rng.uniform(0.8, 1.2, len(monthly))
    monthly["amount"] = np.round(monthly["touches"].to_numpy() * factor * float(per_touch) * noise, 2)
    _insert(
        con,
        "spend",
        "select spend_date, '', campaign_id, amount from src",
        monthly[["spend_date", "campaign_id", "amount"]],
    )


def _campaign_for_channel(rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
    """A random always-on campaign of each channel (-1 where the channel has none)."""
    by_channel: dict[int, list[int]] = {}
    for ci, spec in enumerate(CAMPAIGNS):
        if spec[4] == _ALWAYS_ON and spec[5] is None and spec[3] is None:
            by_channel.setdefault(_CH[spec[1]], []).append(ci)
    width = max(len(v) for v in by_channel.values())
    table = np.full((len(CHANNELS), width), -1, dtype=np.int64)
    count = np.zeros(len(CHANNELS), dtype=np.int64)
    for ch, lst in by_channel.items():
        table[ch, : len(lst)] = lst
        count[ch] = len(lst)
    pick = np.floor(rng.random(len(channel)) * np.maximum(count[channel], 1)).astype(np.int64)
    return np.where(count[channel] > 0, table[channel, pick], -1)


def _half_year(t: np.ndarray) -> np.ndarray:
    return np.searchsorted(_HY_BOUNDS, t, side="right")


def _campaign_and_asset(
    rng: np.random.Generator, typ: np.ndarray, channel: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Campaign and asset of each touch, consistent with its type, channel and date."""
    n = len(typ)
    campaign = _campaign_for_channel(rng, channel)
    asset = np.full(n, -1, dtype=np.int64)
    hy = _half_year(t)
    webinar_first = next(i for i, c in enumerate(CAMPAIGNS) if c[1] == "webinar")
    event_first = next(i for i, c in enumerate(CAMPAIGNS) if c[1] == "event")
    content_first = next(i for i, c in enumerate(CAMPAIGNS) if c[1] == "content")
    is_web = (typ == _T["webinar_registered"]) | (typ == _T["webinar_attended"])
    campaign = np.where(is_web, webinar_first + hy, campaign)
    asset = np.where(is_web, _ASSET[_WEBINARS[0]] + hy, asset)
    is_event = typ == _T["event_attended"]
    campaign = np.where(is_event, event_first + hy, campaign)
    asset = np.where(is_event, _ASSET[_EVENTS[0]] + hy, asset)
    pick3 = np.floor(rng.random(n) * 3).astype(np.int64)
    is_ebook = typ == _T["ebook_download"]
    campaign = np.where(is_ebook, content_first + pick3, campaign)
    asset = np.where(is_ebook, _ASSET[EBOOKS[0]] + pick3, asset)
    is_wp = typ == _T["whitepaper_download"]
    campaign = np.where(is_wp, content_first + 3 + pick3, campaign)
    asset = np.where(is_wp, _ASSET[WHITEPAPERS[0]] + pick3, asset)
    # syndication partners distribute our eBooks and whitepapers
    is_synd = typ == _T["content_syndication"]
    asset = np.where(is_synd, np.floor(rng.random(n) * 6).astype(np.int64), asset)
    return campaign, asset


def _deal_touches(
    rng: np.random.Generator,
    d: _Deals,
    i0: int,
    i1: int,
    scale: float,
    n_contacts_acc: np.ndarray,
    contact_offset: np.ndarray,
) -> pd.DataFrame:
    n = i1 - i0
    won = d.won[i0:i1]
    eo = d.email_only[i0:i1]
    seg = d.segment[i0:i1]
    probs = np.where(won[:, None], _PRESENCE_WON, _PRESENCE_LOST)
    probs = np.where(eo[:, None], _P_EMAIL_ONLY, probs)
    present = rng.random((n, _NT)) < probs
    # an email-only deal has at least one email
    none = eo & ~present[:, _EMAIL_TYPES].any(axis=1)
    present[none, _T["email_open"]] = True
    present[d.no_touch[i0:i1]] = False
    factor = np.array([SEGMENT_TOUCH_FACTOR[s] for s in SEGMENTS])[seg]
    count = present * (1 + rng.poisson(scale * _EXTRA[None, :] * factor[:, None]))

    flat = np.repeat(np.arange(n * _NT), count.ravel())
    local = flat // _NT
    typ = flat % _NT
    m = len(flat)
    c = d.created[i0:i1][local]
    end = d.end[i0:i1][local]
    journey = d.journey[i0:i1][local]
    span = end - c

    mode = (rng.random(m)[:, None] > _MODE_CUM[typ]).sum(axis=1)
    u = rng.random(m)
    cand = np.select(
        [mode == 0, mode == 1, mode == 2, mode == 3, mode == 4],
        [
            c - journey * u**1.5,  # pre-opportunity marketing, denser near creation
            c + span * u,  # during the deal
            c + rng.normal(0.0, 3.0, m),  # burst around opportunity creation
            c - 30 * u,  # sales prospecting
            c - rng.exponential(4.0, m),  # just before creation (demo requests)
        ],
        c + np.abs(rng.normal(0.0, 5.0, m)),  # just after creation (first meetings)
    )
    lo = c - _MAX_LOOKBACK
    hi = end - _MINUTE
    t = np.clip(_business_hours(cand), lo, hi)

    # every attendance was preceded by a registration
    att = np.flatnonzero(typ == _T["webinar_attended"])
    reg_t = np.maximum(_business_hours(t[att] - rng.uniform(1.0, 12.0, len(att))), lo[att])
    local = np.concatenate([local, local[att]])
    typ = np.concatenate([typ, np.full(len(att), _T["webinar_registered"])])
    t = np.concatenate([t, reg_t])
    m = len(t)

    channel = (rng.random(m)[:, None] > _CH_CUM[typ]).sum(axis=1)
    # registration and attendance share the webinar (series) of the attendance
    campaign_t = t.copy()
    campaign_t[m - len(att) :] = t[att]
    campaign, asset = _campaign_and_asset(rng, typ, channel, campaign_t)

    deal = local + i0
    acc = d.account[deal]
    anon = rng.random(m) < _ANON[typ]
    from_deal = rng.random(m) < 0.9
    dc_pick = d.dc_offset[deal] + np.floor(rng.random(m) * d.dc_count[deal]).astype(np.int64)
    any_pick = contact_offset[acc] + np.floor(rng.random(m) * n_contacts_acc[acc]).astype(np.int64)
    contact = np.where(anon, -1, np.where(from_deal, d.dc_contact[dc_pick], any_pick))

    order = np.lexsort((typ, t, deal))
    return pd.DataFrame(
        {
            "occurred_at": _to_ts(t[order]),
            "account": acc[order],
            "contact": contact[order],
            "type": typ[order],
            "channel": channel[order],
            "campaign": campaign[order],
            "asset": asset[order],
        }
    )


def _lead_touches(rng: np.random.Generator, acc: np.ndarray, contact: np.ndarray, created: np.ndarray) -> pd.DataFrame:
    """A few marketing touches around each lead that never became a deal."""
    types = np.array(
        [
            _T[x]
            for x in (
                "ebook_download",
                "whitepaper_download",
                "ad_click",
                "email_open",
                "email_click",
                "website_visit",
                "webinar_registered",
                "content_syndication",
                "ad_view",
            )
        ]
    )
    p = np.array([0.14, 0.08, 0.12, 0.22, 0.08, 0.18, 0.06, 0.06, 0.06])
    k = 1 + rng.poisson(2.5, len(acc))
    lead = np.repeat(np.arange(len(acc)), k)
    m = len(lead)
    typ = types[_pick(rng, p, m)]
    t = np.minimum(_business_hours(created[lead] + rng.uniform(-20.0, 45.0, m)), _REF)
    channel = (rng.random(m)[:, None] > _CH_CUM[typ]).sum(axis=1)
    campaign, asset = _campaign_and_asset(rng, typ, channel, t)
    anon = rng.random(m) < _ANON[typ]
    order = np.lexsort((t, lead))
    return pd.DataFrame(
        {
            "occurred_at": _to_ts(t[order]),
            "account": acc[lead][order],
            "contact": np.where(anon, -1, contact[lead])[order],
            "type": typ[order],
            "channel": channel[order],
            "campaign": campaign[order],
            "asset": asset[order],
        }
    )


def _post_close_touches(rng: np.random.Generator, d: _Deals) -> pd.DataFrame:
    """Newsletter opens and site visits after a close: real, and never credited to that deal."""
    pick = np.flatnonzero(d.closed & (rng.random(d.n) < 0.1))
    t = _business_hours(d.end[pick] + rng.uniform(1.0, 30.0, len(pick)))
    pick, t = pick[t <= _REF], t[t <= _REF]
    m = len(pick)
    typ = np.where(rng.random(m) < 0.5, _T["email_open"], _T["website_visit"])
    channel = (rng.random(m)[:, None] > _CH_CUM[typ]).sum(axis=1)
    campaign, asset = _campaign_and_asset(rng, typ, channel, t)
    dc_pick = d.dc_offset[pick] + np.floor(rng.random(m) * d.dc_count[pick]).astype(np.int64)
    contact = np.where(rng.random(m) < _ANON[typ], -1, d.dc_contact[dc_pick])
    return pd.DataFrame(
        {
            "occurred_at": _to_ts(t),
            "account": d.account[pick],
            "contact": contact,
            "type": typ,
            "channel": channel,
            "campaign": campaign,
            "asset": asset,
        }
    )


# A channel whose raw lift is the kind of account it reaches (docs/sample.md; the adjusted lift
# of docs/attribution.md): review-site visits (website_visit on channel review_sites) reach most
# SMB accounts, which win more often (WIN_RATE), and few others, independently of the outcome.
# Its raw lift is positive; within segment it is none.
REVIEW_SITE_REACH = {"Enterprise": 0.02, "Mid-Market": 0.05, "SMB": 0.95}


def _insert_review_site_visits(con: duckdb.DuckDBPyConnection, rng: np.random.Generator) -> None:
    """One review-site visit 1-60 days before the creation of a deal, with the segment's REVIEW_SITE_REACH."""
    deals = con.sql(
        "select d.account_id, d.created_at, a.segment from deals as d join accounts as a using (account_id) "
        "order by d.deal_id"
    ).df()
    reach = deals["segment"].astype(str).map(REVIEW_SITE_REACH).fillna(0.0).to_numpy()
    picked = deals[rng.random(len(deals)) < reach]
    back = pd.to_timedelta(np.round(rng.uniform(1.0, 60.0, len(picked)) * 24 * 60), unit="min")
    src = pd.DataFrame(
        {
            "i": np.arange(len(picked)),
            "occurred_at": (picked["created_at"] - back).to_numpy(),
            "account_id": picked["account_id"].to_numpy(),
        }
    )
    _insert(
        con,
        "touchpoints",
        f"select {_id('TR', 8, 'i')}, occurred_at, account_id, null, 'marketing', 'review_sites', "
        "'website_visit', null, null, false from src",
        src,
    )


def _insert_touches(con: duckdb.DuckDBPyConnection, df: pd.DataFrame) -> None:
    src = pd.DataFrame(
        {
            "i": df["i"].to_numpy(),
            "occurred_at": df["occurred_at"].to_numpy(),
            "account": df["account"].to_numpy(),
            "contact": df["contact"].to_numpy(),
            "team": _cat(_TEAM[df["type"].to_numpy()], ["marketing", "sales"]),
            "channel": _cat(df["channel"].to_numpy(), CHANNELS),
            "touchpoint_type": _cat(df["type"].to_numpy(), TOUCHPOINT_TYPES),
            "campaign_id": _cat(df["campaign"].to_numpy(), _CAMPAIGN_IDS),
            "asset": _cat(df["asset"].to_numpy(), ASSETS),
        }
    )
    _insert(
        con,
        "touchpoints",
        f"select {_id('T', 9, 'i')}, occurred_at, {_id('A', 7, 'account')}, {_opt_id('K', 8, 'contact')}, "
        "team, channel, touchpoint_type, campaign_id, asset, false from src",
        src,
    )
