"""The data-driven models' inputs from the derived tables (closedloop/derived.py).

Each function answers like its source-table query (same columns, same rows) or
returns None when the derived tables can't answer this request, and the caller runs
the source-table query instead. States and key sets come back from SQL as packed
integers and are unpacked here over the few distinct values, not per touch.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd

from closedloop import db, derived

# bits a key takes in a packed Markov state (queries/attribution_markov_transitions_derived.sql)
_STATE_BITS = {"channel": 8}
_DEFAULT_STATE_BITS = 16
# a key set is a bigint of bits, one a code
_MAX_SET_CODES = 63


def _usable(con: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> bool:
    return derived.usable(con, f["lookback_days"], f["scope"])


def _period(f: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in f.items() if k not in ("lookback_days", "scope")}


def _keys(con: duckdb.DuckDBPyConnection, by: str) -> dict[int, str]:
    keys = db.run(con, "derived_keys", dimension=by)
    return dict(zip(keys["code"].astype(int), keys["key"], strict=True))


def markov_transitions(
    con: duckdb.DuckDBPyConnection, by: str, order: int, f: dict[str, Any]
) -> pd.DataFrame | None:
    if not _usable(con, f):
        return None
    keys = _keys(con, by)
    bits = _STATE_BITS.get(by, _DEFAULT_STATE_BITS)
    if keys and max(keys) >= 1 << bits:
        return None
    df = db.run(con, "attribution_markov_transitions_derived", by=by, order=order, **_period(f))
    mask = (1 << bits) - 1

    def unpack(state: int) -> list[str]:
        # oldest key first, as the source-table query lists a state
        codes = [(state >> (bits * j)) & mask for j in reversed(range(order))]
        return [keys[c] for c in codes if c]

    states = pd.unique(pd.concat([df["from_state"], df["to_state"].dropna()]).astype("uint64"))
    lists = {int(s): unpack(int(s)) for s in states}
    out = pd.DataFrame(
        {
            "from_state": [lists[int(s)] for s in df["from_state"]],
            "to_state": [None if pd.isna(s) else lists[int(s)] for s in df["to_state"]],
            "absorbed": df["absorbed"],
            "transitions": df["transitions"].astype("int64"),
        }
    )
    if by == "campaign":
        # campaigns sharing a name are one key, as in the source-table query
        out = _regroup_transitions(out)
    order_key = [
        (tuple(f), t is None, tuple(t or ()), a or "")
        for f, t, a in zip(out["from_state"], out["to_state"], out["absorbed"], strict=True)
    ]
    return out.iloc[sorted(range(len(out)), key=order_key.__getitem__)].reset_index(drop=True)


def _regroup_transitions(df: pd.DataFrame) -> pd.DataFrame:
    key = pd.Series([
        (tuple(f), None if t is None else tuple(t), a)
        for f, t, a in zip(df["from_state"], df["to_state"], df["absorbed"], strict=True)
    ])
    sums = df["transitions"].groupby(key.values, sort=False).sum()
    return pd.DataFrame(
        {
            "from_state": [list(k[0]) for k in sums.index],
            "to_state": [None if k[1] is None else list(k[1]) for k in sums.index],
            "absorbed": [k[2] for k in sums.index],
            "transitions": sums.to_numpy(dtype="int64"),
        }
    )


def shapley_coalitions(con: duckdb.DuckDBPyConnection, by: str, f: dict[str, Any]) -> pd.DataFrame | None:
    if not _usable(con, f):
        return None
    keys = _keys(con, by)
    if keys and max(keys) > _MAX_SET_CODES:
        return None
    df = db.run(con, "attribution_shapley_coalitions_derived", by=by, **_period(f))
    if by in ("channel", "touchpoint_type") and df["key_mask"].isna().any():
        return None  # the stored masks were left out: more than 63 keys
    masks = df["key_mask"].astype("int64").to_numpy()
    codes = np.arange(1, _MAX_SET_CODES + 1)
    names = np.array([keys.get(int(c), "") for c in codes], dtype=object)
    bits = ((masks[:, None] >> (codes - 1)) & 1).astype(bool)
    sets = [tuple(names[row]) for row in bits]
    if len(set(keys.values())) < len(keys):
        # campaigns sharing a name are one key, as in the source-table query
        sets = [tuple(sorted(set(s))) for s in sets]
        df = (
            df.assign(channels=sets)
            .groupby("channels", sort=False)[["wins", "losses", "won_revenue_usd"]]
            .sum()
            .reset_index()
        )
        sets = list(df["channels"])
    else:
        # codes follow the keys' order except for a missing campaign or asset, whose code is 1
        sets = [tuple(sorted(s)) for s in sets]
    order = sorted(range(len(sets)), key=lambda i: (len(sets[i]), sets[i]))
    return pd.DataFrame(
        {
            "channels": [list(sets[i]) for i in order],
            "wins": df["wins"].to_numpy(dtype=np.int64)[order],
            "losses": df["losses"].to_numpy(dtype=np.int64)[order],
            "won_revenue_usd": df["won_revenue_usd"].to_numpy(dtype=float)[order],
        }
    )


def closed_totals(con: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> pd.DataFrame | None:
    if not _usable(con, f):
        return None
    return db.run(con, "attribution_closed_totals_derived", **_period(f))
