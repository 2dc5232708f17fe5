"""Degenerate variants of the hand-built fixture (tests/fixture.py): the shapes real CRM and
marketing exports take on a team's first day (issue 11). Each variant is the fixture's rows
changed in one way, written to its own tiny database with the derived tables built, as `import`
and `sample` leave a database.

| variant | what is degenerate |
|---|---|
| empty | no rows at all (a freshly created database) |
| no_touchpoints | deals, accounts, leads and campaigns but not one touchpoint (`import --mapping maven`) |
| no_closed | every deal open |
| no_won | every closed deal lost |
| no_lost | every closed deal won |
| null_amounts | every amount null |
| zero_amounts | every amount 0 |
| single_deal | one deal (D01, won) and its account's touches |
| same_dates | every date and time in the database is 2026-02-01 00:00 |
| no_leads | no leads (and so no lead creation position) |
| no_campaigns | no campaigns; no touch or lead names one |
| case_keys | keys that differ only in case: channels `Google` / `google`, campaigns, assets, owners |
| odd_keys | spaces, emoji and 300-character names (channels, types, campaigns, assets, owners, deals) |
"""

from __future__ import annotations

import copy
from pathlib import Path

import duckdb
import fixture

from closedloop import db
from closedloop.engine import journey_tables as derived

LONG = "L" + "o" * 298 + "g"  # 300 characters
assert len(LONG) == 300

VARIANTS = [
    "empty",
    "no_touchpoints",
    "no_closed",
    "no_won",
    "no_lost",
    "null_amounts",
    "zero_amounts",
    "single_deal",
    "same_dates",
    "no_leads",
    "no_campaigns",
    "case_keys",
    "odd_keys",
]

SAME = "2026-02-01 00:00"


def _rows() -> dict[str, list]:
    return {
        "accounts": copy.deepcopy(fixture.ACCOUNTS),
        "contacts": copy.deepcopy(fixture.CONTACTS),
        "campaigns": copy.deepcopy(fixture.CAMPAIGNS),
        "leads": [list(r) for r in fixture.LEADS],
        "touchpoints": [list(r) for r in fixture.TOUCHPOINTS],
        "deals": [list(r) for r in fixture.DEALS],
        "deal_contacts": copy.deepcopy(fixture.DEAL_CONTACTS),
    }


def _variant(name: str) -> dict[str, list]:
    r = _rows()
    if name == "empty":
        return {k: [] for k in r}
    if name == "no_touchpoints":
        r["touchpoints"] = []
    elif name == "no_closed":
        for d in r["deals"]:
            d[5], d[6] = None, "open"
    elif name == "no_won":
        for d in r["deals"]:
            d[6] = "lost" if d[6] == "won" else d[6]
    elif name == "no_lost":
        for d in r["deals"]:
            d[6] = "won" if d[6] == "lost" else d[6]
    elif name == "null_amounts":
        for d in r["deals"]:
            d[7] = None
    elif name == "zero_amounts":
        for d in r["deals"]:
            d[7] = 0.0
    elif name == "single_deal":
        r["deals"] = [d for d in r["deals"] if d[0] == "D01"]
        r["deal_contacts"] = [c for c in r["deal_contacts"] if c[0] == "D01"]
    elif name == "same_dates":
        same = fixture.ts(SAME)
        r["contacts"] = [(*c[:4], same) for c in r["contacts"]]
        r["campaigns"] = [(*c[:5], same, same) for c in r["campaigns"]]
        for lead in r["leads"]:
            for i in (4, 5, 6, 8, 9, 10):
                if lead[i] is not None:
                    lead[i] = SAME
        for t in r["touchpoints"]:
            t[1] = SAME
        for d in r["deals"]:
            d[4] = SAME
            if d[5] is not None:
                d[5] = SAME
    elif name == "no_leads":
        r["leads"] = []
    elif name == "no_campaigns":
        r["campaigns"] = []
        for t in r["touchpoints"]:
            t[7] = None
        for lead in r["leads"]:
            lead[12] = None
    elif name == "case_keys":
        # Google and google are two keys, as are the two campaigns and the two owners
        for t in r["touchpoints"]:
            if t[5] == "paid_search":
                t[5] = "Google"
            elif t[5] == "paid_social":
                t[5] = "google"
            if t[8] == "ROI Guide":
                t[8] = "roi guide" if t[0] == "T24" else "ROI Guide"
        r["campaigns"] = [(c[0], {"C1": "Google", "C5": "google"}.get(c[0], c[1]), *c[2:]) for c in r["campaigns"]]
        for d in r["deals"]:
            if d[3] == "Bob" and d[0] in ("D05", "D08"):
                d[3] = "bob"
        for lead in r["leads"]:
            lead[3] = {"paid_search": "Google", "paid_social": "google"}.get(lead[3], lead[3])
    elif name == "odd_keys":
        for t in r["touchpoints"]:
            if t[5] == "paid_search":
                t[5] = "paid search 🚀"
            elif t[5] == "content":
                t[5] = LONG
            if t[6] == "ebook_download":
                t[6] = "eBook 📘 download"
            if t[8] == "ROI Guide":
                t[8] = "ROI  Guide ✨ " + LONG
        r["campaigns"] = [
            (c[0], {"C1": "Search — Brand 🔍", "C2": LONG}.get(c[0], c[1]), *c[2:]) for c in r["campaigns"]
        ]
        r["accounts"] = [(a[0], {"A1": "Acme 🏢 Corp", "A2": LONG}.get(a[0], a[1]), *a[2:]) for a in r["accounts"]]
        for d in r["deals"]:
            if d[0] == "D01":
                d[2] = "Acme 🚀 " + LONG
            if d[3] == "Alice":
                d[3] = "Alice van der Berg 😀"
        for lead in r["leads"]:
            if lead[3] == "content":
                lead[3] = "content 📘 " + LONG
    else:
        raise ValueError(name)
    return r


def build(path: str | Path, name: str) -> Path:
    """Write variant `name` at `path` (replacing it) with its derived tables; return the path."""
    path = Path(path)
    if path.exists():
        path.unlink()
    r = _variant(name)
    ts, opt = fixture.ts, fixture._opt
    con = duckdb.connect(str(path))
    db.create_schema(con)
    if r["accounts"]:
        con.executemany("insert into accounts values (?, ?, ?, ?, ?, ?)", r["accounts"])
    if r["contacts"]:
        con.executemany("insert into contacts values (?, ?, ?, ?, ?)", r["contacts"])
    if r["campaigns"]:
        con.executemany("insert into campaigns values (?, ?, ?, ?, ?, ?, ?)", r["campaigns"])
    if r["leads"]:
        con.executemany(
            "insert into leads (lead_id, contact_id, account_id, source_channel, created_at, mql_at, assigned_at, "
            "owner, first_follow_up_at, accepted_at, disqualified_at, disqualify_reason, campaign_id) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*x[:4], ts(x[4]), *map(opt, x[5:7]), x[7], *map(opt, x[8:11]), x[11], x[12]) for x in r["leads"]],
        )
    if r["touchpoints"]:
        con.executemany(
            "insert into touchpoints (touchpoint_id, occurred_at, account_id, contact_id, team, "
            "channel, touchpoint_type, campaign_id, asset) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(x[0], ts(x[1]), *x[2:]) for x in r["touchpoints"]],
        )
    deals, stages = [], []
    for d_id, acct, dname, owner, created, closed, outcome, amount in r["deals"]:
        c, z = ts(created), opt(closed)
        stage = {"won": "closed_won", "lost": "closed_lost", "open": "proposal"}[outcome]
        deals.append((d_id, acct, dname, owner, c, z, stage, outcome, amount))
        stages.append((d_id, "qualification", c))
        if z:
            stages.append((d_id, stage, z))
    if deals:
        con.executemany(
            "insert into deals (deal_id, account_id, name, owner, created_at, closed_at, stage, outcome, amount) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            deals,
        )
        con.executemany("insert into deal_stage_history values (?, ?, ?)", stages)
    if r["deal_contacts"]:
        con.executemany("insert into deal_contacts values (?, ?, ?)", r["deal_contacts"])
    derived.refresh(con)
    con.close()
    return path
