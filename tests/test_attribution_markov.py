"""Markov attribution: published worked example, loops, higher orders, and a brute-force check."""

from __future__ import annotations

import random
from collections import defaultdict

import duckdb
import numpy as np
import pandas as pd
import pytest
from helpers import filter_params, random_journeys
from pytest import approx
from test_attribution_rules import build_db, day, midnight

from closedloop import db
from closedloop.engine import attribution
from closedloop.engine.attribution import api, markov
from closedloop.engine.attribution.paths import attribute_paths, parse_paths

# The three-channel example (e.g. Anderl et al.; the ChannelAttribution / analyzecore
# walk-throughs): C1 > C2 > C3 converts, C1 alone and C2 > C3 do not.
# P(conv) = 2/3 * 1/2 * 1 * 1/2 + 1/3 * 1 * 1/2 = 1/3. Without C1: 1/3 * 1/2 = 1/6,
# removal effect 1/2; without C2 or C3 nothing converts: 1 each. Shares 0.2 / 0.4 / 0.4.
THREE_CHANNELS = (
    "path;total_conversions;total_conversion_value;total_null\nC1 > C2 > C3;1;100;0\nC1;0;0;1\nC2 > C3;0;0;1\n"
)
THREE_PATHS = [(("C1", "C2", "C3"), 1, 0), (("C1",), 0, 1), (("C2", "C3"), 0, 1)]


def _effects(text: str, order: int = 1) -> dict[str, tuple[float, float]]:
    out = attribute_paths(parse_paths(text), "markov", order=order)
    return {r.channel: (r.removal_effect, r.attributed_conversions) for r in out.itertuples()}


def test_three_channel_worked_example_on_paths():
    out = attribute_paths(parse_paths(THREE_CHANNELS), "markov").set_index("channel")
    assert out["removal_effect"].to_dict() == approx({"C1": 0.5, "C2": 1.0, "C3": 1.0})
    assert out["attributed_conversions"].to_dict() == approx({"C1": 0.2, "C2": 0.4, "C3": 0.4})
    assert out["attributed_value"].to_dict() == approx({"C1": 20.0, "C2": 40.0, "C3": 40.0})
    transitions = markov.transitions_from_paths(THREE_PATHS)
    assert markov.conversion_probability(markov.build_chain(transitions)) == approx(1 / 3)


def journeys(*paths: tuple[str, str]) -> list[tuple]:
    """Touches t1, t2, ... of each (account, "channel > channel > ...") path, one a day from day 1."""
    rows: list[tuple] = []
    for account, path in paths:
        for i, channel in enumerate(path.split(" > "), start=1):
            rows.append((f"t{len(rows) + 1}", day(i), account, channel))
    return rows


def transitions(con: duckdb.DuckDBPyConnection, order: int) -> pd.DataFrame:
    return db.run(con, "attribution_markov_transitions", by="channel", order=order, **filter_params())


def test_three_channel_worked_example_from_the_database():
    con = build_db(
        duckdb.connect(),
        [
            ("W", "A1", midnight(10), midnight(20), "won", 300.0),
            ("L1", "A2", midnight(10), midnight(20), "lost", 50.0),
            ("L2", "A3", midnight(10), midnight(20), "lost", 70.0),
            ("N", "A4", midnight(10), midnight(20), "won", 30.0),
        ],  # no touch: "No touchpoint"
        journeys(("A1", "C1 > C2 > C3"), ("A2", "C1"), ("A3", "C2 > C3")),
    )
    out = attribution.rollup(con, "markov").set_index("key")
    assert out.loc[["C1", "C2", "C3"], "removal_effect"].tolist() == approx([0.5, 1.0, 1.0])
    assert out.loc[["C1", "C2", "C3"], "attributed_wins"].tolist() == approx([0.2, 0.4, 0.4])
    assert out.loc[["C1", "C2", "C3"], "attributed_revenue_usd"].tolist() == approx([60.0, 120.0, 120.0])
    assert out.loc["No touchpoint", "attributed_wins"] == 1.0
    assert out["attributed_revenue_usd"].sum() == approx(330.0)
    assert list(out.index)[-1] == "No touchpoint"


def test_transitions_query_matches_the_path_counts():
    con = build_db(
        duckdb.connect(),
        [
            ("W", "A1", midnight(10), midnight(20), "won", 1.0),
            ("L", "A2", midnight(10), midnight(20), "lost", 1.0),
            ("O", "A3", midnight(10), None, "open", 1.0),
        ],  # open deals are not journeys
        journeys(("A1", "a > b > a > a"), ("A2", "b > a"), ("A3", "c")),
    )
    for order in (1, 2, 3, 4):
        sql = transitions(con, order)
        py = markov.transitions_from_paths([(("a", "b", "a", "a"), 1, 0), (("b", "a"), 0, 1)], order)
        assert _as_set(sql) == _as_set(py), order
    sql = transitions(con, 2)
    # the repeat a > a is a state of its own at order 2
    assert (("b", "a"), ("a", "a"), None, 1) in _as_set(sql)


def _state(value: object) -> tuple[str, ...] | None:
    # null lists come back as None or pd.NA; lists as lists or numpy arrays
    return tuple(value) if isinstance(value, list | tuple | np.ndarray) else None


def _as_set(df: pd.DataFrame) -> set[tuple]:
    columns = [df[c] for c in ("from_state", "to_state", "absorbed", "transitions")]
    return {
        (_state(f), _state(t), a if isinstance(a, str) else None, int(n)) for f, t, a, n in zip(*columns, strict=True)
    }


def test_looping_path_is_solved_exactly():
    # A > B > A converts, B does not. x_A = 1/2 x_B + 1/2, x_B = 1/2 x_A: x_A = 2/3, x_B = 1/3,
    # P = 1/2. Without A nothing converts (effect 1); without B, x_A = 1/2, P = 1/4 (effect 1/2).
    got = _effects("A > B > A;1;10;0\nB;0;0;1\n")
    assert got == {"A": approx((1.0, 2 / 3)), "B": approx((0.5, 1 / 3))}
    # a self-loop: A > A converts, A alone does not; x_A = 1/3 + 1/3 x_A = 1/2
    chain = markov.build_chain(markov.transitions_from_paths([(("A", "A"), 1, 0), (("A",), 0, 1)]))
    assert markov.conversion_probability(chain) == approx(0.5)


def test_higher_order_remembers_where_a_journey_came_from():
    # A > B converts, C > B does not. Order 1 cannot tell the two B's apart: effects
    # A 1/2, B 1, C 1/2. Order 2 can: B after A always converts, after C never: A 1, B 1, C 0.
    text = "A > B;1;10;0\nC > B;0;0;1\n"
    assert _effects(text, order=1) == {"A": approx((0.5, 0.25)), "B": approx((1.0, 0.5)), "C": approx((0.5, 0.25))}
    assert _effects(text, order=2) == {"A": approx((1.0, 0.5)), "B": approx((1.0, 0.5)), "C": approx((0.0, 0.0))}


def _value_iteration(paths, order: int, removed: str | None) -> float:
    """P(conversion) by iterating x = Q x + r to convergence, from plain dictionaries."""
    counts: dict = defaultdict(lambda: defaultdict(float))
    for path, conv, null in paths:
        if conv + null == 0:  # a journey nobody took
            continue
        prev = ()
        for i in range(len(path)):
            state = tuple(path[max(0, i - order + 1) : i + 1])
            counts[prev][state] += conv + null
            prev = state
        counts[prev]["+"] += conv
        counts[prev]["-"] += null
    x: dict = defaultdict(float)
    for _ in range(20_000):
        delta = 0.0
        for s, outs in counts.items():
            if removed is not None and removed in s:
                continue
            total = sum(outs.values())
            new = (
                sum(
                    n * (1.0 if t == "+" else 0.0 if t == "-" or (removed is not None and removed in t) else x[t])
                    for t, n in outs.items()
                )
                / total
            )
            delta = max(delta, abs(new - x[s]))
            x[s] = new
        if delta < 1e-14:
            break
    return x[()]


@pytest.mark.parametrize("seed", range(12))
def test_removal_effects_match_brute_force_on_random_graphs(seed: int):
    rng = random.Random(seed)
    channels = "abcde"[: rng.randint(2, 5)]
    paths = random_journeys(rng, 8, lambda: tuple(rng.choice(channels) for _ in range(rng.randint(1, 6))), 3)
    if not any(c for _, c, _ in paths):
        paths.append((("a",), 1, 0))
    order = rng.randint(1, 3)
    out = markov.removal_effects(markov.transitions_from_paths(paths, order)).set_index("channel")
    base = _value_iteration(paths, order, None)
    assert out.attrs["conversion_probability"] == approx(base, abs=1e-9)
    for c in out.index:
        expected = 1 - _value_iteration(paths, order, c) / base
        assert out.loc[c, "removal_effect"] == approx(expected, abs=1e-9), c
    assert out["share"].sum() == approx(1.0)


def test_large_state_spaces_use_the_sparse_solver():
    rng = random.Random(7)
    channels = [f"ch{i}" for i in range(12)]
    paths = [
        (tuple(rng.choice(channels) for _ in range(rng.randint(1, 7))), rng.randint(0, 2), rng.randint(0, 3))
        for _ in range(1500)
    ]
    transitions = markov.transitions_from_paths(paths, order=3)
    chain = markov.build_chain(transitions)
    assert len(chain.states) > 1500 and not isinstance(chain.q, type(chain.r))
    dense = markov.Chain(chain.states, chain.q.toarray(), chain.r)  # type: ignore[attr-defined]
    assert markov.conversion_probability(chain) == approx(markov.conversion_probability(dense), abs=1e-12)


def test_transition_probabilities_for_a_heatmap():
    t = markov.transitions_from_paths(THREE_PATHS)
    p = markov.transition_probabilities(t).set_index(["from", "to"])["probability"]
    assert p[("(start)", "C1")] == approx(2 / 3)
    assert p[("C3", "(conversion)")] == approx(0.5)
    assert p.groupby(level=0).sum().tolist() == approx([1.0] * 4)


def test_closed_totals_query_on_fixture(fixture_con):
    # Markov alone reads its totals from "attribution_closed_totals" instead of the coalitions
    args = filter_params(date_from="2026-01-01", date_to="2026-03-31")
    df = db.run(fixture_con, "attribution_closed_totals", **args)
    rows = {t: (n, w, r) for t, n, w, r in df.itertuples(index=False)}
    # touched: D01, D02, D04, D07, D08 won (402,000), D03, D05 lost; untouched: D06 lost
    assert rows == {True: (7, 5, 402_000.0), False: (1, 0, 0.0)}
    coalitions = db.run(fixture_con, "attribution_shapley_coalitions", by="channel", **args)
    assert api._totals_of(df) == api._closed_totals(coalitions)


def test_markov_alone_equals_markov_beside_shapley(fixture_con):
    # alone it takes the totals query; beside Shapley the coalitions: the same figures
    for args in ({}, {"date_from": "2026-01-01", "date_to": "2026-03-31"}, {"lookback_days": 0}):
        alone = attribution.rollup(fixture_con, "markov", **args)
        both = attribution.rollups(fixture_con, ["markov", "shapley"], **args)["markov"]
        pd.testing.assert_frame_equal(alone, both)
