"""The sample's leads, contacts and campaigns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from closedloop.sample.helpers import _business_hours, _cat, _lognormal, _pick, _to_ts
from closedloop.sample.tables import _Tables
from closedloop.sample.touches import (
    _LEAD_SOURCE_TYPE,
    _campaign_and_asset,
)
from closedloop.sample.world import (
    _CAMPAIGN_IDS,
    _FIRST_DEAL,
    _OWNER_BASE,
    _OWNER_N,
    _REF,
    _WEIGHT,
    CAMPAIGNS,
    DISQUALIFY_P,
    DISQUALIFY_REASONS,
    LEAD_SOURCE_P,
    LEAD_SOURCES,
    OWNERS,
    TITLES,
)


def _leads(w: _Tables) -> None:
    """Leads (each deal's own, and leads that never became a deal), then the contacts: known from their
    account's first signal, or their lead."""
    rng = w.rng(4)
    n = w.n_deals
    account, created, journey, region = w.account, w.created, w.journey, w.region
    # 1) the lead each deal grew from, on its first contact
    lead_created_d = created - journey * rng.uniform(0.3, 0.9, n)
    src_d = _pick(rng, LEAD_SOURCE_P, n)
    # 2) leads that never became a deal: on lead-only accounts and on other
    #    contacts of deal accounts
    n_lo = len(w.lead_accounts)
    w.lo_acc = np.concatenate([w.lead_accounts, w.lead_accounts[rng.random(n_lo) < 0.3]])
    extra_acc = account[rng.random(n) < 0.3]
    w.o_acc = o_acc = np.concatenate([w.lo_acc, extra_acc])
    n_o = len(o_acc)
    w.o_contact = w.contact_offset[o_acc] + np.floor(rng.random(n_o) * w.n_contacts_acc[o_acc]).astype(np.int64)
    w.o_created = rng.uniform(_FIRST_DEAL - 150, _REF - 1, n_o)
    src_o = _pick(rng, LEAD_SOURCE_P, n_o)

    n_leads = n + n_o
    is_deal_lead = np.arange(n_leads) < n
    l_created = _business_hours(np.concatenate([lead_created_d, w.o_created]))
    l_acc = np.concatenate([account, o_acc])
    l_contact = np.concatenate([w.dc_contact[w.dc_offset], w.o_contact])
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
        np.concatenate([w.owner, np.zeros(n_o, dtype=np.int64)]),
        _OWNER_BASE[region[l_acc]] + np.floor(rng.random(n_leads) * _OWNER_N[region[l_acc]]).astype(np.int64),
    )
    l_campaign, _ = _campaign_and_asset(rng, _LEAD_SOURCE_TYPE[l_source], l_source, l_created)
    w.insert(
        "sample_leads",
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
    w.bar.advance(_WEIGHT["leads"], "leads")

    # --- contacts: known from their account's first signal, or their lead --
    first_seen = np.full(w.n_acc, _REF)
    np.minimum.at(first_seen, account, created - journey)
    np.minimum.at(first_seen, o_acc, w.o_created)
    c_created = np.minimum(first_seen[w.contact_account] + rng.exponential(30.0, w.n_contacts), _REF)
    np.minimum.at(c_created, l_contact, l_created)
    w.insert(
        "sample_contacts",
        pd.DataFrame(
            {
                "i": np.arange(w.n_contacts),
                "account": w.contact_account,
                "title": _cat(w.title, [t for t, _ in TITLES]),
                "persona": _cat(w.persona, w.personas),
                "created_at": _to_ts(_business_hours(c_created)),
            }
        ),
    )
    w.bar.advance(_WEIGHT["contacts"], "contacts")


def _campaigns(w: _Tables) -> None:
    """The campaigns with a random cost in their range."""
    rng = w.rng(5)
    cost = np.round([rng.uniform(*spec[6]) for spec in CAMPAIGNS], -2)
    w.insert(
        "sample_campaigns",
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
    w.bar.advance(_WEIGHT["campaigns"], "campaigns")
