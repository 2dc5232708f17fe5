"""The sample's touchpoints: each deal's touches (presence by outcome, timing, channel, campaign, asset),
leads' touches outside deals and touches after a close."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from closedloop import db
from closedloop.sample.helpers import _business_hours, _cat, _insert, _pick, _to_ts
from closedloop.sample.tables import _Tables
from closedloop.sample.world import (
    _ALWAYS_ON,
    _ASSET,
    _CAMPAIGN_IDS,
    _CH,
    _EMAIL_ONLY_P,
    _EMAIL_TYPES,
    _EVENTS,
    _HY_START,
    _LEAD_SOURCE_TOUCH,
    _MAX_LOOKBACK,
    _MINUTE,
    _NT,
    _REF,
    _T,
    _WEBINARS,
    ASSETS,
    CAMPAIGNS,
    CHANNELS,
    EBOOKS,
    EMAIL_ONLY,
    EPOCH,
    LEAD_SOURCES,
    NO_TOUCH,
    SEGMENT_P,
    SEGMENT_TOUCH_FACTOR,
    SEGMENTS,
    TOUCH_TYPES,
    TOUCHPOINT_TYPES,
    WHITEPAPERS,
    WIN_RATE,
)

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


def _days(iso: str) -> float:
    return float((np.datetime64(iso, "m") - EPOCH) / np.timedelta64(1, "D"))


_HY_BOUNDS = np.array([_days(s) for s in _HY_START[1:]])


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


def _deal_touches(rng: np.random.Generator, d: _Tables, i0: int, i1: int, scale: float) -> pd.DataFrame:
    """The touches of deals i0 to i1 (the stages of closedloop.sample.build have filled `d` up to the leads)."""
    n = i1 - i0
    won = d.won[i0:i1]
    eo = d.email_only[i0:i1]
    seg = d.dseg[i0:i1]
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
    any_pick = d.contact_offset[acc] + np.floor(rng.random(m) * d.n_contacts_acc[acc]).astype(np.int64)
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


def _post_close_touches(rng: np.random.Generator, d: _Tables) -> pd.DataFrame:
    """Newsletter opens and site visits after a close: real, and never credited to that deal."""
    pick = np.flatnonzero(d.closed & (rng.random(d.n_deals) < 0.1))
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
        "sample_touchpoints",
        src,
    )


# A channel whose raw lift is the kind of account it reaches (docs/sample.md; the adjusted lift
# of docs/attribution.md): review-site visits (website_visit on channel review_sites) reach most
# SMB accounts, which win more often (WIN_RATE), and few others, independently of the outcome.
# Its raw lift is positive; within segment it is none.
REVIEW_SITE_REACH = {"Enterprise": 0.02, "Mid-Market": 0.05, "SMB": 0.95}


def _insert_review_site_visits(con: duckdb.DuckDBPyConnection, rng: np.random.Generator) -> None:
    """One review-site visit 1-60 days before the creation of a deal, with the segment's REVIEW_SITE_REACH."""
    deals = db.execute(con, "sample_deal_segments").df()
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
    _insert(con, "sample_review_site_visits", src)


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
    per_touch = db.execute(con, "sample_won_revenue_per_touch").fetchall()[0][0]
    monthly = db.execute(con, "sample_campaign_touches_by_month").df()
    factor = monthly["channel"].map(SPEND_PER_TOUCH).fillna(0.5).to_numpy()
    noise = rng.uniform(0.8, 1.2, len(monthly))
    monthly["amount"] = np.round(monthly["touches"].to_numpy() * factor * float(per_touch) * noise, 2)
    _insert(con, "sample_spend", monthly[["spend_date", "campaign_id", "amount"]])
