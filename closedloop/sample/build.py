"""Writing the sample database: every table in turn (a stage each), then the journey tables."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from closedloop import db
from closedloop.engine import journey_tables as derived
from closedloop.sample.accounts import _accounts, _deal_contacts, _deals
from closedloop.sample.helpers import _Progress
from closedloop.sample.leads import _campaigns, _leads
from closedloop.sample.tables import _Tables
from closedloop.sample.touches import (
    _deal_touches,
    _insert_review_site_visits,
    _insert_spend,
    _insert_touches,
    _lead_touches,
    _post_close_touches,
    _touch_scale,
)
from closedloop.sample.world import (
    _CHUNK_DEALS,
    _WEIGHT,
    DEFAULT_DEALS,
    DEFAULT_SEED,
    DEFAULT_TOUCHES_PER_DEAL,
    REFERENCE_DATE,
)


def generate(
    db_path: str | Path = db.DEFAULT_DB,
    deals: int = DEFAULT_DEALS,
    seed: int = DEFAULT_SEED,
    progress: bool = True,
    touches_per_deal: float = DEFAULT_TOUCHES_PER_DEAL,
    force: bool = False,
) -> dict[str, int]:
    """Write a new sample database at `db_path` and return its row count per table.

    Refuses to replace an existing file unless `force`. The database is built
    beside the target and moved into place at the end, so an interrupted run
    never leaves half a database behind.
    """
    if deals < 1:
        raise ValueError(f"--deals must be at least 1, got {deals}.")
    if touches_per_deal < 1:
        raise ValueError(f"--touches-per-deal must be at least 1, got {touches_per_deal}.")
    path = Path(db_path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} already exists; pass --force (force=True) to replace it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    for stale in (tmp, Path(str(tmp) + ".wal")):
        stale.unlink(missing_ok=True)

    bar = _Progress(progress, total=100.0)
    con = duckdb.connect(str(tmp))
    try:
        db.create_schema(con)
        bar.advance(0, "schema")
        counts = _build(con, deals, seed, touches_per_deal, bar)
        bar.advance(0, "derived tables")
        derived.refresh(con)
        db.execute(con, "sample_settings", seed=str(seed), deals=str(deals), ref=REFERENCE_DATE)
        con.execute("checkpoint")
        derived.seal(con)
    except BaseException:
        con.close()
        for partial in (tmp, Path(str(tmp) + ".wal")):
            partial.unlink(missing_ok=True)
        raise
    con.close()
    Path(str(path) + ".wal").unlink(missing_ok=True)
    os.replace(tmp, path)
    bar.advance(bar.total, "done")
    bar.finish()
    return counts


def _build(
    con: duckdb.DuckDBPyConnection, n_deals: int, seed: int, touches_per_deal: float, bar: _Progress
) -> dict[str, int]:
    w = _Tables(con, bar, seed, n_deals, touches_per_deal)
    for stage in (_accounts, _deals, _deal_contacts, _leads, _campaigns, _touchpoints):
        stage(w)
    return {t: int(con.table(t).count("*").fetchall()[0][0]) for t in (*db.CANONICAL_TABLES, "spend")}


def _touchpoints(w: _Tables) -> None:
    """Touchpoints of deals in chunks of deals, then touches outside deals (leads' and after a close)."""
    n = w.n_deals
    lo_acc = w.lo_acc
    # Touches outside deals: ~3.5 per non-converting lead on a lead-only
    # account, and a few after a deal's close (which must never count).
    other_per_deal = (len(lo_acc) * 3.5 + n * 0.1 * 1.0) / n
    scale = _touch_scale(w.touches_per_deal, other_per_deal)
    next_id = 0
    for k, i0 in enumerate(range(0, n, _CHUNK_DEALS)):
        i1 = min(n, i0 + _CHUNK_DEALS)
        df = _deal_touches(w.rng(100, k), w, i0, i1, scale)
        df["i"] = np.arange(next_id, next_id + len(df))
        next_id += len(df)
        _insert_touches(w.con, df)
        w.bar.advance(_WEIGHT["touchpoints"] * (i1 - i0) / n, f"touchpoints {i1:,}/{n:,} deals")
    rng = w.rng(6)
    df = _lead_touches(rng, w.o_acc[: len(lo_acc)], w.o_contact[: len(lo_acc)], w.o_created[: len(lo_acc)])
    post = _post_close_touches(rng, w)
    df = pd.concat([df, post], ignore_index=True)
    df["i"] = np.arange(next_id, next_id + len(df))
    _insert_touches(w.con, df)
    w.bar.advance(_WEIGHT["other_touchpoints"], "touchpoints outside deals")
    _insert_review_site_visits(w.con, w.rng(8))

    _insert_spend(w.con, w.rng(7))
