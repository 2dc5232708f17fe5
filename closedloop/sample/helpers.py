"""The generator's helpers: random streams, times, categoricals, inserting a DataFrame, the progress bar."""

from __future__ import annotations

import sys
import time

import duckdb
import numpy as np
import pandas as pd

from closedloop import db
from closedloop.sample.world import EPOCH


# ---------------------------------------------------------------------------
# Progress on stderr.
class _Progress:
    """A one-line text progress bar; silent when disabled."""

    def __init__(self, enabled: bool, total: float) -> None:
        self.enabled = enabled
        self.total = total
        self.done = 0.0
        self.start = time.monotonic()

    def advance(self, amount: float, label: str) -> None:
        self.done = min(self.total, self.done + amount)
        if not self.enabled:
            return
        frac = self.done / self.total if self.total else 1.0
        filled = int(round(frac * 30))
        bar = "#" * filled + " " * (30 - filled)
        elapsed = time.monotonic() - self.start
        sys.stderr.write(f"\r[{bar}] {frac:4.0%} {label:<28} {elapsed:5.1f}s")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


# ---------------------------------------------------------------------------
# Helpers.
def _rng(seed: int, *stream: int) -> np.random.Generator:
    """An independent random stream per table / chunk, so chunking never shifts draws."""
    return np.random.default_rng([seed, *stream])


def _to_ts(days: np.ndarray) -> np.ndarray:
    minutes = np.floor(np.asarray(days) * 1440).astype(np.int64)
    return (EPOCH + minutes.astype("timedelta64[m]")).astype("datetime64[us]")


def _business_hours(days: np.ndarray) -> np.ndarray:
    """Move a time to 08:00-18:00 of its own day, keeping its place within the day."""
    day = np.floor(days)
    return day + (8 + 10 * (days - day)) / 24


def _cat(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int32), categories=categories)


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float | np.ndarray, n: int) -> np.ndarray:
    return np.asarray(median) * np.exp(rng.normal(0.0, 1.0, n) * sigma)


def _pick(rng: np.random.Generator, p: list[float] | np.ndarray, n: int) -> np.ndarray:
    cum = np.cumsum(p)
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(cum) - 1)


def _insert(con: duckdb.DuckDBPyConnection, statement: str, df: pd.DataFrame) -> None:
    """Run queries/statements/<statement>.sql, which inserts from `df` registered as `src`."""
    con.register("src", df)
    try:
        db.execute(con, statement)
    finally:
        con.unregister("src")
