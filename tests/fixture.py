"""A tiny hand-built Closed Loop database whose figures are worked out by hand.

Period of interest: Q1 2026 (2026-01-01 .. 2026-03-31). All touches happen at
10:00; deals are created and closed at 00:00, so no touch shares a timestamp
with a deal boundary. Lookback is the default 180 days.

Closed in Q1 2026 (5 won, 3 lost; win rate 0.625; won revenue 402,000 USD):

| deal | acct | outcome | amount  | days | touches in window (after-close / pre-lookback excluded) |
|------|------|---------|---------|------|------------------------------------------------------------|
| D01  | A1   | won     | 100,000 | 36   | T01 ad_click, T02 ebook, T03 webinar, T04 s_meeting, T05 s_call |
| D02  | A2   | won     |  40,000 | 50   | T08 ad_view, T09 event (T10 after close)                   |
| D03  | A3   | lost    |  10,000 | 36   | T11 email_open, T12 s_email, T13 s_email                   |
| D04  | A4   | won     | 200,000 | 104  | T16 s_meeting, T17 inmail (T14, T15 before lookback)       |
| D05  | A5   | lost    |  30,000 | 47   | T19 ad_view, T20 s_email, T21 s_email                      |
| D06  | A6   | lost    |   8,000 | 39   | none (T22 before lookback) -> "No touchpoint"             |
| D07  | A1   | won     |  50,000 | 57   | T01..T07 (4 marketing, 3 sales)                            |
| D08  | A7   | won     |  12,000 | 28   | T23 webinar, T24 ebook                                     |

Median days to close of won deals: 50. Won deals touched by marketing: 4 of 5
(0.8); by sales: 3 of 5 (0.6). Outside Q1 2026: D09 lost and D12 won (Q4 2025),
D10 and D11 open.

Leads with an assignment: 9; followed up: 6 (hours to follow-up 6, 72, 2, 48, 1, 4);
never followed up: L03 (C4), L08 (C1), L09 (C5).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from closedloop import db


def ts(s: str) -> datetime:
    return datetime.fromisoformat(s)


ACCOUNTS = [
    ("A1", "Acme Corp", "Software", "Enterprise", "NA", 5000),
    ("A2", "Borealis GmbH", "Manufacturing", "Mid-Market", "EMEA", 800),
    ("A3", "Cobalt Credit", "Finance", "SMB", "NA", 60),
    ("A4", "Dynamo Health", "Healthcare", "Enterprise", "APAC", 12000),
    ("A5", "Evergreen Stores", "Retail", "Mid-Market", "NA", 400),
    ("A6", "Fjord Labs", "Software", "SMB", "EMEA", 45),
    ("A7", "Granite Data", "Software", "SMB", "NA", 30),
]

CONTACTS = [
    ("K01", "A1", "VP Marketing", "decision_maker", ts("2025-12-01 12:00")),
    ("K02", "A1", "Engineer", "user", ts("2026-01-10 12:00")),
    ("K03", "A2", "CFO", "economic_buyer", ts("2026-01-08 11:00")),
    ("K04", "A3", "IT Manager", "champion", ts("2026-01-02 12:00")),
    ("K05", "A4", "CISO", "decision_maker", ts("2025-05-25 12:00")),
    ("K06", "A5", "Ops Director", "champion", ts("2026-01-10 12:00")),
    ("K07", "A6", "CTO", "decision_maker", ts("2025-06-01 12:00")),
    ("K08", "A7", "Head of Data", "champion", ts("2026-02-20 12:00")),
]

CAMPAIGNS = [
    ("C1", "Search - Brand", "paid_search", "paid_ads", 12000.0, ts("2025-09-01"), ts("2026-03-31")),
    ("C2", "ROI Guide eBook", "content", "content", 5000.0, ts("2025-05-01"), ts("2026-03-31")),
    ("C3", "Q1 Webinar", "webinar", "webinar", 3000.0, ts("2026-01-01"), ts("2026-03-31")),
    ("C4", "Nurture emails", "email", "email", 1000.0, ts("2025-12-01"), ts("2026-03-31")),
    ("C5", "LinkedIn Ads", "paid_social", "paid_ads", 8000.0, ts("2025-09-01"), ts("2026-03-31")),
    ("C6", "Data Summit", "event", "event", 20000.0, ts("2026-01-08"), ts("2026-01-08")),
]

# lead_id, contact, account, source, created, mql, assigned, owner, follow-up,
# accepted, disqualified, reason, campaign
LEADS = [
    (
        "L01",
        "K01",
        "A1",
        "content",
        "2025-12-01 12:00",
        "2025-12-02 08:00",
        "2025-12-02 09:00",
        "Alice",
        "2025-12-02 15:00",
        "2025-12-05 09:00",
        None,
        None,
        "C2",
    ),
    (
        "L02",
        "K03",
        "A2",
        "event",
        "2026-01-08 11:00",
        "2026-01-09 08:00",
        "2026-01-09 10:00",
        "Bob",
        "2026-01-12 10:00",
        "2026-01-13 09:00",
        None,
        None,
        "C6",
    ),
    (
        "L03",
        "K04",
        "A3",
        "email",
        "2026-01-02 12:00",
        "2026-01-03 08:00",
        "2026-01-03 09:00",
        "Alice",
        None,
        "2026-01-14 09:00",
        None,
        None,
        "C4",
    ),
    (
        "L04",
        "K05",
        "A4",
        "website",
        "2025-05-25 12:00",
        "2025-05-26 08:00",
        "2025-05-26 09:00",
        "Carol",
        "2025-05-26 11:00",
        "2025-06-01 09:00",
        None,
        None,
        None,
    ),
    (
        "L05",
        "K06",
        "A5",
        "paid_social",
        "2026-01-10 12:00",
        "2026-01-11 08:00",
        "2026-01-11 09:00",
        "Bob",
        "2026-01-13 09:00",
        "2026-01-20 09:00",
        None,
        None,
        "C5",
    ),
    (
        "L06",
        "K07",
        "A6",
        "sales",
        "2025-06-01 12:00",
        "2025-06-02 08:00",
        "2025-06-02 09:00",
        "Carol",
        "2025-06-02 10:00",
        "2025-06-03 09:00",
        None,
        None,
        None,
    ),
    (
        "L07",
        "K08",
        "A7",
        "webinar",
        "2026-02-20 12:00",
        "2026-02-21 08:00",
        "2026-02-21 09:00",
        "Alice",
        "2026-02-21 13:00",
        "2026-02-22 09:00",
        None,
        None,
        "C3",
    ),
    (
        "L08",
        "K02",
        "A1",
        "paid_search",
        "2026-01-10 12:00",
        "2026-01-11 08:00",
        "2026-01-11 09:00",
        "Alice",
        None,
        None,
        "2026-02-01 09:00",
        "no response",
        "C1",
    ),
    (
        "L09",
        None,
        "A3",
        "paid_social",
        "2026-02-01 12:00",
        "2026-02-02 08:00",
        "2026-02-02 09:00",
        "Bob",
        None,
        None,
        None,
        None,
        "C5",
    ),
]

# touchpoint_id, occurred_at, account, contact, team, channel, type, campaign, asset
TOUCHPOINTS = [
    ("T01", "2025-11-01 10:00", "A1", None, "marketing", "paid_search", "ad_click", "C1", None),
    ("T02", "2025-12-01 10:00", "A1", "K01", "marketing", "content", "ebook_download", "C2", "ROI Guide"),
    ("T03", "2026-01-03 10:00", "A1", "K01", "marketing", "webinar", "webinar_attended", "C3", "Q1 Webinar"),
    ("T04", "2026-01-20 10:00", "A1", "K01", "sales", "sales", "sales_meeting", None, None),
    ("T05", "2026-02-05 10:00", "A1", "K02", "sales", "sales", "sales_call", None, None),
    ("T06", "2026-03-01 10:00", "A1", "K02", "marketing", "email", "email_click", "C4", None),
    ("T07", "2026-03-25 10:00", "A1", "K01", "sales", "sales", "sales_meeting", None, None),
    ("T08", "2025-09-15 10:00", "A2", None, "marketing", "paid_social", "ad_view", "C5", None),
    ("T09", "2026-01-08 10:00", "A2", "K03", "marketing", "event", "event_attended", "C6", "Summit booth"),
    ("T10", "2026-03-05 10:00", "A2", "K03", "sales", "sales", "sales_call", None, None),
    ("T11", "2026-01-02 10:00", "A3", "K04", "marketing", "email", "email_open", "C4", None),
    ("T12", "2026-01-25 10:00", "A3", "K04", "sales", "sales", "sales_email", None, None),
    ("T13", "2026-02-12 10:00", "A3", "K04", "sales", "sales", "sales_email", None, None),
    (
        "T14",
        "2025-05-20 10:00",
        "A4",
        "K05",
        "marketing",
        "content",
        "whitepaper_download",
        "C2",
        "Security Whitepaper",
    ),
    ("T15", "2025-05-25 10:00", "A4", "K05", "marketing", "website", "demo_request", None, None),
    ("T16", "2026-01-15 10:00", "A4", "K05", "sales", "sales", "sales_meeting", None, None),
    ("T17", "2026-03-10 10:00", "A4", "K05", "sales", "sales", "linkedin_inmail", None, None),
    ("T18", "2026-04-01 10:00", "A4", "K05", "sales", "sales", "sales_call", None, None),
    ("T19", "2026-01-10 10:00", "A5", None, "marketing", "paid_social", "ad_view", "C5", None),
    ("T20", "2026-02-10 10:00", "A5", "K06", "sales", "sales", "sales_email", None, None),
    ("T21", "2026-03-01 10:00", "A5", "K06", "sales", "sales", "sales_email", None, None),
    ("T22", "2025-06-01 10:00", "A6", "K07", "sales", "sales", "sales_call", None, None),
    ("T23", "2026-02-20 10:00", "A7", "K08", "marketing", "webinar", "webinar_attended", "C3", "Q1 Webinar"),
    ("T24", "2026-03-05 10:00", "A7", "K08", "marketing", "content", "ebook_download", "C2", "ROI Guide"),
]

# deal_id, account, name, owner, created, closed, outcome, amount
DEALS = [
    ("D01", "A1", "Acme platform", "Alice", "2026-01-05", "2026-02-10", "won", 100000.0),
    ("D02", "A2", "Borealis analytics", "Bob", "2026-01-10", "2026-03-01", "won", 40000.0),
    ("D03", "A3", "Cobalt pilot", "Alice", "2026-01-15", "2026-02-20", "lost", 10000.0),
    ("D04", "A4", "Dynamo enterprise", "Carol", "2025-12-01", "2026-03-15", "won", 200000.0),
    ("D05", "A5", "Evergreen rollout", "Bob", "2026-02-01", "2026-03-20", "lost", 30000.0),
    ("D06", "A6", "Fjord starter", "Carol", "2026-01-20", "2026-02-28", "lost", 8000.0),
    ("D07", "A1", "Acme expansion", "Alice", "2026-02-01", "2026-03-30", "won", 50000.0),
    ("D08", "A7", "Granite team plan", "Bob", "2026-02-10", "2026-03-10", "won", 12000.0),
    ("D09", "A2", "Borealis pilot", "Bob", "2025-10-01", "2025-12-15", "lost", 25000.0),
    ("D10", "A4", "Dynamo add-on", "Carol", "2026-03-01", None, "open", 150000.0),
    ("D11", "A5", "Evergreen phase 2", "Alice", "2026-03-10", None, "open", 20000.0),
    ("D12", "A6", "Fjord seats", "Carol", "2025-11-01", "2025-12-20", "won", 9000.0),
]

DEAL_CONTACTS = [
    ("D01", "K01", "decision_maker"),
    ("D01", "K02", "influencer"),
    ("D02", "K03", "economic_buyer"),
    ("D03", "K04", "champion"),
    ("D04", "K05", "decision_maker"),
    ("D05", "K06", "champion"),
    ("D06", "K07", "decision_maker"),
    ("D07", "K01", "decision_maker"),
    ("D08", "K08", "champion"),
    ("D09", "K03", "economic_buyer"),
    ("D10", "K05", "decision_maker"),
    ("D11", "K06", "champion"),
    ("D12", "K07", "decision_maker"),
]


def _opt(s: str | None) -> datetime | None:
    return ts(s) if s else None


def build(path: str | Path) -> Path:
    """Write the fixture database at `path` (replacing it) and return the path."""
    path = Path(path)
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    db.create_schema(con)
    con.executemany("insert into accounts values (?, ?, ?, ?, ?, ?)", ACCOUNTS)
    con.executemany("insert into contacts values (?, ?, ?, ?, ?)", CONTACTS)
    con.executemany("insert into campaigns values (?, ?, ?, ?, ?, ?, ?)", CAMPAIGNS)
    con.executemany(
        "insert into leads (lead_id, contact_id, account_id, source_channel, created_at, mql_at, assigned_at, owner, first_follow_up_at, accepted_at, disqualified_at, disqualify_reason, campaign_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*r[:4], ts(r[4]), *map(_opt, r[5:7]), r[7], *map(_opt, r[8:11]), r[11], r[12]) for r in LEADS],
    )
    con.executemany(
        "insert into touchpoints (touchpoint_id, occurred_at, account_id, contact_id, team, channel, touchpoint_type, campaign_id, asset) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(r[0], ts(r[1]), *r[2:]) for r in TOUCHPOINTS],
    )
    deals, stages = [], []
    for d_id, acct, name, owner, created, closed, outcome, amount in DEALS:
        c, z = ts(created), _opt(closed)
        stage = {"won": "closed_won", "lost": "closed_lost", "open": "proposal"}[outcome]
        deals.append((d_id, acct, name, owner, c, z, stage, outcome, amount))
        stages.append((d_id, "qualification", c))
        mid = c + ((z - c) / 2 if z else timedelta(days=7))
        stages.append((d_id, "proposal", mid.replace(hour=0, minute=0, second=0, microsecond=0)))
        if z:
            stages.append((d_id, stage, z))
    con.executemany(
        "insert into deals (deal_id, account_id, name, owner, created_at, closed_at, stage, outcome, amount) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        deals,
    )
    con.executemany("insert into deal_contacts values (?, ?, ?)", DEAL_CONTACTS)
    con.executemany("insert into deal_stage_history values (?, ?, ?)", stages)
    con.close()
    return path
