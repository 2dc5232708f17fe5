"""The data-quality panel on the hand-built fixture (tests/fixture.py), figures worked out by hand."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from closedloop import db
from closedloop.engine import journey_tables as derived
from closedloop.importer import data_quality


def test_rows_per_table_counts_the_fixture(fixture_con):
    df = db.run(fixture_con, "data_quality_rows_per_table")
    counts = dict(zip(df["table_name"], df["row_count"], strict=True))
    assert counts["accounts"] == 7 and counts["contacts"] == 8 and counts["leads"] == 9
    assert counts["campaigns"] == 6 and counts["touchpoints"] == 24 and counts["deals"] == 12
    assert counts["deal_contacts"] == 13 and counts["deal_stage_history"] == 34  # 12 + 12 + 10 closed
    total, sample = data_quality(fixture_con)["rows_per_table"]
    assert total == 7 + 8 + 9 + 6 + 24 + 12 + 13 + 34
    assert list(sample["table_name"][:2]) == ["accounts", "contacts"]


def test_the_fixture_has_no_orphans_until_one_is_added(fixture_db):
    con = duckdb.connect(str(fixture_db))
    assert db.run(con, "data_quality_orphans", sample_size=5).empty
    con.execute("insert into deal_contacts values ('D01', 'K99', 'user')")
    con.execute(
        "insert into touchpoints (touchpoint_id, occurred_at, account_id, contact_id, team, channel, "
        "touchpoint_type, campaign_id, asset) "
        "values ('T99', '2026-01-01', 'A9', null, 'sales', 'sales', 'sales_call', null, null)"
    )
    count, sample = data_quality(con)["orphans"]
    assert count == 2
    assert set(zip(sample["table_name"], sample["missing_id"], strict=True)) == {
        ("deal_contacts", "K99"),
        ("touchpoints", "A9"),
    }
    con.close()


def test_touches_after_close_is_t10_only(fixture_con):
    # A2's deals D09 and D02 closed by 2026-03-01 and none is open; T10 came on 03-05.
    # T18 (A4, after D04 closed) still counts for the open D10, so it isn't listed.
    df = db.run(fixture_con, "data_quality_touches_after_close", sample_size=10)
    assert list(df["touchpoint_id"]) == ["T10"]
    assert df["days_after_close"].iloc[0] == 4
    assert data_quality(fixture_con)["touches_after_close"][0] == 1


def test_deals_without_touchpoints_is_d06(fixture_con):
    df = db.run(fixture_con, "data_quality_deals_without_touchpoints", lookback_days=180, sample_size=10)
    assert list(df["deal_id"]) == ["D06"]
    assert data_quality(fixture_con)["deals_without_touchpoints"][0] == 1


def test_deals_without_touchpoints_is_the_same_before_and_after_the_journey_tables_are_stored(fixture_db):
    con = duckdb.connect(str(fixture_db))
    live = data_quality(con, sample_size=50)
    derived.refresh(con)
    assert derived.usable(con)
    fast = data_quality(con, sample_size=50)
    for name, (count, sample) in live.items():
        assert fast[name][0] == count, name
        if name != "rows_per_table":  # the same counts; only the table list is read differently
            pd.testing.assert_frame_equal(fast[name][1], sample, check_dtype=True)
    assert list(fast["deals_without_touchpoints"][1]["deal_id"]) == ["D06"]
    direct = db.run(con, "data_quality_deals_without_touchpoints", lookback_days=180, sample_size=50)
    assert list(direct["deal_id"]) == ["D06"] and int(direct["total"].iloc[0]) == 1
    # another lookback: the same stored tables
    count, sample = data_quality(con, lookback_days=30)["deals_without_touchpoints"]
    df = db.run(con, "data_quality_deals_without_touchpoints", lookback_days=30, sample_size=20)
    assert count == int(df["total"].iloc[0]) > 1
    assert list(sample["deal_id"]) == list(df["deal_id"])
    con.close()


def test_deals_without_account_and_duplicates_are_none_in_the_fixture(fixture_con):
    assert db.run(fixture_con, "data_quality_deals_without_account", sample_size=5).empty
    assert db.run(fixture_con, "data_quality_duplicate_touches", sample_size=5).empty


def test_duplicate_looking_touches_are_grouped(fixture_db):
    con = duckdb.connect(str(fixture_db))
    # T02 again under another id, later the same day: an ebook download logged by two tools
    con.execute(
        "insert into touchpoints (touchpoint_id, occurred_at, account_id, contact_id, team, channel, "
        "touchpoint_type, campaign_id, asset) values ('HS-1', '2025-12-01 16:30', 'A1', 'K01', 'marketing', "
        "'content', 'ebook_download', 'C2', 'ROI Guide')"
    )
    count, sample = data_quality(con)["duplicate_touches"]
    assert count == 1
    assert sample["touchpoint_ids"].iloc[0] == "HS-1, T02"
    con.close()


def test_date_ranges_flag_dates_after_as_of(fixture_con):
    df = db.run(fixture_con, "data_quality_date_ranges", as_of=datetime(2026, 3, 31))
    occurred = df[(df["table_name"] == "touchpoints") & (df["column_name"] == "occurred_at")].iloc[0]
    assert occurred["earliest"] == datetime(2025, 5, 20, 10) and occurred["latest"] == datetime(2026, 4, 1, 10)
    assert occurred["in_future"] == 1  # T18
    closed = df[(df["table_name"] == "deals") & (df["column_name"] == "closed_at")].iloc[0]
    assert closed["empty"] == 2 and closed["filled"] == 10  # D10 and D11 are open
    assert data_quality(fixture_con, as_of=datetime(2026, 3, 31))["date_ranges"][0] == 1
    assert data_quality(fixture_con, as_of=datetime(2030, 1, 1))["date_ranges"][0] == 0


def test_closed_before_created_and_won_before_first_touch(fixture_db):
    # issue 11: two checks the tab lacked. The fixture has neither …
    con = duckdb.connect(str(fixture_db))
    assert db.run(con, "data_quality_closed_before_created", sample_size=5).empty
    assert db.run(con, "data_quality_won_before_first_touch", sample_size=5).empty
    # … until D30 closes 31 days before its creation, and D31, won on Cobalt Credit (A3) on
    # 2025-12-20, closes 13 days before A3's first touch (T11, 2026-01-02 10:00)
    con.execute(
        "insert into deals (deal_id, account_id, name, created_at, closed_at, outcome) values "
        "('D30', 'A1', 'Backwards', '2026-02-01', '2026-01-01', 'lost'), "
        "('D31', 'A3', 'Early win', '2025-12-01', '2025-12-20', 'won')"
    )
    checks = data_quality(con)
    count, sample = checks["closed_before_created"]
    assert count == 1 and list(sample["deal_id"]) == ["D30"] and sample["days_before_created"][0] == 31
    count, sample = checks["won_before_first_touch"]
    assert count == 1 and list(sample["deal_id"]) == ["D31"]
    assert sample["first_touch_at"][0] == datetime(2026, 1, 2, 10) and sample["days_before_first_touch"][0] == 13
    assert sample["account_touches"][0] == 3  # T11, T12, T13
    con.close()
