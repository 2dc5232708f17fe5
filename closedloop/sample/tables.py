"""What the stages that write the sample's tables take: the database, the progress bar, the seed and
what the earlier stages made."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from closedloop.sample.helpers import _insert, _Progress, _rng


class _Tables:
    """What each table's stage leaves for the later ones: numpy arrays by account, deal, contact or lead,
    in the order the stages run (each draws from its own random stream, so the sample stays the same).
    The stages read what they need here and set what they make as they make it; the touches take it
    whole (closedloop.sample.touches)."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, bar: _Progress, seed: int, n_deals: int, touches_per_deal: float
    ) -> None:
        self.con, self.bar = con, bar
        self.seed, self.n_deals, self.touches_per_deal = seed, n_deals, touches_per_deal

    def rng(self, *stream: int) -> np.random.Generator:
        """A stage's (or chunk's) own random stream."""
        return _rng(self.seed, *stream)

    def insert(self, statement: str, df: pd.DataFrame) -> None:
        """Run queries/statements/<statement>.sql, which inserts from `df`."""
        _insert(self.con, statement, df)

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
    persona: np.ndarray
    personas: list[str]
    region: np.ndarray
    seg: np.ndarray
    title: np.ndarray
    won: np.ndarray
