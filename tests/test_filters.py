"""One Filters value from the page to the query layer, its constants defined once, and the
Attribution page's one pass of each query (issue 13)."""

from __future__ import annotations

import ast
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from closedloop import db, filters
from closedloop.engine import attribution as attr
from closedloop.filters import Filters
from closedloop.pages import attribution as page

ROOT = Path(__file__).resolve().parent.parent
Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))


def test_filters_of_reads_loose_values():
    f = Filters.of("2026-01-01", datetime(2026, 3, 31, 17, 0), "", "EMEA", None, np.int64(30), "contact_roles")
    assert f == Filters(date(2026, 1, 1), date(2026, 3, 31), None, "EMEA", None, 30, "contact_roles")
    assert type(f.lookback_days) is int
    assert Filters.of() == Filters(None, None, None, None, None, 180, "account")
    assert Filters.of().params() == {
        "date_from": None,
        "date_to": None,
        "segment": None,
        "region": None,
        "owner": None,
        "lookback_days": 180,
        "scope": "account",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "starts"),
        ({"date_from": "31/01/2026"}, "date_from must be a date"),
        ({"scope": "everyone"}, "Scope must be one of account, contact_roles"),
        ({"lookback_days": 731}, "0 to 730"),
        ({"lookback_days": -1}, "0 to 730"),
        ({"lookback_days": 7.5}, "whole number"),
        ({"lookback_days": True}, "whole number"),
    ],
)
def test_filters_refuse_what_no_query_can_answer(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Filters.of(**kwargs)


def test_the_attribution_api_takes_a_filters_value_or_its_keywords(fixture_con):
    by_value = attr.rollup(fixture_con, "linear", f=Q1.with_(segment="Enterprise"))
    by_keywords = attr.rollup(fixture_con, "linear", date_from="2026-01-01", date_to="2026-03-31", segment="Enterprise")
    pd.testing.assert_frame_equal(by_value, by_keywords)
    with pytest.raises(TypeError, match="not both: owner"):
        attr.rollup(fixture_con, "linear", f=Q1, owner="Bob")
    with pytest.raises(TypeError):
        attr.rollup(fixture_con, "linear", lookback=30)  # a typo is refused, not ignored


def _assignments(name: str) -> list[str]:
    """The modules of the core that assign `name` at their top level."""
    found = []
    for path in sorted((ROOT / "closedloop").rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                found.append(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("SCOPES", "closedloop/filters.py"),
        ("DEFAULT_LOOKBACK_DAYS", "closedloop/filters.py"),
        ("MAX_LOOKBACK_DAYS", "closedloop/filters.py"),
        ("DEFAULT_HALF_LIFE_DAYS", "closedloop/engine/attribution/models.py"),
        ("DEFAULT_ORDER", "closedloop/engine/attribution/models.py"),
    ],
)
def test_each_constant_is_defined_once(name, home):
    assert _assignments(name) == [home]


def test_the_attribution_page_runs_each_query_once(fixture_con, monkeypatch):
    """The chosen model, every model side by side and the team split: the rule-based SQL runs once
    by channel (it answers the roll-up and the comparison) and once by team, where it ran three
    times before; Markov's and Shapley's inputs once each. Figures as the API's own calls give them."""
    runs: Counter[tuple[str, str | None]] = Counter()
    real = db.run

    def counting(con, name, **params):
        if name.startswith("attribution_"):  # not the check whether the journey tables exist
            runs[(name, params.get("by"))] += 1
        return real(con, name, **params)

    monkeypatch.setattr(db, "run", counting)
    v = page.attribution_view(fixture_con, Q1, model="w_shaped", by="channel", measure="wins")
    assert runs == {
        ("attribution_rollup", "channel"): 1,
        ("attribution_rollup", "team"): 1,
        ("attribution_shapley_coalitions", "channel"): 1,
        ("attribution_markov_transitions", "channel"): 1,
    }
    monkeypatch.setattr(db, "run", real)
    pd.testing.assert_frame_equal(v.rollup, attr.rollup(fixture_con, "w_shaped", f=Q1))
    pd.testing.assert_frame_equal(v.comparison, attr.compare_models(fixture_con, f=Q1))
    # Q1 2026 wins under W-shaped by team (tests/test_app_attribution.py works them out)
    shares = v.team_split.set_index("team")["share"]
    assert shares.sum() == pytest.approx(1.0)
    assert filters.SCOPES == attr.SCOPES
