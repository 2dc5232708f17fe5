"""The sample's accounts, deals (with their stage history) and deal contacts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from closedloop.sample.helpers import _business_hours, _cat, _lognormal, _pick, _to_ts
from closedloop.sample.tables import _Tables
from closedloop.sample.world import (
    _FIRST_DEAL,
    _OWNER_BASE,
    _OWNER_N,
    _REF,
    _WEIGHT,
    AMOUNT,
    CYCLE_DAYS,
    EMAIL_ONLY,
    EMPLOYEES,
    INDUSTRIES,
    INDUSTRY_P,
    NAME_PREFIXES,
    NAME_SUFFIXES,
    NO_TOUCH,
    OWNERS,
    PRODUCTS,
    REGION_P,
    REGIONS,
    ROLE_FROM_PERSONA,
    ROLES,
    SEGMENT_P,
    SEGMENTS,
    STAGES,
    TITLE_P,
    TITLES,
    WIN_RATE,
)


def _accounts(w: _Tables) -> None:
    """Accounts, and how many contacts each has (their rows come once leads are known)."""
    rng = w.rng(1)
    w.n_deal_accounts = max(1, round(w.n_deals * 0.75))
    n_lead_accounts = max(1, round(w.n_deals * 0.35))  # accounts with leads but no deal
    w.n_acc = n_acc = w.n_deal_accounts + n_lead_accounts
    w.seg = seg = _pick(rng, SEGMENT_P, n_acc)
    w.region = _pick(rng, REGION_P, n_acc)
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
    w.n_contacts_acc = (2 + rng.poisson(extra_contacts)).astype(np.int64)
    w.contact_offset = np.concatenate([[0], np.cumsum(w.n_contacts_acc)[:-1]])
    # which accounts hold deals: a random subset, so ids don't give it away
    acc_perm = rng.permutation(n_acc)
    w.deal_accounts, w.lead_accounts = acc_perm[: w.n_deal_accounts], acc_perm[w.n_deal_accounts :]
    w.insert(
        "sample_accounts",
        pd.DataFrame(
            {
                "i": np.arange(n_acc),
                "prefix": _cat(combo // len(NAME_SUFFIXES), NAME_PREFIXES),
                "suffix": _cat(combo % len(NAME_SUFFIXES), NAME_SUFFIXES),
                "rep": repeat,
                "industry": _cat(industry, INDUSTRIES),
                "segment": _cat(seg, SEGMENTS),
                "region": _cat(w.region, REGIONS),
                "employees": employees,
            }
        ),
    )
    w.bar.advance(_WEIGHT["accounts"], "accounts")


def _deals(w: _Tables) -> None:
    """Deals with their latent outcome, amount and owner, and each deal's stage history."""
    rng = w.rng(2)
    n = w.n_deals
    # every deal account gets one deal; the rest are further deals on them
    repeat_deals = w.deal_accounts[rng.integers(0, w.n_deal_accounts, n - w.n_deal_accounts)]
    account = np.concatenate([w.deal_accounts, repeat_deals])
    account = account[rng.permutation(n)] if n > w.n_deal_accounts else account[:n]
    dseg = w.seg[account]
    # creation dates grow with the business: density rising linearly by 60%
    g = 0.6
    u = rng.random(n)
    x = (np.sqrt(1 + 2 * g * u * (1 + g / 2)) - 1) / g
    created = _business_hours(_FIRST_DEAL + x * (_REF - 1 - _FIRST_DEAL))
    order = np.argsort(created, kind="stable")  # deal ids follow creation order
    account, dseg, created = account[order], dseg[order], created[order]
    w.account, w.dseg, w.created = account, dseg, created
    win_rate = np.array([WIN_RATE[s] for s in SEGMENTS])[dseg]
    w.won = won = rng.random(n) < win_rate
    cycle = _lognormal(rng, np.array([CYCLE_DAYS[s] for s in SEGMENTS])[dseg], 0.5, n)
    cycle = np.maximum(3.0, cycle)
    close_at = _business_hours(created + cycle)
    w.closed = closed = close_at <= _REF
    w.end = np.where(closed, close_at, _REF)
    dregion = w.region[account]
    w.owner = _OWNER_BASE[dregion] + np.floor(rng.random(n) * _OWNER_N[dregion]).astype(np.int64)
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
    w.journey = rng.uniform(45, 165, n)
    w.email_only = rng.random(n) < np.where(won, EMAIL_ONLY["won"], EMAIL_ONLY["lost"])
    w.no_touch = (rng.random(n) < NO_TOUCH) & ~w.email_only

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
    w.insert(
        "sample_deals",
        pd.DataFrame(
            {
                "i": np.arange(n),
                "account": account,
                "product": _cat(product, PRODUCTS),
                "owner": _cat(w.owner, OWNERS),
                "created_at": _to_ts(created),
                "closed_at": pd.Series(_to_ts(close_at)).where(closed),
                "stage": _cat(stage, STAGES),
                "outcome": _cat(outcome, ["won", "lost", "open"]),
                "amount": amount,
            }
        ),
    )
    w.insert(
        "sample_deal_stage_history",
        pd.DataFrame(
            {
                "deal": hist_deal,
                "stage": _cat(hist_stage, STAGES),
                "entered_at": _to_ts(hist_at),
            }
        ),
    )
    w.bar.advance(_WEIGHT["deals"], "deals")


def _deal_contacts(w: _Tables) -> None:
    """Each deal's contacts (consecutive contacts of its account) with a role from their persona."""
    rng = w.rng(3)
    n = w.n_deals
    m = w.n_contacts_acc[w.account]
    want = 1 + rng.poisson(np.array([2.0, 1.2, 0.5])[w.dseg])
    w.dc_count = dc_count = np.minimum(want, m)
    w.dc_offset = np.concatenate([[0], np.cumsum(dc_count)[:-1]])
    start = np.floor(rng.random(n) * m).astype(np.int64)
    dc_deal = np.repeat(np.arange(n), dc_count)
    j = np.arange(dc_count.sum()) - np.repeat(w.dc_offset, dc_count)
    # consecutive contacts from a random start: distinct without sampling loops
    w.dc_contact = w.contact_offset[w.account[dc_deal]] + (start[dc_deal] + j) % m[dc_deal]

    # --- contacts (titles now; created_at once leads are known) -------------
    w.n_contacts = int(w.n_contacts_acc.sum())
    w.contact_account = np.repeat(np.arange(w.n_acc), w.n_contacts_acc)
    w.title = _pick(rng, TITLE_P, w.n_contacts)
    w.personas = list(dict.fromkeys(p for _, p in TITLES))
    w.persona = np.array([w.personas.index(p) for _, p in TITLES])[w.title]
    role_of_persona = np.array([ROLES.index(ROLE_FROM_PERSONA[p]) for p in w.personas])
    role = np.where(
        rng.random(len(w.dc_contact)) < 0.2, ROLES.index("influencer"), role_of_persona[w.persona[w.dc_contact]]
    )
    w.insert(
        "sample_deal_contacts",
        pd.DataFrame({"deal": dc_deal, "contact": w.dc_contact, "role": _cat(role, ROLES)}),
    )
    w.bar.advance(_WEIGHT["deal_contacts"], "deal contacts")
