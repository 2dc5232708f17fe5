"""Properties of every model on random journeys (hypothesis)."""

from __future__ import annotations

import random
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest import approx
from test_attribution_rules import DAY0, build_db, day, midnight

from closedloop.engine import attribution
from closedloop.engine.attribution import MODELS, RULE_MODELS, CustomWeights
from closedloop.engine.attribution.models import position_credit

CHANNELS = ["ads", "email", "sales", "web"]
# each example builds a database and runs real queries: few examples, no deadline
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def journeys(draw: st.DrawFn, shared_accounts: bool = True) -> dict:
    """Deals with touches on their accounts (sometimes shared), leads, ties, open deals."""
    deals, touches, contacts = [], [], []
    t = 0
    for i in range(draw(st.integers(1, 6))):
        acct = f"A{draw(st.integers(0, i))}" if shared_accounts else f"A{i}"
        created = draw(st.integers(0, 40))
        outcome = draw(st.sampled_from(["won", "lost", "open"]))
        closed = None if outcome == "open" else midnight(created + draw(st.integers(1, 40)))
        deals.append((f"D{i}", acct, midnight(created), closed, outcome, float(draw(st.integers(0, 1000)))))
        for _ in range(draw(st.integers(0, 6))):
            # touches land before, inside and after the deal; equal days tie on purpose
            when = day(draw(st.integers(-10, 90)))
            touches.append((f"T{t:03d}", when, acct, draw(st.sampled_from(CHANNELS))))
            t += 1
        if draw(st.booleans()):
            contacts.append((f"K{i}", acct, day(draw(st.integers(-10, 60)))))
    return {"deals": deals, "touches": touches, "contacts": contacts}


def _db(j: dict) -> duckdb.DuckDBPyConnection:
    return build_db(duckdb.connect(), j["deals"], j["touches"], contacts=j["contacts"])


weights_strategy = st.builds(
    CustomWeights,
    ft=st.integers(0, 5),
    lc=st.integers(0, 5),
    oc=st.integers(0, 5),
    cl=st.integers(0, 5),
    middle=st.integers(1, 5),
    multipliers=st.fixed_dictionaries({"email_touch": st.sampled_from([0, 0.5, 3])}),
)


@settings(SETTINGS, max_examples=30)
@given(journeys(), weights_strategy, st.floats(0.5, 30))
def test_every_deal_credit_sums_to_one_and_matches_the_python_rule(j: dict, w: CustomWeights, half_life: float):
    con = _db(j)
    df = attribution.touch_credit(con, half_life_days=half_life, weights=w)
    models = list(RULE_MODELS)
    sums = df.groupby("deal_id")[models].sum()
    assert sorted(sums.index) == sorted(d[0] for d in j["deals"])
    assert np.abs(sums.to_numpy() - 1).max() < 1e-9
    assert (df[models] >= -1e-15).all().all()
    # the SQL's position rule is the one in models.position_credit
    for _, deal in df[df["touchpoint_id"].notna()].groupby("deal_id"):
        deal = deal.sort_values("touch_number")
        n = len(deal)
        pos = deal["positions"].tolist()
        n_lc = next((i + 1 for i, p in enumerate(pos) if "LC" in p), 0)
        n_oc = next((i + 1 for i, p in enumerate(pos) if "OC" in p), 0)
        assert "FT" in pos[0] and "CL" in pos[-1]
        for name in models:
            slots = MODELS[name].slots
            if slots is not None:
                assert deal[name].to_numpy() == approx(position_credit(slots, n, n_lc, n_oc)), name


@SETTINGS
@given(journeys())
def test_first_touch_is_the_earliest_and_last_touch_the_latest(j: dict):
    df = attribution.touch_credit(_db(j))
    touched = df[df["touchpoint_id"].notna()]
    for _, deal in touched.groupby("deal_id"):
        order = deal.sort_values(["occurred_at", "touchpoint_id"])
        assert order["first_touch"].tolist() == [1.0] + [0.0] * (len(order) - 1)
        assert order["last_touch"].tolist() == [0.0] * (len(order) - 1) + [1.0]


@SETTINGS
@given(journeys(shared_accounts=False), st.randoms(use_true_random=False))
def test_linear_does_not_depend_on_the_order_of_touches(j: dict, rnd: random.Random):
    # one deal per account; keep the touches inside its window, then reorder them
    end = {d[1]: d[3] or datetime.now() for d in j["deals"]}
    touches = [t for t in j["touches"] if t[1] <= end[t[2]]]
    before = attribution.rollup(_db({**j, "touches": touches}), "linear").set_index("key").sort_index()
    shuffled, by_account = [], {}
    for t in touches:
        by_account.setdefault(t[2], []).append(t)
    for ts in by_account.values():
        times = [t[1] for t in ts]
        rnd.shuffle(times)
        shuffled += [(t[0], when, t[2], t[3]) for t, when in zip(ts, times, strict=True)]
    after = attribution.rollup(_db({**j, "touches": shuffled}), "linear").set_index("key").sort_index()
    pd.testing.assert_frame_equal(before, after, check_exact=False, rtol=1e-9)


def _in(ts: object, lo: date | None, hi: date | None) -> bool:
    if ts is None:
        return False
    d = ts.date()  # type: ignore[attr-defined]
    return (lo is None or d >= lo) and (hi is None or d <= hi)


@SETTINGS
@given(
    journeys(),
    st.one_of(st.none(), st.integers(0, 60)),
    st.one_of(st.none(), st.integers(0, 90)),
    st.sampled_from(["channel", "team", "touchpoint_type"]),
)
def test_rollups_reconcile_to_the_crm(j: dict, lo: int | None, span: int | None, by: str):
    con = _db(j)
    d_from = (DAY0.date() + pd.Timedelta(days=lo)) if lo is not None else None
    d_to = (d_from + pd.Timedelta(days=span)) if d_from is not None and span is not None else None
    wins = [d for d in j["deals"] if d[4] == "won" and _in(d[3], d_from, d_to)]
    created = [d for d in j["deals"] if _in(d[2], d_from, d_to)]
    n_wins, revenue, pipeline = len(wins), sum(d[5] for d in wins), sum(d[5] for d in created)
    results = attribution.rollups(con, by=by, date_from=d_from, date_to=d_to)
    models = list(results)
    assert set(models) == set(MODELS) - {"custom"}
    for measure, total in (("wins", n_wins), ("revenue", revenue)):
        cmp = attribution.side_by_side(results, attribution.MEASURE_COLUMNS[measure])
        assert cmp[models].sum().to_numpy() == approx([total] * len(models), abs=1e-6), measure
    rules = [m for m in RULE_MODELS if m != "custom"]
    cmp = attribution.side_by_side({m: results[m] for m in rules}, "attributed_pipeline_usd")
    assert cmp[rules].sum().to_numpy() == approx([pipeline] * len(rules), abs=1e-6)
