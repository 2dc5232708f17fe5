"""What the stages that write the sample's tables hand on to each other."""

from __future__ import annotations

import numpy as np


class _Tables:
    """What each table's stage leaves for the later ones: numpy arrays by account, deal, contact or lead,
    in the order the stages run (each draws from its own random stream, so the sample stays the same).
    The stages read what they need here and set what they make as they make it; the touches take it
    whole (closedloop.sample.touches)."""

    seed: int
    n_deals: int
    touches_per_deal: float
    account: np.ndarray
    closed: np.ndarray
    contact_account: np.ndarray
    contact_offset: np.ndarray
    created: np.ndarray
    dc_contact: np.ndarray
    dc_count: np.ndarray
    dc_offset: np.ndarray
    deal_accounts: np.ndarray
    dseg: np.ndarray
    email_only: np.ndarray
    end: np.ndarray
    journey: np.ndarray
    lead_accounts: np.ndarray
    lo_acc: np.ndarray
    n_acc: int
    n_contacts: int
    n_contacts_acc: np.ndarray
    n_deal_accounts: int
    no_touch: np.ndarray
    o_acc: np.ndarray
    o_contact: np.ndarray
    o_created: np.ndarray
    owner: np.ndarray
    owner_base: np.ndarray
    owner_n: np.ndarray
    persona: np.ndarray
    personas: list[str]
    region: np.ndarray
    seg: np.ndarray
    title: np.ndarray
    won: np.ndarray
