"""The spend questions on Spark (docs/scale-out.md): spend_by_period and credit_over_time asked
through the core's functions on the fixture with tests/test_spend.py's spend, each query equal to
DuckDB's (tests/test_spark.py's route: the DuckDB file exported as Parquet, Spark local)."""

from __future__ import annotations

import datetime as dt

import fixture
import pytest
from spark_questions import recorded
from spark_support import TEST_CONF, assert_same, require_spark
from test_spend import SPEND

from closedloop import db, parquet_export
from closedloop.engine import spend, translate

pytestmark = pytest.mark.spark
START, END = dt.date(2026, 1, 1), dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    require_spark()
    from closedloop.engine.spark import SparkEngine, spark_session

    session = spark_session(None, TEST_CONF)
    tmp = tmp_path_factory.mktemp("spend_spark")
    path = fixture.build(tmp / "fixture.duckdb")
    rw = db.connect(path, read_only=False)
    rw.executemany("insert into spend values (?, ?, ?, ?)", [list(r) for r in SPEND])
    # one campaign without spend rows keeps its cost (spread over its days)
    rw.execute("delete from spend where campaign_id = 'C3'")
    parquet_export.export(rw, tmp / "parquet")
    rw.close()
    con = db.connect(path)
    yield con, SparkEngine(session, str(tmp / "parquet"), local=con, now=dt.datetime(2030, 1, 1))
    con.close()


def test_spend_questions_same_on_spark(engines):
    con, spark_engine = engines
    calls_of = [
        lambda: spend.spend_report(con, "linear", "channel", START, END),
        lambda: spend.spend_report(con, "w_shaped", "campaign", START, END, booking="touch", scope="contact_roles"),
        lambda: spend.credit_over_time(con, "time_decay", "channel", "quarter", "close", START, END),
        lambda: spend.ranks_over_quarters(con, 2, END, data_driven=False),
    ]
    asked = {}
    for call in calls_of:
        with recorded() as calls:
            call()
        for query, params in calls:
            if query in translate.NOT_YET_ON_SPARK:  # DuckDB's own bookkeeping
                continue
            asked.setdefault((query, repr(sorted(params.items()))), (query, params))
    assert {q for q, _ in asked.values()} == {"spend_by_period", "credit_over_time"}
    assert not {"spend_by_period", "credit_over_time"} & set(translate.NOT_YET_ON_SPARK)
    for query, params in asked.values():
        duck = db.run(con, query, **params)
        assert len(duck) > 0
        assert_same(spark_engine.run(query, **params), duck)
