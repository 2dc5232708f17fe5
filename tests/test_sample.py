"""The seeded sample: reproducible, complete, internally consistent, realistic in shape."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from helpers import generated_sample

from closedloop import cli, db, sample

DATA_TABLES = list(db.CANONICAL_TABLES)
SALES_TYPES = {"sales_email", "sales_call", "sales_meeting", "linkedin_inmail"}


def _checksums(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every table in the database."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        # cl_meta records when the derived tables were built: the one table a rebuild changes
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main' "
                "and table_name <> 'cl_meta'"
            ).fetchall()
        ]
        # each table through DuckDB's relational API, aliased r: cast(r as varchar) is a whole row
        return {
            t: con.table(t)
            .set_alias("r")
            .aggregate("count(*), md5(coalesce(string_agg(cast(r as varchar), '|' order by cast(r as varchar)), ''))")
            .fetchall()[0]
            for t in tables
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_sample(tmp_path_factory, "sample", deals=300, seed=7)


@pytest.fixture(scope="module")
def default_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("sample") / "default.duckdb"
    counts = sample.generate(path, progress=False)
    return path, counts


@pytest.fixture
def con(small_db: Path):
    c = duckdb.connect(str(small_db), read_only=True)
    yield c
    c.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def test_same_seed_same_database(tmp_path: Path, small_db: Path) -> None:
    again = tmp_path / "again.duckdb"
    sample.generate(again, deals=300, seed=7, progress=False)
    assert _checksums(again) == _checksums(small_db)


def test_other_seed_other_database(tmp_path: Path, small_db: Path) -> None:
    other = tmp_path / "other.duckdb"
    sample.generate(other, deals=300, seed=8, progress=False)
    a, b = _checksums(other), _checksums(small_db)
    assert a["touchpoints"] != b["touchpoints"]
    assert a["deals"] != b["deals"]


def test_every_data_table_is_filled(con) -> None:
    for table in DATA_TABLES:
        assert con.table(table).aggregate("count(*)").fetchall()[0][0] > 0, table
    # the app writes these; the sample leaves them for the app
    assert _one(con, "select count(*) from retro_notes") == 0
    assert _one(con, "select value from schema_info where key = 'sample_seed'") == "7"


def test_default_size(default_db: tuple[Path, dict[str, int]]) -> None:
    path, counts = default_db
    assert counts["deals"] == 2000
    assert 2000 <= counts["accounts"] <= 2500
    assert 25 <= counts["campaigns"] <= 35
    # about 20 touchpoints per deal
    assert 17 * 2000 <= counts["touchpoints"] <= 23 * 2000
    assert {t: n for t, (n, _) in _checksums(path).items() if t in counts} == counts


def test_touches_per_deal_is_a_parameter(tmp_path: Path) -> None:
    counts = sample.generate(tmp_path / "ten.duckdb", deals=500, seed=1, progress=False, touches_per_deal=10)
    assert 8 * 500 <= counts["touchpoints"] <= 12 * 500


def test_every_touchpoint_type_from_the_right_team(con) -> None:
    rows = con.execute("select distinct touchpoint_type, team from touchpoints").fetchall()
    types = {t for t, _ in rows}
    assert types == set(sample.TOUCHPOINT_TYPES)
    assert len(types) == 16
    for touch_type, team in rows:
        assert team == ("sales" if touch_type in SALES_TYPES else "marketing"), touch_type
    assert _one(con, "select count(distinct channel) from touchpoints") <= 12
    assert _one(con, "select count(*) from touchpoints where channel = 'sales' and team <> 'sales'") == 0


def test_enumerations_are_valid(con) -> None:
    outcomes = {r[0] for r in con.execute("select distinct outcome from deals").fetchall()}
    assert outcomes == {"won", "lost", "open"}
    assert {r[0] for r in con.execute("select distinct segment from accounts").fetchall()} == {
        "Enterprise",
        "Mid-Market",
        "SMB",
    }
    assert {r[0] for r in con.execute("select distinct region from accounts").fetchall()} <= {
        "NA",
        "EMEA",
        "APAC",
        "LATAM",
    }
    assert _one(con, "select count(distinct owner) from deals") == 8
    stage_of = con.execute("select outcome, stage, count(*) from deals group by all").fetchall()
    for outcome, stage, _ in stage_of:
        if outcome == "won":
            assert stage == "closed_won"
        elif outcome == "lost":
            assert stage == "closed_lost"
        else:
            assert stage in {"qualification", "discovery", "proposal", "negotiation"}


def test_deal_dates_are_consistent(con) -> None:
    assert _one(con, "select count(*) from deals where closed_at < created_at") == 0
    assert _one(con, "select count(*) from deals where outcome = 'open' and closed_at is not null") == 0
    assert _one(con, "select count(*) from deals where outcome <> 'open' and closed_at is null") == 0
    latest = _one(con, "select max(greatest(created_at, coalesce(closed_at, created_at))) from deals")
    assert latest.date().isoformat() <= sample.REFERENCE_DATE
    assert _one(con, "select max(occurred_at) from touchpoints").date().isoformat() <= sample.REFERENCE_DATE
    # closed deals span roughly the last two years; some are still open
    first_close = _one(con, "select min(closed_at) from deals")
    assert first_close.year == 2024
    share_open = _one(con, "select avg((outcome = 'open')::int) from deals")
    assert 0.03 < share_open < 0.3


def test_stage_history_follows_each_deal(con) -> None:
    # every deal starts in qualification at its creation
    assert (
        _one(
            con,
            """
        select count(*) from deals as d
        left join deal_stage_history as h
          on h.deal_id = d.deal_id and h.stage = 'qualification' and h.entered_at = d.created_at
        where h.deal_id is null""",
        )
        == 0
    )
    # closed deals end in their closing stage at the close; no entry outside the deal's life
    assert (
        _one(
            con,
            """
        select count(*) from deals as d
        left join deal_stage_history as h on h.deal_id = d.deal_id and h.stage = d.stage
        where d.outcome <> 'open' and h.entered_at is distinct from d.closed_at""",
        )
        == 0
    )
    assert (
        _one(
            con,
            """
        select count(*) from deal_stage_history as h join deals as d using (deal_id)
        where h.entered_at < d.created_at or h.entered_at > coalesce(d.closed_at, h.entered_at)""",
        )
        == 0
    )
    # stages are entered in order
    assert (
        _one(
            con,
            """
        with ranked as (
            select deal_id, entered_at,
                list_position(['qualification', 'discovery', 'proposal', 'negotiation',
                               'closed_won', 'closed_lost'], stage) as pos
            from deal_stage_history
        )
        select count(*) from ranked as a join ranked as b
          on a.deal_id = b.deal_id and a.pos < b.pos and a.entered_at >= b.entered_at""",
        )
        == 0
    )
    # won deals pass every stage
    assert (
        _one(
            con,
            """
        select count(*) from deals as d where outcome = 'won'
          and (select count(*) from deal_stage_history h where h.deal_id = d.deal_id) <> 5""",
        )
        == 0
    )


def test_references_resolve(con) -> None:
    orphans = {
        "touch account": "select count(*) from touchpoints anti join accounts using (account_id)",
        "touch contact": """select count(*) from touchpoints as t where t.contact_id is not null
                            and not exists (
                                select 1 from contacts c
                                where c.contact_id = t.contact_id and c.account_id = t.account_id)""",
        "touch campaign": """select count(*) from touchpoints where campaign_id is not null
                             and campaign_id not in (select campaign_id from campaigns)""",
        "deal account": "select count(*) from deals anti join accounts using (account_id)",
        "contact account": "select count(*) from contacts anti join accounts using (account_id)",
        "deal contact": """select count(*) from deal_contacts as dc join deals as d using (deal_id)
                           left join contacts as c on c.contact_id = dc.contact_id
                           where c.account_id is distinct from d.account_id""",
        "lead contact": """select count(*) from leads as l left join contacts as c using (contact_id)
                           where c.account_id is distinct from l.account_id""",
        "lead campaign": """select count(*) from leads where campaign_id is not null
                            and campaign_id not in (select campaign_id from campaigns)""",
        "deal without contacts": "select count(*) from deals anti join deal_contacts using (deal_id)",
        "stage history deal": "select count(*) from deal_stage_history anti join deals using (deal_id)",
    }
    for name, sql in orphans.items():
        assert _one(con, sql) == 0, name


def test_touches_fall_within_their_campaign(con) -> None:
    assert (
        _one(
            con,
            """
        select count(*) from touchpoints as t join campaigns as c using (campaign_id)
        where t.occurred_at < c.started_at
           or t.occurred_at >= coalesce(c.ended_at + interval 1 day, timestamp '2100-01-01')""",
        )
        == 0
    )


def test_deal_names_and_amounts(con) -> None:
    assert (
        _one(
            con,
            """
        select count(*) from deals as d join accounts as a using (account_id)
        where not starts_with(d.name, a.name || ' – ')""",
        )
        == 0
    )
    medians = dict(
        con.execute("""
        select a.segment, median(d.amount) from deals as d join accounts as a using (account_id)
        group by all""").fetchall()
    )
    assert medians["Enterprise"] > medians["Mid-Market"] > medians["SMB"]
    assert _one(con, "select min(amount) from deals") > 0


def test_leads_follow_up_times(default_db: tuple[Path, dict[str, int]]) -> None:
    con = duckdb.connect(str(default_db[0]), read_only=True)
    try:
        assigned, never, within_day, late = con.execute("""
            select count(*),
                   count(*) filter (where first_follow_up_at is null),
                   count(*) filter (where first_follow_up_at <= assigned_at + interval 1 day),
                   count(*) filter (where first_follow_up_at > assigned_at + interval 1 day)
            from leads where assigned_at is not null""").fetchone()
        assert 0.10 < never / assigned < 0.20  # ~15% never followed up
        assert within_day / assigned > 0.6  # most within hours
        assert late / assigned > 0.05  # some late by days
        assert (
            _one(
                con,
                """select count(*) from leads
                            where mql_at < created_at or assigned_at < mql_at
                               or first_follow_up_at < assigned_at""",
            )
            == 0
        )
        assert (
            _one(con, "select count(*) from leads where disqualified_at is not null and disqualify_reason is null") == 0
        )
        assert _one(con, "select count(*) from leads where disqualified_at is not null") > 0
        # every deal grew from a lead of one of its contacts, accepted before the deal
        assert (
            _one(
                con,
                """
            select count(*) from deals as d where not exists (
                select 1 from leads as l
                join deal_contacts as dc on dc.contact_id = l.contact_id and dc.deal_id = d.deal_id
                where l.accepted_at <= d.created_at)""",
            )
            == 0
        )
    finally:
        con.close()


def test_touches_per_deal_and_timing(default_db: tuple[Path, dict[str, int]]) -> None:
    con = duckdb.connect(str(default_db[0]), read_only=True)
    try:
        from closedloop import db

        cur = con.cursor()
        cur.execute(db.sql_text("macros"))
        per_deal = _one(cur, "select count(*) / (select count(*) from deals) from deal_touches(180, 'account')")
        assert 15 <= per_deal <= 25
        # marketing early, sales later
        mkt, sales = cur.execute("""
            select median(date_diff('day', d.created_at, t.occurred_at)) filter (where t.team = 'marketing'),
                   median(date_diff('day', d.created_at, t.occurred_at)) filter (where t.team = 'sales')
            from deal_touches(180, 'account') as t join deals as d using (deal_id)""").fetchone()
        assert mkt < 0 < sales
        # a burst around opportunity creation: the week around it is far denser than average
        week_share = _one(
            cur,
            """
            select avg((abs(date_diff('hour', d.created_at, t.occurred_at)) <= 84)::int)
            from deal_touches(180, 'account') as t join deals as d using (deal_id)""",
        )
        # a uniform spread over the ~270-day window would put ~3% of touches in that week
        assert week_share > 0.15
    finally:
        con.close()


def test_cli_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cli.duckdb"
    assert cli.main(["sample", "--deals", "50", "--seed", "3", "--db", str(path), "--quiet"]) == 0
    before = path.stat().st_mtime_ns
    assert cli.main(["sample", "--deals", "50", "--db", str(path), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.stat().st_mtime_ns == before
    assert cli.main(["sample", "--deals", "60", "--db", str(path), "--force", "--quiet"]) == 0
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert _one(con, "select count(*) from deals") == 60
    finally:
        con.close()
    with pytest.raises(FileExistsError):
        sample.generate(path, deals=10, progress=False)


def test_progress_bar_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample.generate(tmp_path / "p.duckdb", deals=50, progress=True)
    out = capsys.readouterr()
    assert out.out == ""
    assert "100%" in out.err and "touchpoints" in out.err
