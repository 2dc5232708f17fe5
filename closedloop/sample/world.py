"""The sample's world: its fixed dates, segments, regions, owners, channels, touch types with their planted
presence by outcome, and campaigns (docs/sample.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from closedloop import db

# ---------------------------------------------------------------------------

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
# Each region's owners, as where they start in OWNERS and how many there are.
_OWNER_BASE = np.array([OWNERS.index(OWNERS_BY_REGION[r][0]) for r in REGIONS])
_OWNER_N = np.array([len(OWNERS_BY_REGION[r]) for r in REGIONS])
DISQUALIFY_REASONS = [
    "no budget",
    "no response",
    "not a fit",
    "chose competitor",
    "student or personal",
    "duplicate",
]
DISQUALIFY_P = [0.22, 0.30, 0.22, 0.10, 0.08, 0.08]

CHANNELS = list(db.CANONICAL_CHANNELS)
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
