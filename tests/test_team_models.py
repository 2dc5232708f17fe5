"""A team's own models (models.toml / $CLOSEDLOOP_MODELS): position weights, type multipliers and
their own lookback, beside the built-in ones, worked out by hand on tests/fixture.py's D01."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from pytest import approx

from closedloop import cli
from closedloop.engine.attribution import api, models

TOML = """
[models.sales_first]
label = "Sales first"
positions = { FT = 1, CL = 3 }
multipliers = { sales_call = 2.0 }

[models.recent_only]
lookback_days = 0
positions = { middle = 1 }
"""
# D01 alone closed on 2026-02-10 (won): T01 paid_search FT, T02 LC, T03 OC, T04 sales meeting,
# T05 sales call CL
D01 = {"date_from": "2026-02-10", "date_to": "2026-02-10"}


@pytest.fixture
def team(tmp_path: Path, monkeypatch):
    path = tmp_path / "models.toml"
    path.write_text(TOML, encoding="utf-8")
    monkeypatch.setenv("CLOSEDLOOP_MODELS", str(path))
    models.load_team_models()
    yield path
    monkeypatch.delenv("CLOSEDLOOP_MODELS")
    models.load_team_models()
    assert "sales_first" not in models.MODELS


def test_team_models_credit_by_hand(team, fixture_con):
    # sales_first: FT 1/4 and CL 3/4; the call counts twice: 0.25 : 1.5 -> 1/7 and 6/7
    first = api.rollup(fixture_con, "sales_first", **D01).set_index("key")["attributed_wins"]
    assert first[first > 0].to_dict() == approx({"paid_search": 1 / 7, "sales": 6 / 7})
    # recent_only: its own lookback 0 keeps T04 and T05 (after D01's creation), an equal split
    recent = api.rollup(fixture_con, "recent_only", **D01).set_index("key")["attributed_wins"]
    assert recent[recent > 0].to_dict() == approx({"sales": 1.0})
    # the built-in models beside them keep the page's lookback
    linear = api.rollup(fixture_con, "linear", **D01).set_index("key")["attributed_wins"]
    assert linear["sales"] == approx(2 / 5)


def test_team_models_are_in_the_catalogue_and_in_attribute_all(team, fixture_db, capsys):
    catalogue = api.model_catalogue().set_index("model")
    assert catalogue.loc["sales_first", "label"] == "Sales first"
    assert "sales_call x2" in catalogue.loc["sales_first", "weights"]
    assert "lookback 0 days" in catalogue.loc["recent_only", "weights"]
    assert (
        cli.main(["attribute", "--db", str(fixture_db), "--model", "all", "--from", "2026-02-10", "--to", "2026-02-10"])
        == 0
    )
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert float(rows["sales"]["sales_first"]) == approx(6 / 7, abs=1e-6)
    assert float(rows["sales"]["recent_only"]) == approx(1.0, abs=1e-6)


def test_a_bad_team_file_says_what_is_wrong(tmp_path: Path):
    path = tmp_path / "m.toml"
    path.write_text("[models.linear]\npositions = { FT = 1 }\n", encoding="utf-8")
    with pytest.raises(ValueError, match="built-in"):
        models.read_team_models(path)
    path.write_text("[models.x]\npositions = { FT = 1 }\nlookback_days = 900\n", encoding="utf-8")
    with pytest.raises(ValueError, match="0 to 730"):
        models.read_team_models(path)
