"""ui/common's helpers for big results: at most TABLE_ROWS rows on screen, every row in the download."""

from __future__ import annotations

import pandas as pd

from ui import common


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deal_id": [f"D{i:05d}" for i in range(n)],
            "amount_usd": [float((i * 7919) % 1000) if i % 10 else None for i in range(n)],
        }
    )


def test_small_frames_are_shown_whole():
    df = frame(50)
    assert common.shown_rows(df, "amount_usd") is df


def test_big_frames_show_the_largest_or_the_first_rows():
    df = frame(5_000)
    largest = common.shown_rows(df, "amount_usd")
    assert len(largest) == common.TABLE_ROWS
    assert largest["amount_usd"].is_monotonic_decreasing and largest["amount_usd"].notna().all()
    assert largest["amount_usd"].min() >= df["amount_usd"].nlargest(common.TABLE_ROWS).min()
    first = common.shown_rows(df, n=10)
    assert first["deal_id"].tolist() == [f"D{i:05d}" for i in range(10)]


def test_the_download_builds_the_whole_csv():
    df = frame(3_000)
    assert common.csv_bytes(df).decode("utf-8").count("\n") == 3_001


def test_fmt_shows_a_dash_for_missing_values_not_nan() -> None:
    # the Journeys page on a period with wins and no losses read "Median touches 1 vs nan"
    assert common.fmt(float("nan"), "{:g}") == "–"
    assert common.fmt(None, "{:g}") == "–"
    assert common.fmt(pd.NA, "{:g}") == "–"
    assert common.fmt(1.0, "{:g}") == "1"
    assert common.fmt(1234.4, "{:,.0f}") == "1,234"
