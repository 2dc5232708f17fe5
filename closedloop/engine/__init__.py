"""Which engine answers the named queries: DuckDB (the default) or Apache Spark.

`CLOSEDLOOP_ENGINE=duckdb|spark`, `CLOSEDLOOP_SPARK_REMOTE` and `CLOSEDLOOP_SPARK_SOURCE`
(or `--engine`, `--spark-remote`, `--spark-source` on every command that reads) pick it;
docs/scale-out.md explains them. Both engines run the same `queries/*.sql` with the same
`$name` parameters and return a pandas DataFrame. PySpark is imported only when Spark is
asked for, so the DuckDB path works without it.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import duckdb
import pandas as pd

from closedloop import db

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"


@dataclass(frozen=True)
class EngineSettings:
    """engine: duckdb or spark; spark_remote: a Spark Connect URL (sc://host:15002), `local[N]` for
    a local Connect server, or None for local Spark in this process; spark_source: a catalog schema
    (`schema` or `catalog.schema`) or a folder with one Parquet dataset per canonical table."""

    engine: str = DEFAULT_ENGINE
    spark_remote: str | None = None
    spark_source: str | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(
                f"The engine is one of {', '.join(ENGINES)}, got {self.engine!r} (CLOSEDLOOP_ENGINE or --engine)."
            )
        if self.engine == "spark" and not self.spark_source:
            raise ValueError(
                "The Spark engine needs to know where the tables are: set CLOSEDLOOP_SPARK_SOURCE "
                "or --spark-source to a catalog schema or a folder written by "
                "`python -m closedloop export` (docs/scale-out.md)."
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EngineSettings:
        return cls.from_args(argparse.Namespace(), env)

    @classmethod
    def from_args(cls, args: argparse.Namespace, env: Mapping[str, str] | None = None) -> EngineSettings:
        """The command line's flags, each falling back to its environment variable."""
        env = os.environ if env is None else env

        def pick(flag: str, var: str) -> str | None:
            return getattr(args, flag, None) or env.get(var) or None

        return cls(
            engine=(pick("engine", "CLOSEDLOOP_ENGINE") or DEFAULT_ENGINE).strip().lower(),
            spark_remote=pick("spark_remote", "CLOSEDLOOP_SPARK_REMOTE"),
            spark_source=pick("spark_source", "CLOSEDLOOP_SPARK_SOURCE"),
        )


ENGINE_HELP = (
    "engine settings: --engine duckdb|spark (default $CLOSEDLOOP_ENGINE or duckdb); with spark, "
    "--spark-source SCHEMA|FOLDER (default $CLOSEDLOOP_SPARK_SOURCE) and --spark-remote sc://HOST:PORT or "
    "local[N] (default $CLOSEDLOOP_SPARK_REMOTE; unset = local Spark). App-written tables (notes, reviews, "
    "import history) stay in --db. See docs/scale-out.md."
)


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """The engine flags, added once to every command that reads (closedloop/cli/__init__.py)."""
    g = parser.add_argument_group("engine", ENGINE_HELP)
    g.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="which engine answers the queries (default $CLOSEDLOOP_ENGINE or duckdb)",
    )
    g.add_argument(
        "--spark-remote",
        metavar="URL",
        help="Spark Connect URL such as sc://host:15002, or local[2] for a local Connect server "
        "(default $CLOSEDLOOP_SPARK_REMOTE; unset = local Spark in this process)",
    )
    g.add_argument(
        "--spark-source",
        metavar="SCHEMA|FOLDER",
        help="where Spark reads the canonical tables: a catalog schema, or a folder written by "
        "`export` (default $CLOSEDLOOP_SPARK_SOURCE)",
    )


class Engine(Protocol):
    name: str

    def run(self, query: str, **params: Any) -> pd.DataFrame: ...


class DuckDBEngine:
    """Today's path: closedloop.db.run on a DuckDB connection."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def run(self, query: str, **params: Any) -> pd.DataFrame:
        return db.run(self.con, query, **params)


def open_engine(
    settings: EngineSettings, local: duckdb.DuckDBPyConnection, conf: tuple[tuple[str, str], ...] = ()
) -> Engine:
    """The engine the settings ask for. `local`: the app's DuckDB file (CLOSEDLOOP_DB), which
    answers everything on duckdb and holds the app-written tables on spark. `conf`: more Spark
    settings for a session this starts."""
    if settings.engine == "duckdb":
        return DuckDBEngine(local)
    from closedloop.engine.spark import SparkEngine, spark_session

    assert settings.spark_source is not None  # EngineSettings refuses spark without a source
    return SparkEngine(spark_session(settings.spark_remote, conf), settings.spark_source, local=local)
