"""The named queries on Apache Spark: local mode, or any cluster through Spark Connect.

Only imported when CLOSEDLOOP_ENGINE=spark (closedloop.engine.open_engine); PySpark is
imported inside the functions here so the DuckDB path never needs it.

What runs where: Spark plans and runs the whole query (joins, windows, aggregation) where
the tables are; only the query's result comes back to this process, as Arrow
(`DataFrame.toArrow()`, not `toPandas()`: PySpark 4.3 does not fully support pandas 3),
and is turned into pandas by DuckDB's own conversion so both engines hand the app the same
dtypes. App-written tables (retro_notes, reviews, import history) live in the local DuckDB
file; a query that reads one gets it shipped to Spark as a temporary view first.

The journey tables every engine question reads (cl_key, cl_deal, cl_touch: what
queries/derived_build.sql stores in DuckDB) are built here from the source tables with the
same macros (closedloop.engine.translate.journey_build), as cached temporary views of the
Spark session: once per engine, and again when the Parquet folder's files change.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import re
import socket
import threading
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from closedloop import db
from closedloop.engine import translate

LOCAL_MASTER = "local[2]"
# Session settings every Closed Loop session needs: timestamps are naive UTC (README).
SESSION_CONF = {"spark.sql.session.timeZone": "UTC"}
# Local mode and the local Connect server only: a laptop's data is small, 200 shuffle
# partitions would be mostly empty tasks.
LOCAL_CONF = {"spark.sql.shuffle.partitions": "4", "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}

_SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")
_lock = threading.RLock()
# canonical tables a folder may lack (exported before they existed): read as empty, of this shape
OPTIONAL_TABLES = {"spend": "spend_date date, channel string, campaign_id string, amount double"}


class SparkUnavailable(RuntimeError):
    """PySpark or Java is missing, so the Spark engine cannot start."""


@cache
def spark_session(remote: str | None = None, conf: tuple[tuple[str, str], ...] = ()) -> Any:
    """The process's Spark session: local mode (remote None), a local Spark Connect server
    (remote `local[N]`) or a Spark Connect URL (`sc://host:port`, the Databricks / cluster way).
    `conf`: more settings for a session this call starts (the tests' quick-start settings)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SparkUnavailable(
            "The Spark engine needs PySpark: pip install -r requirements.txt (pyspark[connect])."
        ) from exc
    builder = SparkSession.builder.appName("closedloop")
    is_local = remote is None or remote.startswith("local")
    if remote and is_local:
        with _lock:
            return _local_connect(
                remote, [("spark.app.name", "closedloop"), *LOCAL_CONF.items(), *SESSION_CONF.items(), *conf]
            )
    if remote:
        builder = builder.remote(remote)
    else:
        builder = builder.master(LOCAL_MASTER)
    settings = [*SESSION_CONF.items(), *conf]
    if is_local:
        settings = [*LOCAL_CONF.items(), *settings]
    if remote and not is_local:
        # a remote Connect session takes only runtime SQL settings; the rest belong to the server
        # (a local[N] Connect server is started with them all)
        settings = [(k, v) for k, v in settings if k.startswith("spark.sql.")]
    for key, value in settings:
        builder = builder.config(key, value)
    with _lock:
        spark = builder.getOrCreate()
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    if remote is None:
        # failed analyses raise in Python with the message; the JVM's copy of it is noise
        spark.sparkContext.setLogLevel("FATAL")
    return spark


def is_connect(spark: Any) -> bool:
    """Whether `spark` is a Spark Connect session (rather than a classic, in-process one)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _local_connect(master: str, settings: list[tuple[str, str]]) -> Any:
    """A Spark Connect server in this process on a free port, and a session of it.

    PySpark's own `remote("local[N]")` serves on the fixed port 15002, which its client dials: two
    at once on one machine (two test runs, the app beside a test) clash. Here the port is one the
    system says is free, and the client dials that one."""
    import uuid

    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    if SparkContext._active_spark_context is not None:
        raise RuntimeError("A local Spark Connect server cannot start beside this process's local Spark.")
    port = _free_port()
    # the server reads the token from the environment the JVM starts with; the client sends it
    os.environ.setdefault("SPARK_CONNECT_AUTHENTICATE_TOKEN", str(uuid.uuid4()))
    conf = (
        SparkConf()
        .setAll(settings)
        .setAll(
            [
                ("spark.master", master),
                ("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin"),
                ("spark.connect.grpc.binding.port", str(port)),
            ]
        )
    )
    context = SparkContext.getOrCreate(conf)
    SparkSession(context)  # starts the server (the plugin)
    context.setLogLevel("FATAL")
    # "localhost": PySpark sends the token ($SPARK_CONNECT_AUTHENTICATE_TOKEN) over local credentials
    spark = ConnectSession.builder.remote(f"sc://localhost:{port}").getOrCreate()
    for key, value in settings:
        if key.startswith("spark.sql."):
            spark.conf.set(key, value)
    return spark


def is_folder(source: str) -> bool:
    """A Parquet folder (local, or a URL such as s3a://bucket/closedloop) rather than a schema name."""
    return "/" in source or os.sep in source or Path(source).is_dir() or not _SCHEMA.fullmatch(source)


def _spark_value(value: Any) -> Any:
    """A bound value as Spark's named parameters take it (Python literals, lists as arrays)."""
    if value is None or isinstance(value, bool | int | float | str | decimal.Decimal | dt.date):
        return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    if isinstance(value, list | tuple):
        return [_spark_value(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"Cannot bind a {type(value).__name__} as a Spark parameter.")


class SparkEngine:
    name = "spark"

    def __init__(
        self,
        spark: Any,
        source: str,
        local: duckdb.DuckDBPyConnection | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        """`now`: naive UTC time up to which open deals' touches count in the journey tables
        (default: when they are built)."""
        # a session of its own: temporary views are per session, and two engines of one process (the
        # CLI's beside the app's, or two tests' on different data) would otherwise replace each
        # other's `deals`, `cl_touch`, ... views. Not on Connect, where a checkpoint belongs to the
        # client's active session (pyspark's proto_to_remote_cached_dataframe), not a new one.
        self.spark = spark if is_connect(spark) else spark.newSession()
        self.now = now
        self._journeys_key: object = None
        self._journeys: list[Any] = []
        for key, value in SESSION_CONF.items():  # a new session of the same context starts without them
            self.spark.conf.set(key, value)
        self.source = source
        self.local = local
        self.schema: str | None = None
        if is_folder(source):
            self._register_folder(source)
        else:
            self.schema = source

    def _register_folder(self, folder: str) -> None:
        """One temporary view per canonical table over `folder/<table>` (Parquet, partitioned or not)."""
        local = not re.match(r"^[a-z][a-z0-9+.-]*:", folder)
        if local:
            base = Path(folder).resolve()
            missing = [t for t in translate.CANONICAL_TABLES if not (base / t).exists() and t not in OPTIONAL_TABLES]
            if missing:
                raise FileNotFoundError(
                    f"{base} has no Parquet dataset for {', '.join(missing)}: write one per table with "
                    f"`python -m closedloop export --db PATH --out {folder}` (docs/scale-out.md)."
                )
        for table in translate.CANONICAL_TABLES:
            path = str(base / table) if local else f"{folder.rstrip('/')}/{table}"
            if local and table in OPTIONAL_TABLES and not (base / table).exists():
                # a folder exported before the table existed: an empty one of its shape
                empty = self.spark.createDataFrame([], schema=OPTIONAL_TABLES[table])
                empty.createOrReplaceTempView(table)
                continue
            self.spark.read.parquet(path).createOrReplaceTempView(table)

    def _ship_app_tables(self, names: set[str]) -> None:
        for table in sorted(names):
            if self.local is None:
                raise ValueError(
                    f"The query reads {table}, written by the app into the local DuckDB file; "
                    f"open the Spark engine with that file (CLOSEDLOOP_DB / --db)."
                )
            cur = self.local.cursor()
            try:
                rows = cur.table(table).arrow()
            finally:
                cur.close()
            if hasattr(rows, "read_all"):
                rows = rows.read_all()
            from pyspark.sql.pandas.types import from_arrow_schema

            # the schema given, not inferred: Spark Connect cannot infer one from no rows, and naive
            # timestamps must stay TIMESTAMP_NTZ like the Parquet tables'
            schema = from_arrow_schema(rows.schema, prefer_timestamp_ntz=True)
            self.spark.createDataFrame(rows, schema=schema).createOrReplaceTempView(table)

    def _source_key(self) -> object:
        """What the journey tables were built from: a local folder's files (name, size, mtime), so
        new Parquet files rebuild them; a catalog schema or remote folder: the engine's lifetime."""
        if self.schema is not None or re.match(r"^[a-z][a-z0-9+.-]*:", self.source):
            return "session"
        out = []
        for root, _, files in os.walk(self.source):
            for f in sorted(files):
                st = os.stat(os.path.join(root, f))
                out.append((root, f, st.st_size, st.st_mtime_ns))
        return tuple(sorted(out))

    def journeys(self) -> None:
        """Build (or keep) the journey tables as cached temporary views of this session."""
        with _lock:
            self._build_journeys()

    def _build_journeys(self) -> None:
        key = self._source_key()
        if key == self._journeys_key:
            return
        if self._journeys_key is not None and self.schema is None:
            self._register_folder(self.source)  # the folder's file listing is read again
        self._journeys = []
        now = self.now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        for table in translate.JOURNEY_TABLES:
            text = translate.journey_build(table, self.schema)
            args = {"now": now} if ":now" in text else {}
            # materialized now, and the view's plan is a scan of it: a question's plan stays small
            # (Connect with cache() instead: the fixture receipt took 142 s against 22 s, each
            # question analyzing the whole journey plan again)
            df = self.spark.sql(text, args=args).localCheckpoint(eager=True)
            if is_connect(self.spark):
                # PySpark's finalizer of a checkpoint's plan (CachedRemoteRelation.__del__) sends a
                # blocking RPC from whatever thread the garbage collector runs on; one that ran inside
                # another RPC hung the client for 9+ minutes (py-bt of the stuck test, 2026-12-01).
                # The server keeps the checkpoint for the session's life, as the journeys need.
                df._plan._spark_session = None
            df.createOrReplaceTempView(table)
            self._journeys.append(df)
        self._journeys_key = key

    def serves(self, query: str) -> bool:
        """Whether `query` runs here: it reads the data (canonical or journey tables); what reads only
        the app's own tables, or DuckDB's bookkeeping, runs on the local DuckDB file."""
        if query in translate.NOT_YET_ON_SPARK:
            return False
        return db.reads_journeys(query) or bool(set(translate.tables_read(query)) & set(translate.CANONICAL_TABLES))

    def sql(self, query: str) -> str:
        """The Spark SQL text queries/<query>.sql runs as here."""
        return translate.to_spark(query, self.schema)

    def run(self, query: str, **params: Any) -> pd.DataFrame:
        bound = db.bind(query, params)
        text = self.sql(query)
        if db.reads_journeys(query):
            self.journeys()
        app_tables = set(translate.tables_read(query)) & set(translate.APP_TABLES)
        if app_tables:
            self._ship_app_tables(app_tables)
        args = {k: _spark_value(v) for k, v in bound.items()}
        result = self.spark.sql(text, args=args).toArrow()
        return to_pandas(result)


def to_pandas(table: Any) -> pd.DataFrame:
    """An Arrow table as pandas through DuckDB's conversion, the one db.run's results take."""
    con = duckdb.connect()
    try:
        return con.from_arrow(table).df()
    finally:
        con.close()
