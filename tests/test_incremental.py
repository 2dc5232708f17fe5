"""An import that only adds touchpoints updates the journey tables for the deals they touch
(closedloop.engine.journey_tables.refresh_added), and leaves them exactly as a full rebuild would; anything else
(a new key, changed rows) rebuilds them all."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from helpers import generated_sample

from closedloop import db, importer
from closedloop.engine import journey_tables as derived

TABLES = {
    "cl_touch": "scope, deal_idx, touchpoint_id",
    "cl_deal": "deal_idx",
    "cl_key": "dimension, code",
}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_sample(tmp_path_factory, "incremental", deals=300, seed=5)


def _day(base: Path, out: Path, rows: int, channel: str | None = None) -> Path:
    """A day's touchpoints for existing accounts and contacts: copies of existing touches with new
    ids, dated the day before the latest touch (so they land inside open and closed deals' windows)."""
    con = duckdb.connect(str(base), read_only=True)
    try:
        df = con.execute(
            """
            with picked as (
                select *
                from touchpoints
                order by hash(touchpoint_id), touchpoint_id
                limit $rows
            )
            select
                'NEW' || lpad(cast(row_number() over (order by touchpoint_id) as varchar), 6, '0')
                    as touchpoint_id,
                (select max(occurred_at) from touchpoints) - interval 1 day
                    + to_minutes(cast(hash(touchpoint_id) % 600 as bigint)) as occurred_at,
                account_id, contact_id, team, channel, touchpoint_type, campaign_id, asset
            from picked
            """,
            {"rows": rows},
        ).df()
    finally:
        con.close()
    if channel:
        df.loc[0, "channel"] = channel
    path = out / "touchpoints.csv"
    df.to_csv(path, index=False)
    return path


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.table(t).order(order).df() for t, order in TABLES.items()}
    finally:
        con.close()


def _rebuilt(path: Path, tmp_path: Path) -> dict[str, pd.DataFrame]:
    copy = tmp_path / "full.duckdb"
    shutil.copyfile(path, copy)
    con = duckdb.connect(str(copy))
    try:
        built_at = con.execute("select cast(value as timestamp) from cl_meta where key = 'built_at'").fetchone()[0]
        con.execute("begin")
        derived.refresh(con, now=built_at)
        con.execute("commit")
    finally:
        con.close()
    return _tables(copy)


def _as_a_full_rebuild(path: Path, tmp_path: Path) -> None:
    """The journey tables at `path` are what a full rebuild of a copy stores."""
    full = _rebuilt(path, tmp_path)
    after = _tables(path)
    for table in TABLES:
        pd.testing.assert_frame_equal(after[table], full[table], check_exact=False, rtol=1e-12, obj=table)


def test_a_day_of_touches_updates_only_the_deals_it_touches(base, tmp_path, monkeypatch):
    path = tmp_path / "db.duckdb"
    shutil.copyfile(base, path)
    before = _tables(path)
    day = _day(base, tmp_path, 40)

    def no_full_rebuild(*_a, **_k):
        raise AssertionError("the import rebuilt every deal")

    monkeypatch.setattr(derived, "refresh", no_full_rebuild)
    result = importer.import_files(path, [day], "canonical")
    monkeypatch.undo()
    assert result.status == "imported" and result.rows_inserted == 40
    con = db.connect(path)
    try:
        assert derived.current(con)
        assert con.execute("select count(*) from cl_touch where touchpoint_id like 'NEW%'").fetchone()[0] > 0
    finally:
        con.close()
    # the deals the new touches joined changed, and the result is what a full rebuild stores
    assert not _tables(path)["cl_touch"].equals(before["cl_touch"])
    _as_a_full_rebuild(path, tmp_path)


def test_a_new_key_or_a_changed_row_rebuilds_everything(base, tmp_path):
    path = tmp_path / "db.duckdb"
    shutil.copyfile(base, path)
    calls = []
    original = derived.refresh

    def counted(con, now=None, keep_deals=False):
        calls.append(1)
        return original(con, now, keep_deals)

    day = _day(base, tmp_path, 10, channel="carrier_pigeon")
    derived.refresh = counted
    try:
        importer.import_files(path, [day], "canonical")
    finally:
        derived.refresh = original
    assert calls == [1]
    con = db.connect(path)
    try:
        assert derived.current(con)
        keys = con.execute("select raw from cl_key where dimension = 'channel'").fetchall()
        assert ("carrier_pigeon",) in keys
    finally:
        con.close()
    _as_a_full_rebuild(path, tmp_path)


def test_more_touches_than_the_database_held_rebuild_it_all_without_the_incremental_try(base, tmp_path, monkeypatch):
    # the database's touches deleted and its journey tables rebuilt (as a CRM import leaves them),
    # then all of them imported again: more than it held, so no incremental try
    path = tmp_path / "db.duckdb"
    shutil.copyfile(base, path)
    export = tmp_path / "touchpoints.csv"
    con = db.connect(path, read_only=False)
    try:
        n = con.execute("select count(*) from touchpoints").fetchone()[0]
        con.execute("select * exclude (dates_unknown) from touchpoints").df().to_csv(export, index=False)
        con.execute("begin")
        con.execute("delete from touchpoints")
        derived.refresh(con)
        con.execute("commit")
        derived.seal(con)
        assert derived.current(con)
    finally:
        con.close()

    def no_incremental(*_a, **_k):
        raise AssertionError("the import tried the incremental rebuild")

    monkeypatch.setattr(derived, "refresh_added", no_incremental)
    result = importer.import_files(path, [export], "canonical")
    assert result.status == "imported" and result.rows_inserted == n > 0
    monkeypatch.undo()
    con = db.connect(path)
    try:
        assert derived.current(con)
    finally:
        con.close()
    _as_a_full_rebuild(path, tmp_path)
