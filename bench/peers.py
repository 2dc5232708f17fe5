"""The peers, run on the same data as Closed Loop: ChannelAttribution 2.2.5 and DP6
marketing-attribution-models 2.1.1 (`mam`).

Both start from the same touch-level export of the benchmark database
(`export_journeys`, untimed): every closed deal's touches in its attribution window
(account scope, 180-day lookback: the engine's own `deal_touches`), one row per touch
with deal_id, touchpoint_id, occurred_at, channel, won and amount. Building each
peer's input from it is part of the timed work, as it would be for a user:

* ChannelAttribution wants aggregated paths, `path;total_conversions;
  total_conversion_value;total_null`: `ca_paths` builds them with pandas (sort the
  touches in journey order, join each deal's channels with " > ", group equal paths).
* DP6 reads touch-level "session" rows and builds its journeys itself (sorting by
  user and time, then Polars list aggregation). DP6 does not break ties on equal
  timestamps, so the export carries `ts_order` = occurred_at + (rank - 1)
  microseconds: the engine's journey order (occurred_at, then touchpoint_id), with
  timestamps moved by less than a millisecond.

So the peers see exactly the channel paths of the closed deals that the engine
attributes, and their first/last/linear conversions per channel must equal the
engine's wins per channel (bench/run.py checks that).
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

SEP = " > "


# --- the shared export (untimed) -------------------------------------------------------------


def export_journeys(db_path: str | Path, out: str | Path, lookback_days: int = 180) -> int:
    """Write the closed deals' touches (account scope) to a Parquet file; returns the row count."""
    import duckdb

    from closedloop import db

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        con.execute(db.sql_text("macros"))
        tmp = Path(str(out) + ".tmp")
        con.execute(
            f"""
            copy (
                select
                    t.deal_id,
                    t.touchpoint_id,
                    t.occurred_at,
                    t.occurred_at + to_microseconds(
                        cast(row_number() over (partition by t.deal_id order by t.occurred_at, t.touchpoint_id)
                             - 1 as bigint)) as ts_order,
                    t.channel,
                    d.outcome = 'won' as won,
                    coalesce(d.amount, 0) as amount
                from deal_touches({int(lookback_days)}, 'account') as t
                join deals as d on d.deal_id = t.deal_id
                where d.outcome in ('won', 'lost')
                -- stored in touchpoint order, not journey order: sorting is the peers' work
                order by t.touchpoint_id, t.deal_id
            ) to '{tmp}' (format parquet)
            """
        )
        os.replace(tmp, out)
        return int(con.execute("select count(*) from read_parquet($path)", {"path": str(out)}).fetchone()[0])
    finally:
        con.close()


def read_touches(path: str | Path) -> pd.DataFrame:
    return pd.read_parquet(path, columns=["deal_id", "touchpoint_id", "occurred_at", "channel", "won", "amount"])


# --- ChannelAttribution ------------------------------------------------------------------------


def ca_paths(touches: pd.DataFrame) -> pd.DataFrame:
    """ChannelAttribution's input, built with pandas from touch-level rows."""
    t = touches.sort_values(["deal_id", "occurred_at", "touchpoint_id"], kind="stable")
    per_deal = t.groupby("deal_id", sort=False).agg(
        path=("channel", SEP.join), won=("won", "first"), amount=("amount", "first")
    )
    won = per_deal["won"].astype(np.int64)
    per_deal = pd.DataFrame(
        {
            "path": per_deal["path"],
            "total_conversions": won,
            "total_conversion_value": per_deal["amount"] * won,
            "total_null": 1 - won,
        }
    )
    return per_deal.groupby("path", as_index=False, sort=False).sum()


def _quiet(fn, *args, **kwargs):
    """ChannelAttribution prints its progress and a banner; keep the benchmark's output clean."""
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


def _import_ca():
    with contextlib.redirect_stdout(io.StringIO()):
        import ChannelAttribution as ca  # noqa: N813
    return ca


def ca_heuristics(paths: pd.DataFrame) -> dict[str, dict[str, float]]:
    ca = _import_ca()
    res = _quiet(
        ca.heuristic_models,
        paths,
        "path",
        "total_conversions",
        var_value="total_conversion_value",
        sep=">",
        flg_pro=False,
    )
    res["channel_name"] = res["channel_name"].astype(str).str.strip()
    out = {}
    for model, col in (("first_touch", "first_touch"), ("last_touch", "last_touch"), ("linear", "linear_touch")):
        out[model] = dict(zip(res["channel_name"], res[f"{col}_conversions"].astype(float), strict=True))
        out[model + ":value"] = dict(zip(res["channel_name"], res[f"{col}_value"].astype(float), strict=True))
    return out


def ca_markov(paths: pd.DataFrame, order: int = 1, ncore: int = 2) -> dict[str, dict[str, float]]:
    """ChannelAttribution's Markov model (Monte Carlo; seed 0; defaults otherwise)."""
    ca = _import_ca()
    res = _quiet(
        ca.markov_model,
        paths,
        "path",
        "total_conversions",
        var_value="total_conversion_value",
        var_null="total_null",
        order=order,
        out_more=True,
        sep=">",
        ncore=ncore,
        seed=0,
        verbose=False,
        flg_pro=False,
    )
    removal = res["removal_effects"]
    names = removal["channel_name"].astype(str).str.strip()
    effects = removal["removal_effects_conversion"].astype(float)
    shares = effects / effects.sum() if effects.sum() > 0 else effects
    result = res["result"]
    return {
        "removal_share": dict(zip(names, shares, strict=True)),
        "conversions": dict(
            zip(result["channel_name"].astype(str).str.strip(), result["total_conversions"].astype(float), strict=True)
        ),
    }


# --- DP6 marketing-attribution-models ------------------------------------------------------------


def dp6_frame(path: str | Path):
    """DP6's 'session' input: one row per touch, as Polars (its own engine) reads it."""
    import polars as pl

    return pl.read_parquet(path, columns=["deal_id", "ts_order", "channel", "won"])


def dp6_model(frame):
    from mam import MAM

    # MAM builds the journeys itself: sort by deal and time, list-aggregate channels
    return MAM(
        frame,
        format_type="session",
        channels_colname="channel",
        journey_with_conv_colname="won",
        datetime_colname="ts_order",
        user_id_colname="deal_id",
    )


def _dp6_result(result) -> dict[str, float]:
    df = result.to_pandas()
    return dict(zip(df["channels"].astype(str), df["attribution"].astype(float), strict=True))


def dp6_heuristics(frame) -> dict[str, dict[str, float]]:
    m = dp6_model(frame)
    return {
        "first_touch": _dp6_result(m.run_first_click()),
        "last_touch": _dp6_result(m.run_last_click()),
        "linear": _dp6_result(m.run_linear()),
        "position_based": _dp6_result(m.run_position_based()),
        "time_decay": _dp6_result(m.run_time_decay()),
    }


def dp6_markov(frame) -> dict[str, dict[str, float]]:
    m = dp6_model(frame)
    result = m.run_markov()
    removal = result.metadata["removal_effect"]["removal_effect"]
    total = float(removal.sum())
    return {
        "removal_share": {str(k): float(v) / total for k, v in removal.items()} if total > 0 else {},
        "conversions": _dp6_result(result),
    }


def dp6_shapley(frame, max_size: int = 4) -> dict[str, dict[str, float]]:
    m = dp6_model(frame)
    res = _dp6_result(m.run_shapley(max_size=max_size))
    total = sum(res.values())
    return {"share": {k: v / total for k, v in res.items()} if total else {}, "conversions": res}
