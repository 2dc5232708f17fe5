"""Shapley attribution: hand-worked game, brute force over permutations, efficiency, 15+ channels."""

from __future__ import annotations

import itertools
import math
import random
import time

import numpy as np
import pandas as pd
import pytest
from helpers import filter_params, random_journeys
from pytest import approx

from closedloop import db
from closedloop.engine import attribution
from closedloop.engine.attribution import shapley


def _coalitions(rows: list[tuple[tuple[str, ...], int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["channels", "wins", "losses"])


def _brute_force(rows: list[tuple[tuple[str, ...], int, int]], variant: str = "win_rate") -> dict[str, float]:
    """Average marginal contribution over every ordering of the channels."""
    counts: dict[frozenset, list[int]] = {}
    for channels, wins, losses in rows:
        if channels:
            c = counts.setdefault(frozenset(channels), [0, 0])
            c[0] += wins
            c[1] += losses
    # a set's win rate pools all its deals
    rate = {
        t: (w / (w + lo) if w + lo else 0.0) if variant == "win_rate" else float(w) for t, (w, lo) in counts.items()
    }
    players = sorted({c for channels, _, _ in rows for c in channels})

    def v(s: frozenset) -> float:
        return sum(r for t, r in rate.items() if t <= s)

    phi = dict.fromkeys(players, 0.0)
    for order in itertools.permutations(players):
        seen: frozenset = frozenset()
        for p in order:
            phi[p] += v(seen | {p}) - v(seen)
            seen = seen | {p}
    return {p: x / math.factorial(len(players)) for p, x in phi.items()}


def test_two_channel_game_by_hand():
    # win rates: {A} 1/2, {B} 1/4, {A, B} 3/4. v(A) = .5, v(B) = .25, v(AB) = 1.5.
    # phi(A) = (v(A) + v(AB) - v(B)) / 2 = .875; phi(B) = (.25 + 1.5 - .5) / 2 = .625
    rows = [(("A",), 1, 1), (("B",), 1, 3), (("A", "B"), 3, 1)]
    out = shapley.shapley_values(_coalitions(rows)).set_index("channel")
    assert out["shapley_value"].to_dict() == approx({"A": 0.875, "B": 0.625})
    assert out["share"].to_dict() == approx({"A": 7 / 12, "B": 5 / 12})
    # conversions only: {A} 1 win, {B} 1, {A, B} 3 split in two
    conv = shapley.shapley_values(_coalitions(rows), "conversions").set_index("channel")
    assert conv["shapley_value"].to_dict() == approx({"A": 2.5, "B": 2.5})


@pytest.mark.parametrize("seed", range(15))
def test_matches_brute_force_and_is_efficient(seed: int):
    rng = random.Random(seed)
    players = "abcdef"[: rng.randint(1, 6)]
    rows = random_journeys(rng, 10, lambda: tuple(sorted(rng.sample(players, rng.randint(1, len(players))))), 5)
    for variant in shapley.VARIANTS:
        got = shapley.shapley_values(_coalitions(rows), variant).set_index("channel")["shapley_value"]
        expected = _brute_force(rows, variant)
        assert got.to_dict() == approx({k: v for k, v in expected.items() if k in got.index})
        # efficiency: the values add up to the grand coalition's value
        rates = shapley.set_rates(_coalitions(rows), variant)
        assert got.sum() == approx(rates["rate"].sum())
        # and the numpy enumeration over all 2^n coalitions agrees
        channels = sorted(got.index)
        enumerated = shapley.shapley_from_values(shapley.coalition_values(rates, channels))
        assert enumerated == approx(got.loc[channels].to_numpy())


def test_sixteen_channels_exactly_and_fast():
    rng = np.random.default_rng(3)
    channels = [f"ch{i:02d}" for i in range(16)]
    rows = []
    for _ in range(3000):
        k = int(rng.integers(1, 6))
        rows.append(
            (
                tuple(sorted(rng.choice(channels, size=k, replace=False))),
                int(rng.integers(0, 4)),
                int(rng.integers(0, 4)),
            )
        )
    start = time.perf_counter()
    got = shapley.shapley_values(_coalitions(rows)).set_index("channel")["shapley_value"]
    took = time.perf_counter() - start
    rates = shapley.set_rates(_coalitions(rows))
    enumerated = shapley.shapley_from_values(shapley.coalition_values(rates, channels))
    assert got.loc[channels].to_numpy() == approx(enumerated)
    assert took < 5  # generous: a sanity bound, not a benchmark


def test_shapley_coalitions_query_on_fixture(fixture_con):
    df = db.run(
        fixture_con,
        "attribution_shapley_coalitions",
        by="channel",
        **filter_params(date_from="2026-01-01", date_to="2026-03-31"),
    )
    sets = {tuple(c): (w, lo, r) for c, w, lo, r in df.itertuples(index=False)}
    assert sets == {
        (): (0, 1, 0.0),  # D06, lost without touches
        ("sales",): (1, 0, 200_000.0),  # D04
        ("content", "webinar"): (1, 0, 12_000.0),  # D08
        ("email", "sales"): (0, 1, 0.0),  # D03
        ("event", "paid_social"): (1, 0, 40_000.0),  # D02
        ("paid_social", "sales"): (0, 1, 0.0),  # D05
        ("content", "paid_search", "sales", "webinar"): (1, 0, 100_000.0),  # D01
        ("content", "email", "paid_search", "sales", "webinar"): (1, 0, 50_000.0),  # D07
    }


def test_shapley_rollup_on_fixture(fixture_con):
    out = attribution.rollup(fixture_con, "shapley", date_from="2026-01-01", date_to="2026-03-31")
    out = out.set_index("key")
    # every Q1 set's win rate is 0 or 1, so phi(sales) = 1 (D04) + 1/4 (D01) + 1/5 (D07)
    assert out.loc["sales", "shapley_value"] == approx(1.45)
    assert out["attributed_wins"].sum() == approx(5.0)
    assert out["attributed_revenue_usd"].sum() == approx(402_000.0)
    assert out.loc["sales", "attributed_revenue_usd"] == approx(402_000.0 * 1.45 / 5)
    assert out["attributed_pipeline_usd"].isna().all()
