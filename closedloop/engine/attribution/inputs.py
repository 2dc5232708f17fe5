"""The data-driven models' inputs from the journeys (queries/macros.sql `journeys`): transition
counts, coalitions and closed totals, as the Markov and Shapley solvers take them."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from closedloop import db
from closedloop.filters import Filters


def markov_transitions(con: duckdb.DuckDBPyConnection, by: str, order: int, f: Filters) -> pd.DataFrame:
    """attribution_markov_transitions.sql's counts, states as lists of keys (oldest first)."""
    df = db.run(con, "attribution_markov_transitions", by=by, order=order, **f.params())
    return df.assign(
        from_state=[list(s) for s in df["from_state"]],
        to_state=[
            None if s is None or s is pd.NA or (isinstance(s, float) and np.isnan(s)) else list(s)
            for s in df["to_state"]
        ],
    )


def shapley_coalitions(con: duckdb.DuckDBPyConnection, by: str, f: Filters) -> pd.DataFrame:
    """Closed deals won / lost and won revenue per set of keys, each set a sorted list of keys."""
    df = db.run(con, "attribution_shapley_coalitions", by=by, **f.params())
    return df.assign(channels=[list(s) for s in df["channels"]])


def closed_totals(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    return db.run(con, "attribution_closed_totals", **f.params())
