"""Path reports (queries/path_time_lag.sql, path_length.sql, path_summary.sql;
closedloop/engine/path_reports.py).

Hand-worked on the fixture (tests/fixture.py), Q1 2026, account scope, 180-day lookback. Each
closed deal's touches in its window (channels in time order), days from its first touch to its
close (calendar days) and touches:

    D01 won  100,000  paid_search > content > webinar > sales > sales                  101 days  5
    D02 won   40,000  paid_social > event                                              167 days  2
    D03 lost          email > sales > sales                                             49 days  3
    D04 won  200,000  sales > sales                                                     59 days  2
    D05 lost          paid_social > sales > sales                                       69 days  3
    D06 lost          (no touch)                                                             -   0
    D07 won   50,000  paid_search > content > webinar > sales > sales > email > sales  149 days  7
    D08 won   12,000  webinar > content                                                 18 days  2

D01 and D03 closed in February, the others in March.
"""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from helpers import run_page

from closedloop.engine import path_reports as pr
from closedloop.filters import Filters
from closedloop.pages import journeys, path_reports

Q1 = ("2026-01-01", "2026-03-31")


def bands(rolled: pd.DataFrame) -> dict[str, tuple[int, int]]:
    return {r.label: (r.won_deals, r.lost_deals) for r in rolled.itertuples() if r.closed_deals}


def test_time_lag_by_hand(fixture_con) -> None:
    by_month = pr.time_lag(fixture_con, *Q1)
    rolled = pr.rollup(by_month, pr.time_lag_labels())
    assert bands(rolled) == {
        "15–30 days": (1, 0),  # D08 18
        "31–60 days": (1, 1),  # D04 59, D03 49
        "61–90 days": (0, 1),  # D05 69
        "91–180 days": (3, 0),  # D01 101, D02 167, D07 149
        "(no touchpoint)": (0, 1),  # D06
    }
    r = rolled.set_index("label")
    assert r.loc["91–180 days", "mean_won"] == pytest.approx((101 + 167 + 149) / 3)
    assert r.loc["91–180 days", "won_amount_usd"] == 190_000
    assert r.loc["91–180 days", "share_of_won"] == pytest.approx(3 / 5)
    assert r.loc["31–60 days", "win_rate"] == pytest.approx(0.5)
    # every band is listed, empty ones with 0 deals, in order; the special band last
    assert rolled["label"].tolist() == [*pr.time_lag_labels().values(), "(no touchpoint)"]
    assert r.loc["0–7 days", "closed_deals"] == 0
    # by month: February holds D01 (91–180) and D03 (31–60)
    feb = by_month[by_month["closed_month"] == pd.Timestamp("2026-02-01")]
    assert sorted(zip(feb["label"], feb["won_deals"], feb["lost_deals"], strict=True)) == [
        ("(no touchpoint)", 0, 1),
        ("31–60 days", 0, 1),
        ("91–180 days", 1, 0),
    ]


def test_path_length_by_hand(fixture_con) -> None:
    rolled = pr.rollup(pr.path_length(fixture_con, *Q1), pr.path_length_labels())
    assert bands(rolled) == {
        "2 touches": (3, 0),  # D02, D04, D08
        "3 touches": (0, 2),  # D03, D05
        "5 touches": (1, 0),  # D01
        "6–10 touches": (1, 0),  # D07
        "(no touchpoint)": (0, 1),  # D06
    }
    r = rolled.set_index("label")
    assert r.loc["6–10 touches", "mean_won"] == 7
    assert r.loc["3 touches", "mean_lost"] == 3
    assert rolled["label"].iloc[0] == "1 touch" and rolled["closed_deals"].iloc[0] == 0


@pytest.mark.parametrize(
    ("transform", "d07", "d04"),
    [
        ("as_is", "paid_search > content > webinar > sales > sales > email > sales", "sales > sales"),
        ("collapse_repeats", "paid_search > content > webinar > sales > email > sales", "sales"),
        ("first_occurrence", "paid_search > content > webinar > sales > email", "sales"),
        ("frequency", "paid_search(1) > content(1) > webinar(1) > sales(3) > email(1)", "sales(2)"),
        # sales dropped, except from D04's path, which is nothing but sales
        ("drop_channel", "paid_search > content > webinar > email", "sales > sales"),
    ],
)
def test_path_transforms_by_hand(fixture_con, transform: str, d07: str, d04: str) -> None:
    df = pr.path_summary(fixture_con, *Q1, transform=transform, drop_channel="sales").set_index("path")
    assert df.loc[d07, "total_conversions"] == 1 and df.loc[d07, "total_conversion_value"] == 50_000
    assert df.loc[d04, "total_conversions"] == 1 and df.loc[d04, "total_conversion_value"] == 200_000
    assert df.loc["(no touchpoint)", "total_null"] == 1


def test_paths_merge_after_a_transform(fixture_con) -> None:
    """Collapsing repeats: D04 sales > sales reads 'sales' (1 won, 0 lost, win rate 1) and D03 email >
    sales > sales reads 'email > sales' (0 won, 1 lost); the eight deals keep eight distinct paths."""
    df = pr.path_summary(fixture_con, *Q1, transform="collapse_repeats").set_index("path")
    assert df.loc["sales", ["total_conversions", "total_null", "steps"]].tolist() == [1, 0, 1]
    assert df.loc["email > sales", ["total_conversions", "total_null", "win_rate"]].tolist() == [0, 1, 0.0]
    assert len(df) == 8


def test_every_transform_keeps_every_deal(fixture_con) -> None:
    """Property: a transform changes paths, never the deals: 5 won (402,000 USD) and 3 lost."""
    for t in pr.TRANSFORMS:
        df = pr.path_summary(fixture_con, *Q1, transform=t, drop_channel="email")
        assert (df["total_conversions"].sum(), df["total_null"].sum()) == (5, 3), t
        assert df["total_conversion_value"].sum() == 402_000, t
        assert (df["win_rate"] == df["total_conversions"] / (df["total_conversions"] + df["total_null"])).all()


def test_months_roll_up_to_the_period(fixture_con) -> None:
    """Property: the rows add up: two one-month periods' rows summed are the two months' rows."""
    feb = pr.time_lag(fixture_con, "2026-02-01", "2026-02-28")
    mar = pr.time_lag(fixture_con, "2026-03-01", "2026-03-31")
    both = pr.time_lag(fixture_con, "2026-02-01", "2026-03-31")
    labels = pr.time_lag_labels()
    pd.testing.assert_frame_equal(pr.rollup(pd.concat([feb, mar]), labels), pr.rollup(both, labels))


def test_agrees_with_the_journeys_page(fixture_con) -> None:
    """Property: the per-band counts are the Journeys page's per-deal figures counted."""
    stats = journeys.journeys(fixture_con, Filters(*(date.fromisoformat(d) for d in Q1)), order=None).stats
    rolled = pr.rollup(pr.path_length(fixture_con, *Q1))
    touched = stats[stats["touches"] > 0]
    assert rolled.loc[rolled["band"] >= 0, "closed_deals"].sum() == len(touched)
    lag = pr.rollup(pr.time_lag(fixture_con, *Q1))
    days = pd.to_numeric(stats["days_first_touch_to_close"]).dropna()
    assert (lag["mean_won"] * lag["won_deals"]).sum() + (lag["mean_lost"] * lag["lost_deals"]).fillna(0).sum() == (
        pytest.approx(days.sum())
    )


def test_dates_unknown_band(fixture_con, fixture_db) -> None:
    import duckdb

    fixture_con.close()
    con = duckdb.connect(str(fixture_db))
    con.execute("update deals set dates_unknown = true where deal_id = 'D02'")
    con.close()
    from closedloop import db

    con = db.connect(fixture_db)
    try:
        by_month = pr.time_lag(con, *Q1)
        counted = pr.by_month_of(_per_deal(con, Q1_FILTERS), "days", pr.DEFAULT_DAY_EDGES)
    finally:
        con.close()
    rolled = pr.rollup(by_month)
    assert bands(rolled)["(dates unknown)"] == (1, 0)
    assert bands(rolled)["91–180 days"] == (2, 0)
    pd.testing.assert_frame_equal(counted, by_month)  # the page's count has the band too


Q1_FILTERS = Filters(*(date.fromisoformat(d) for d in Q1))


def _per_deal(con, f: Filters, day_edges=pr.DEFAULT_DAY_EDGES, touch_edges=pr.DEFAULT_TOUCH_EDGES) -> pd.DataFrame:
    """The Journeys page's per-deal rows, with their bands at these edges."""
    from closedloop import db

    return db.run(
        con,
        "journey_paths",
        path_steps=0,
        path_end="first",
        day_edges=list(day_edges),
        touch_edges=list(touch_edges),
        **f.params(),
    )


@pytest.mark.parametrize(
    "f",
    [
        Q1_FILTERS,
        Q1_FILTERS.with_(owner="Bob", scope="contact_roles", lookback_days=90),
        Q1_FILTERS.with_(date_from=date(2025, 10, 1)),  # two quarters: D09 and D12 too
        Filters(date(2024, 1, 1), date(2024, 3, 31)),  # no deal
    ],
)
def test_the_page_counts_the_reports_from_its_per_deal_rows(fixture_con, f: Filters) -> None:
    """The Journeys page counts time lag and path length from its per-deal rows (journey_paths)
    rather than running path_time_lag and path_length: every row is the queries' own."""
    deals = _per_deal(fixture_con, f)
    page = path_reports.distributions(deals)
    pd.testing.assert_frame_equal(page.time_lag_by_month, pr.time_lag(fixture_con, f=f))
    pd.testing.assert_frame_equal(page.path_length_by_month, pr.path_length(fixture_con, f=f))
    for edges in ((30, 90), (1, 2, 200)):
        pd.testing.assert_frame_equal(
            pr.by_month_of(_per_deal(fixture_con, f, day_edges=edges), "days", edges),
            pr.time_lag(fixture_con, f=f, day_edges=edges),
        )
    pd.testing.assert_frame_equal(
        pr.by_month_of(_per_deal(fixture_con, f, touch_edges=(3, 6)), "touches", (3, 6)),
        pr.path_length(fixture_con, f=f, touch_edges=(3, 6)),
    )


def test_the_page_counts_by_hand(fixture_con) -> None:
    """Q1 2026 counted from the per-deal rows (the table in this module's docstring)."""
    page = path_reports.distributions(_per_deal(fixture_con, Q1_FILTERS))
    assert bands(page.time_lag)["91–180 days"] == (3, 0)  # D01 101, D02 167, D07 149
    assert bands(page.path_length) == {
        "2 touches": (3, 0),  # D02, D04, D08
        "3 touches": (0, 2),  # D03, D05
        "5 touches": (1, 0),  # D01
        "6–10 touches": (1, 0),  # D07
        "(no touchpoint)": (0, 1),  # D06
    }
    feb = page.time_lag_by_month[page.time_lag_by_month["closed_month"] == pd.Timestamp("2026-02-01")]
    assert sorted(zip(feb["label"], feb["won_deals"], feb["lost_deals"], feb["won_sum"], strict=True)) == [
        ("(no touchpoint)", 0, 1, 0),
        ("31–60 days", 0, 1, 0),  # D03 lost: 49 days in lost_sum
        ("91–180 days", 1, 0, 101),  # D01
    ]
    assert page.closed_deals == 8 and page.touched_deals == 7


def test_bad_settings(fixture_con) -> None:
    with pytest.raises(ValueError, match="transform"):
        pr.path_summary(fixture_con, *Q1, transform="reverse")
    with pytest.raises(ValueError, match="channel to drop"):
        pr.path_summary(fixture_con, *Q1, transform="drop_channel")
    with pytest.raises(ValueError, match="increasing"):
        pr.time_lag(fixture_con, *Q1, day_edges=(30, 10))


def test_labels() -> None:
    assert pr.band_labels([8, 15], "days", 0) == {0: "0–7 days", 1: "8–14 days", 2: "15+ days"}
    assert pr.path_length_labels([2, 3, 6])[0] == "1 touch"
    assert pr.path_length_labels([2, 3, 6])[2] == "3–5 touches"


# --- the Journeys page's path reports --------------------------------------------------------------


def _journeys_page(**params: str):
    return run_page("views/journeys.py", **params)


def test_journeys_page_path_reports(app_db) -> None:
    at = _journeys_page(quarter="2026Q1")
    assert not at.exception, [e.value for e in at.exception]
    lag, length, paths = (df.value for df in at.dataframe[-3:])
    assert bands(lag)["91–180 days"] == (3, 0)
    assert bands(length)["2 touches"] == (3, 0)
    p = paths.set_index("path")  # collapse_repeats by default
    assert p.loc["sales", ["total_conversions", "total_null"]].tolist() == [1, 0]
    assert any("(no touchpoint) — 0 won, 1 lost" in c.value for c in at.caption)
    at.selectbox(key="j_transform").set_value("drop_channel").run()
    assert at.selectbox(key="j_drop").value == "sales"  # on the most deals (5)
    p = at.dataframe[-1].value.set_index("path")
    assert p.loc["sales > sales", "total_conversions"] == 1  # D04: nothing but sales, kept
    assert "email" in p.index  # D03 without its sales touches


def test_journeys_page_path_reports_empty(app_db) -> None:
    at = _journeys_page(**{"from": "2024-01-01", "to": "2024-03-31"})
    assert not at.exception and "No deals closed" in at.info[0].value


def test_paths_command_feeds_attribute_paths(fixture_db, tmp_path, capsys) -> None:
    """`paths` writes the format `attribute-paths --paths` reads: the transformed paths credited."""
    from closedloop import cli

    out = tmp_path / "p.csv"
    argv = ["paths", "--db", str(fixture_db), "--from", Q1[0], "--to", Q1[1], "--transform", "first_occurrence"]
    assert cli.main([*argv, "--out", str(out)]) == 0
    assert cli.main(["attribute-paths", "--paths", str(out), "--model", "first_touch"]) == 0
    credit = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("channel")
    # first touches of the 5 wins: paid_search (D01, D07), paid_social (D02), sales (D04), webinar (D08)
    assert credit["attributed_conversions"].to_dict() == pytest.approx(
        {"paid_search": 2.0, "paid_social": 1.0, "sales": 1.0, "webinar": 1.0, "email": 0.0, "(no touchpoint)": 0.0}
        | {k: 0.0 for k in credit.index if k not in ("paid_search", "paid_social", "sales", "webinar")}
    )
    assert credit["attributed_value"].sum() == pytest.approx(402_000)


def test_paths_command_reports(fixture_db, capsys) -> None:
    from closedloop import cli

    base = ["paths", "--db", str(fixture_db), "--from", Q1[0], "--to", Q1[1]]
    assert cli.main([*base, "--report", "time-lag", "--bands", "30,90"]) == 0
    lag = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("label")
    assert lag.loc["0–29 days", ["won_deals", "lost_deals"]].tolist() == [1, 0]  # D08
    assert lag.loc["30–89 days", ["won_deals", "lost_deals"]].tolist() == [1, 2]  # D04; D03, D05
    assert lag.loc["90+ days", ["won_deals", "lost_deals"]].tolist() == [3, 0]
    assert cli.main([*base, "--report", "path-length", "--by-month", "--format", "json"]) == 0
    rows = pd.read_json(io.StringIO(capsys.readouterr().out))
    assert rows["won_deals"].sum() == 5 and rows["lost_deals"].sum() == 3
    assert cli.main([*base, "--bands", "3"]) == 2  # bands go with the distributions
    assert "--bands" in capsys.readouterr().err


def test_each_report_reads_its_question(fixture_con, monkeypatch) -> None:
    """time_lag, path_length and path_summary each run their own query file."""
    from closedloop import db

    asked: list[str] = []
    real = db.run
    monkeypatch.setattr(db, "run", lambda con, name, **p: asked.append(name) or real(con, name, **p))
    pr.time_lag(fixture_con, *Q1)
    pr.path_length(fixture_con, *Q1)
    pr.path_summary(fixture_con, *Q1)
    assert [q for q in asked if q.startswith("path_")] == ["path_time_lag", "path_length", "path_summary"]
