"""Closed Loop's benchmark: our engine against ChannelAttribution, DP6 marketing-attribution-models
and a plain pandas implementation, on the same seeded data, in one run, side by side.

    python bench/run.py                     # scales 10k, 100k and 1m (make bench)
    python bench/run.py --scales 10k        # quick (make bench SCALES=10k)
    python bench/run.py --scales 100k --repeats 5 --only rules,markov1

For each scale it builds (once, cached under bench/data/) a seeded sample database
(`python -m closedloop sample --deals N --seed 42 --touches-per-deal 10`: ~10 touches
per deal, so 1M deals = ~10M touchpoints as in issue 6; the sample builds the derived
tables the engine reads, docs/performance.md), the closed deals' touches exported for
the peers (bench/peers.py), and a touchpoint CSV for the import. Then it
runs every workload in rounds (A B C ... A B C ...: pairwise interleaved, so a noisy
neighbour on the shared cores hits every implementation alike), each run in a fresh
subprocess whose peak memory (max RSS) comes from os.wait4. It writes bench/RESULTS.md:
medians, min-max, peak memory, the ratio of each peer to our engine, the agreement
checks (peers' first/last/linear per channel vs ours), whether each of our runs read
(or built) the derived tables, and the issue-6 targets.

Wall time of a Python workload is measured inside its subprocess around the call,
after imports and opening the database (the first call in a fresh process: nothing
cached but the OS page cache); our engine's workloads also report a second, warm call
on the same connection. Sample, import and refresh are timed end to end as CLI commands.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"
SEED = 42
TOUCHES_PER_DEAL = 10.0
LOOKBACK = 180
SCALES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
ALL = {"date_from": None, "date_to": None}
LIFT_DATES = ("2000-01-01", "2100-12-31")
LIFT_DIMENSIONS = ("touchpoint_type", "channel", "campaign")
WORKER_TIMEOUT = 30 * 60
# the new touchpoints of the `import_day` workload (an incremental import)
DAY_TOUCHES = 10_000
# the warm (second) call only when the first took less than this many seconds
WARM_LIMIT = 10.0
# the files whose change regenerates the cached sample database
SOURCES = tuple(sorted(str(p.relative_to(ROOT)) for p in (ROOT / "closedloop" / "sample").glob("*.py")))
# the files whose change only rebuilds its journey tables (`closedloop refresh` on the cached copy)
BUILD_SOURCES = ("closedloop/engine/journey_tables.py", "queries/derived_build.sql", "queries/macros.sql")


# ------------------------------------------------------------------------------------------------
# Workloads. Each runs in its own process: `setup(ctx)` (untimed: imports, reading inputs that
# are not part of the work), then `run(state)` timed, returning what the checks need.


@dataclass(frozen=True)
class Workload:
    key: str
    group: str
    impl: str
    what: str
    ours: bool = False
    cli: bool = False
    # scales at which the workload runs (None = all)
    scales: tuple[str, ...] | None = None
    # the workload of ours that the ratio compares with (default: the group's own)
    vs: str | None = None
    # at 1M, run once whatever --slow says (a before/after reference, not a target)
    once_at_1m: bool = False


WORKLOADS = [
    Workload("rules", "rule-based", "Closed Loop", "all 11 rule-based models in one query (compare_models)", ours=True),
    Workload(
        "rules_lb90",
        "rule-based",
        "Closed Loop, lookback 90",
        "the same call at a 90-day lookback",
        ours=True,
        vs="rules",
    ),
    Workload(
        "rules_lb365",
        "rule-based",
        "Closed Loop, lookback 365",
        "the same call at a 365-day lookback",
        ours=True,
        vs="rules",
    ),
    Workload(
        "rules_contacts",
        "rule-based",
        "Closed Loop, contact roles",
        "the same call, contact-role scope",
        ours=True,
        vs="rules",
    ),
    Workload(
        "pandas_rules",
        "rule-based",
        "pandas baseline",
        "the 10 rule-based models, groupby per deal (bench/pandas_baseline.py), reading the tables from DuckDB",
    ),
    Workload(
        "ca_heuristics",
        "rule-based",
        "ChannelAttribution",
        "first/last/linear incl. building its path table with pandas",
    ),
    Workload(
        "dp6_heuristics", "rule-based", "DP6 mam", "first/last/linear/position/time-decay incl. its journey building"
    ),
    Workload("markov1", "markov order 1", "Closed Loop", "exact removal effects, order 1 (rollup 'markov')", ours=True),
    Workload(
        "markov1_lb90",
        "markov order 1",
        "Closed Loop, lookback 90",
        "the same at a 90-day lookback",
        ours=True,
        vs="markov1",
    ),
    Workload(
        "markov1_lb365",
        "markov order 1",
        "Closed Loop, lookback 365",
        "the same at a 365-day lookback",
        ours=True,
        vs="markov1",
    ),
    Workload(
        "markov1_contacts",
        "markov order 1",
        "Closed Loop, contact roles",
        "the same, contact-role scope",
        ours=True,
        vs="markov1",
    ),
    Workload("ca_markov1", "markov order 1", "ChannelAttribution", "Monte Carlo, order 1, ncore=2, incl. paths"),
    Workload("dp6_markov", "markov order 1", "DP6 mam", "order 1 (no self-loops), incl. journey building"),
    Workload("markov3", "markov order 3", "Closed Loop", "exact removal effects, order 3", ours=True),
    Workload("ca_markov3", "markov order 3", "ChannelAttribution", "Monte Carlo, order 3, ncore=2, incl. paths"),
    Workload("shapley", "shapley", "Closed Loop", "exact Shapley over the 11 channels", ours=True),
    Workload("shapley16", "shapley", "Closed Loop", "exact Shapley over 16 keys (by touchpoint_type)", vs="shapley"),
    Workload(
        "dp6_shapley4",
        "shapley",
        "DP6 mam",
        "Shapley, max_size=4 (its default: keeps 4 channels per journey), incl. journey building",
    ),
    Workload("dp6_shapley11", "shapley", "DP6 mam", "Shapley, max_size=11 (every channel), incl. journey building"),
    Workload(
        "lift", "lift", "Closed Loop", "win-rate lift by touchpoint_type, channel and campaign (3 queries)", ours=True
    ),
    Workload("lift_lb90", "lift", "Closed Loop, lookback 90", "the same at a 90-day lookback", ours=True, vs="lift"),
    Workload("lift_lb365", "lift", "Closed Loop, lookback 365", "the same at a 365-day lookback", ours=True, vs="lift"),
    Workload(
        "lift_contacts", "lift", "Closed Loop, contact roles", "the same, contact-role scope", ours=True, vs="lift"
    ),
    Workload(
        "lift_adjusted",
        "lift",
        "Closed Loop, adjusted for the account",
        "lift within segment x region x size band (lift_strata*.sql + statsmodels CMH) by touchpoint_type, "
        "channel and campaign",
        ours=True,
        vs="lift",
    ),
    Workload(
        "paths",
        "path reports",
        "Closed Loop",
        "time lag, path length (path_time_lag.sql, path_length.sql) and the paths after collapse_repeats "
        "(path_summary.sql)",
        ours=True,
    ),
    Workload(
        "spend",
        "spend & return",
        "Closed Loop",
        "spend_report: spend, leads, credit, CAC, ROAS per channel under linear, one quarter (close booking)",
        ours=True,
    ),
    Workload(
        "spend_touch",
        "spend & return",
        "Closed Loop, touch booking",
        "the same with credit booked on the touch date (reads every touch's date)",
        ours=True,
        vs="spend",
    ),
    Workload(
        "spend_markov",
        "spend & return",
        "Closed Loop, Markov",
        "the same under Markov order 1 (its roll-up for the quarter)",
        ours=True,
        vs="spend",
    ),
    Workload(
        "credit_time",
        "spend & return",
        "Closed Loop, credit over time",
        "credit_over_time: credit, spend and ROAS per channel and month over a year, linear",
        ours=True,
        vs="spend",
    ),
    Workload(
        "ranks",
        "spend & return",
        "Closed Loop, ranks by quarter",
        "ranks_over_quarters: every rule-based model's channel ranks in the last 4 quarters, one pass "
        "(the page's default)",
        ours=True,
        vs="spend",
    ),
    Workload(
        "ranks_dd",
        "spend & return",
        "Closed Loop, ranks by quarter + Markov, Shapley",
        "the same plus Markov and both Shapley models, one roll-up per quarter (the page's toggle)",
        ours=True,
        vs="spend",
    ),
    Workload(
        "sample",
        "sample",
        "Closed Loop",
        "`closedloop sample` (default 20 touches/deal), end to end",
        ours=True,
        cli=True,
    ),
    Workload(
        "import",
        "import",
        "Closed Loop",
        "`closedloop import --mapping canonical touchpoints.csv` into the database without its touchpoints (its "
        "journey tables made from what it holds, as an import of the CRM data leaves them), end to end",
        ours=True,
        cli=True,
    ),
    Workload(
        "refresh",
        "derived tables",
        "Closed Loop",
        "`closedloop refresh --db <copy of the database>`: rebuild cl_deal, cl_touch, cl_key, cl_meta, end to end",
        ours=True,
        cli=True,
    ),
    Workload(
        "import_day",
        "import",
        "Closed Loop, a day's touches",
        f"`closedloop import` of {DAY_TOUCHES:,} new touchpoints (a day's) into a copy of the database: only the "
        "deals they touch are rebuilt, end to end",
        ours=True,
        cli=True,
    ),
]
BY_KEY = {w.key: w for w in WORKLOADS}
# the workloads that call our engine on the scale's database (in the worker)
# the non-default settings a workload runs at (issue 15: every setting within 1.5x of the default)
SETTINGS = {
    "lb90": {"lookback_days": 90},
    "lb365": {"lookback_days": 365},
    "contacts": {"lookback_days": LOOKBACK, "scope": "contact_roles"},
}
ENGINE = (
    "rules",
    "markov1",
    "markov3",
    "shapley",
    "shapley16",
    "lift",
    "lift_adjusted",
    "paths",
    *(f"{base}_{s}" for base in ("rules", "markov1", "lift") for s in SETTINGS),
    "spend",
    "spend_touch",
    "spend_markov",
    "credit_time",
    "ranks",
    "ranks_dd",
)
# the sample's last full quarter and year (its reference date is 2026-09-30)
SPEND_QUARTER = ("2026-04-01", "2026-06-30")
SPEND_YEAR = ("2025-07-01", "2026-06-30")


def _base(key: str) -> str:
    return key.split("_")[0] if key.split("_")[-1] in SETTINGS else key


def _engine_filters(key: str = "") -> dict:
    return SETTINGS.get(key.split("_")[-1], {"lookback_days": LOOKBACK}) if key else {"lookback_days": LOOKBACK}


def _setup(key: str, ctx: dict):
    """Untimed preparation inside the worker; returns the state the timed call uses."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(BENCH))
    if key in ENGINE or key == "pandas_rules":
        import pandas_baseline  # noqa: F401

        import closedloop.engine.attribution  # noqa: F401
        import closedloop.engine.lift  # noqa: F401
        import closedloop.engine.lift_adjusted  # noqa: F401  (statsmodels: loaded at the app's start, not per call)
        import closedloop.engine.path_reports  # noqa: F401
        import closedloop.engine.spend  # noqa: F401
        from closedloop import db
        from closedloop.engine import journey_tables as derived

        state = {"con": db.connect(ctx["db"])}
        # untimed: whether the stored journey tables are current (the storage digest; a fresh
        # process would otherwise pay it on its first query)
        state["current"] = derived.current(state["con"])
        return state
    import peers

    if key.startswith("ca_"):
        peers._import_ca()
        return {"journeys": ctx["journeys"]}
    if key.startswith("dp6_"):
        import mam  # noqa: F401
        import polars  # noqa: F401

        return {"journeys": ctx["journeys"]}
    raise KeyError(key)


def _rule_models() -> list[str]:
    from closedloop.engine.attribution import RULE_MODELS

    return [m for m in RULE_MODELS if m != "custom"]


def _run(key: str, state: dict):
    """The timed work. Returns a JSON-able summary for the checks."""
    base, filters = _base(key), _engine_filters(key)
    if base == "rules":
        from closedloop.engine.attribution import compare_models

        df = compare_models(state["con"], by="channel", measure="wins", models=_rule_models(), **filters)
        return {"rows": len(df)}
    if key == "pandas_rules":
        import pandas_baseline

        df = pandas_baseline.rollup(state["con"], lookback_days=LOOKBACK)
        return _per_model(df)
    if base in ("markov1", "markov3"):
        from closedloop.engine.attribution import rollup

        df = rollup(state["con"], "markov", order=1 if base == "markov1" else 3, **filters)
        df = df[df["removal_effect"].notna()]
        total = df["removal_effect"].sum()
        return {"removal_share": dict(zip(df["key"], df["removal_effect"] / total, strict=True))}
    if key in ("shapley", "shapley16"):
        from closedloop.engine.attribution import rollup

        df = rollup(
            state["con"], "shapley", by="channel" if key == "shapley" else "touchpoint_type", **_engine_filters()
        )
        df = df[df["shapley_value"].notna()]
        return {
            "share": dict(zip(df["key"], df["shapley_value"] / df["shapley_value"].sum(), strict=True)),
            "keys": len(df),
        }
    if key == "lift_adjusted":
        from closedloop.engine.lift_adjusted import adjusted_lift

        tables = [adjusted_lift(state["con"], *LIFT_DATES, dimension=d, **filters).table for d in LIFT_DIMENSIONS]
        return {"rows": [len(t) for t in tables]}
    if key == "paths":
        from closedloop.engine import path_reports

        lag = path_reports.time_lag(state["con"], *LIFT_DATES, **filters)
        length = path_reports.path_length(state["con"], *LIFT_DATES, **filters)
        summary = path_reports.path_summary(state["con"], *LIFT_DATES, transform="collapse_repeats", **filters)
        return {"rows": [len(lag), len(length), len(summary)]}
    if key in ("spend", "spend_touch", "spend_markov"):
        from closedloop.engine.spend import spend_report

        model = "markov" if key == "spend_markov" else "linear"
        booking = "touch" if key == "spend_touch" else "close"
        df = spend_report(state["con"], model, "channel", *SPEND_QUARTER, booking, **_engine_filters())
        return {"rows": len(df), "roas": dict(zip(df["key"], df["roas"].fillna(-1.0), strict=True))}
    if key == "credit_time":
        from closedloop.engine.spend import credit_over_time

        df = credit_over_time(state["con"], "linear", "channel", "month", "close", *SPEND_YEAR, **_engine_filters())
        return {"rows": len(df)}
    if key in ("ranks", "ranks_dd"):
        from closedloop.engine.spend import ranks_over_quarters

        df = ranks_over_quarters(
            state["con"], 4, SPEND_QUARTER[1], "channel", **_engine_filters(), data_driven=key == "ranks_dd"
        )
        return {"rows": len(df)}
    if base == "lift":
        from closedloop.engine.lift import touchpoint_lift

        rows = [len(touchpoint_lift(state["con"], *LIFT_DATES, dimension=d, **filters)) for d in LIFT_DIMENSIONS]
        return {"rows": rows}
    import peers

    if key == "ca_heuristics":
        return peers.ca_heuristics(peers.ca_paths(peers.read_touches(state["journeys"])))
    if key in ("ca_markov1", "ca_markov3"):
        paths = peers.ca_paths(peers.read_touches(state["journeys"]))
        return peers.ca_markov(paths, order=1 if key == "ca_markov1" else 3)
    if key == "dp6_heuristics":
        return peers.dp6_heuristics(peers.dp6_frame(state["journeys"]))
    if key == "dp6_markov":
        return peers.dp6_markov(peers.dp6_frame(state["journeys"]))
    if key in ("dp6_shapley4", "dp6_shapley11"):
        return peers.dp6_shapley(peers.dp6_frame(state["journeys"]), max_size=4 if key == "dp6_shapley4" else 11)
    raise KeyError(key)


def _per_model(df) -> dict:
    """{model: {key: wins}} and {model:value: {key: revenue}} from a rule roll-up frame."""
    out: dict[str, dict[str, float]] = {}
    for model, part in df.groupby("model"):
        out[model] = dict(zip(part["key"], part["attributed_wins"].astype(float), strict=True))
        out[f"{model}:value"] = dict(zip(part["key"], part["attributed_revenue_usd"].astype(float), strict=True))
    return out


def _reference(con) -> dict:
    """Our rule-based figures per channel (untimed, for the checks)."""
    from closedloop import db
    from closedloop.engine.attribution.api import catalogue_params

    df = db.run(
        con,
        "attribution_rollup",
        by="channel",
        scope="account",
        half_life_days=7.0,
        segment=None,
        region=None,
        owner=None,
        **ALL,
        **_engine_filters(),
        **catalogue_params(),
    )
    return _per_model(df[df["model"] != "custom"])


def worker(key: str, ctx: dict, out: Path, check: bool) -> None:
    state = _setup(key, ctx)
    c0, t0 = time.process_time(), time.perf_counter()
    summary = _run(key, state)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    result = {"wall": wall, "cpu": cpu, "summary": summary}
    if key in ENGINE and wall < WARM_LIMIT:
        t0 = time.perf_counter()
        _run(key, state)
        result["warm"] = time.perf_counter() - t0
    if key in ENGINE:
        # whether the calls read the stored journey tables (else they computed them as they went)
        summary["derived"] = bool(state["current"])
    if check and key == "rules":
        # the process's peak so far: the agreement check's reference roll-up (the source-table
        # query) must not count as the timed workload's memory
        import resource

        result["rss_before_check_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result["reference"] = _reference(state["con"])
    out.write_text(json.dumps(result, default=float))


# ------------------------------------------------------------------------------------------------
# Orchestration


def _python() -> str:
    return sys.executable


@dataclass
class Run:
    code: int
    wall: float
    cpu: float
    rss_mb: float
    warm: float | None = None
    result: dict = field(default_factory=dict)
    stderr: str = ""


# A tiny launcher between the orchestrator and each run. On Linux a child's ru_maxrss starts at
# its parent's RSS at fork time (and survives exec), so forking straight from this process,
# which holds DuckDB and pandas, would report our own size as the child's peak. The launcher
# (python -S, ~10 MB) forks the real command and reports its rusage.
_LAUNCHER = """
import os, sys
out, cmd = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
_, status, ru = os.wait4(pid, 0)
with open(out, "w") as f:
    f.write(f"{ru.ru_maxrss} {ru.ru_utime + ru.ru_stime}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _spawn(cmd: list[str], timeout: float = WORKER_TIMEOUT) -> Run:
    """Run cmd in a subprocess: exit code, wall, CPU seconds (user + system) and peak RSS of that process."""
    err = tempfile.TemporaryFile()
    fd, usage_file = tempfile.mkstemp(dir=DATA, suffix=".rusage")
    os.close(fd)
    try:
        t0 = time.perf_counter()
        p = subprocess.Popen(
            [sys.executable, "-S", "-c", _LAUNCHER, usage_file, *cmd],
            stdout=subprocess.DEVNULL,
            stderr=err,
            cwd=ROOT,
            start_new_session=True,
        )
        timer = threading.Timer(timeout, lambda: os.killpg(p.pid, 9))
        timer.start()
        try:
            code = p.wait()
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        text = Path(usage_file).read_text().split()
    finally:
        Path(usage_file).unlink(missing_ok=True)
    err.seek(0)
    stderr = err.read().decode(errors="replace")[-4000:]
    if len(text) != 2:
        return Run(code or 1, wall, float("nan"), float("nan"), stderr=stderr or "killed (time limit)")
    # ru_maxrss is in kilobytes on Linux
    return Run(code, wall, float(text[1]), int(text[0]) / 1024.0, stderr=stderr)


@dataclass
class Runs:
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    warms: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    summary: dict | None = None
    reference: dict | None = None
    error: str | None = None


def _log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", flush=True)


def prepare(scale: str, rebuild: bool) -> dict:
    """The cached inputs of a scale: database (with its derived tables), peers' export, import CSV and base."""
    DATA.mkdir(parents=True, exist_ok=True)
    n = SCALES[scale]
    dbp = DATA / f"deals_{scale}.duckdb"
    meta = DATA / f"deals_{scale}.json"

    # the generator's sources are part of the key: a changed sample means new data; a changed
    # build of the journey tables only a `refresh` of the cached database (minutes, not the
    # sample's quarter of an hour at 1M)
    def _digest(files: tuple[str, ...]) -> str:
        digest = hashlib.sha256()
        for source in files:
            digest.update((ROOT / source).read_bytes())
        return digest.hexdigest()[:16]

    want = {"deals": n, "seed": SEED, "touches_per_deal": TOUCHES_PER_DEAL, "sources": _digest(SOURCES)}
    build = _digest(BUILD_SOURCES)
    have = json.loads(meta.read_text()) if meta.exists() else {}
    if rebuild or not dbp.exists() or {k: have.get(k) for k in want} != want:
        _log(f"{scale}: generating the sample database ({n:,} deals)")
        for stale in DATA.glob(f"*_{scale}.*"):
            stale.unlink()
        t0 = time.perf_counter()
        subprocess.run(
            [
                _python(),
                "-m",
                "closedloop",
                "sample",
                "--deals",
                str(n),
                "--seed",
                str(SEED),
                "--touches-per-deal",
                str(TOUCHES_PER_DEAL),
                "--db",
                str(dbp),
                "--force",
                "--quiet",
            ],
            cwd=ROOT,
            check=True,
        )
        meta.write_text(json.dumps({**want, "build": build}))
        _log(f"{scale}: generated in {time.perf_counter() - t0:.0f} s")
    elif have.get("build") != build:
        _log(f"{scale}: the journey tables' build changed: refreshing {dbp.name}")
        t0 = time.perf_counter()
        subprocess.run([_python(), "-m", "closedloop", "refresh", "--db", str(dbp)], cwd=ROOT, check=True)
        # the import's base holds journey tables of this build too (made again from the database below)
        (DATA / f"import_base_{scale}.duckdb").unlink(missing_ok=True)
        meta.write_text(json.dumps({**want, "build": build}))
        _log(f"{scale}: refreshed in {time.perf_counter() - t0:.0f} s")
    for p in (str(BENCH), str(ROOT)):
        if p not in sys.path:
            sys.path.insert(0, p)
    import duckdb

    journeys = DATA / f"journeys_{scale}.parquet"
    if not journeys.exists():
        import peers

        rows = peers.export_journeys(dbp, journeys, LOOKBACK)
        _log(f"{scale}: exported {rows:,} touches of closed deals for the peers")
    csv = DATA / f"touchpoints_{scale}.csv"
    base = DATA / f"import_base_{scale}.duckdb"
    if not csv.exists() or not base.exists():
        con = duckdb.connect(str(dbp), read_only=True)
        try:
            tmp = DATA / f"touchpoints_{scale}.csv.tmp"
            con.table("touchpoints").order("touchpoint_id").write_csv(str(tmp), header=True)
            os.replace(tmp, csv)
        finally:
            con.close()
        shutil.copyfile(dbp, base)
        con = duckdb.connect(str(base))
        try:
            # drop and re-create it as the current schema has it (a DELETE of millions of rows is
            # slow, and a database built by an older version would keep that version's table)
            from closedloop import db

            con.execute("drop table touchpoints")
            db.create_schema(con)
            con.execute("checkpoint")
        finally:
            con.close()
        # its journey tables made from what it now holds, as an import of the CRM's deals, accounts
        # and contacts leaves them (the copy's are the whole database's, which no import leaves)
        subprocess.run([_python(), "-m", "closedloop", "refresh", "--db", str(base)], cwd=ROOT, check=True)
        _log(f"{scale}: wrote {csv.name} ({csv.stat().st_size / 1e6:.0f} MB) and {base.name}")
    day = DATA / f"day_{scale}.csv"
    if not day.exists():
        con = duckdb.connect(str(dbp), read_only=True)
        try:
            # copies of existing touches (their accounts, contacts and keys) with new ids, dated the
            # day before the latest touch
            con.execute(
                "copy (select 'DAY' || lpad(cast(row_number() over (order by touchpoint_id) as varchar), 8, '0') "
                "as touchpoint_id, (select max(occurred_at) from touchpoints) - interval 1 day "
                "+ to_minutes(cast(hash(touchpoint_id) % 1200 as bigint)) as occurred_at, account_id, contact_id, "
                "team, channel, touchpoint_type, campaign_id, asset from (select * from touchpoints "
                f"order by hash(touchpoint_id), touchpoint_id limit {DAY_TOUCHES})) to '{day}' (header)"
            )
        finally:
            con.close()
    with open(csv, "rb") as f:
        csv_rows = sum(1 for _ in f) - 1
    con = duckdb.connect(str(dbp), read_only=True)
    try:
        counts = dict(
            con.execute(
                "select 'deals', count(*) from deals union all select 'touchpoints', count(*) from touchpoints "
                "union all select 'channels', count(distinct channel) from touchpoints "
                "union all select 'closed deals', count(*) from deals where outcome in ('won', 'lost')"
            ).fetchall()
        )
    finally:
        con.close()
    counts["csv rows"] = csv_rows
    derived_ok = _derived_usable(dbp)
    if not derived_ok:
        _log(f"{scale}: WARNING: {dbp.name} has no usable derived tables; our engine will read the source tables")
    return {
        "db": str(dbp),
        "journeys": str(journeys),
        "csv": str(csv),
        "day": str(day),
        "base": str(base),
        "deals": n,
        "counts": counts,
        "db_mb": dbp.stat().st_size / 1e6,
        "derived": derived_ok,
    }


def _derived_usable(path: Path) -> bool:
    """Whether the database's derived tables answer the default matching (closedloop.engine.journey_tables.usable)."""
    from closedloop import db
    from closedloop.engine import journey_tables as derived

    con = db.connect(path)
    try:
        return bool(derived.usable(con))
    finally:
        con.close()


def _built(run: Run, target: Path) -> Run:
    """After a CLI run that builds the derived tables: record (untimed) whether they are usable."""
    if run.code == 0:
        run.result = {"summary": {"derived": _derived_usable(target)}}
    return run


def _import_copy(target: Path, db: str, touchpoints_csv: str) -> tuple[Run, Path]:
    """`closedloop import` of a touchpoints CSV into `target`, a copy of `db` (the CSV is linked
    beside it as touchpoints.csv: the canonical mapping finds the table by the file name)."""
    shutil.copyfile(db, target)
    csv = target.parent / "touchpoints.csv"
    os.link(touchpoints_csv, csv)
    cmd = [_python(), "-m", "closedloop", "import", "--db", str(target), "--mapping", "canonical", str(csv)]
    return _spawn(cmd), target


def run_once(w: Workload, ctx: dict, check: bool) -> Run:
    if w.key == "sample":
        with tempfile.TemporaryDirectory(dir=DATA) as tmp:
            target = Path(tmp) / "sample.duckdb"
            return _built(
                _spawn(
                    [
                        _python(),
                        "-m",
                        "closedloop",
                        "sample",
                        "--deals",
                        str(ctx["deals"]),
                        "--seed",
                        str(SEED),
                        "--db",
                        str(target),
                        "--force",
                        "--quiet",
                    ]
                ),
                target,
            )
    if w.key == "refresh":
        with tempfile.TemporaryDirectory(dir=DATA) as tmp:
            target = Path(tmp) / "refresh.duckdb"
            shutil.copyfile(ctx["db"], target)
            return _built(_spawn([_python(), "-m", "closedloop", "refresh", "--db", str(target)]), target)
    if w.key == "import_day":
        with tempfile.TemporaryDirectory(dir=DATA) as tmp:
            return _built(*_import_copy(Path(tmp) / "day.duckdb", ctx["db"], ctx["day"]))
    if w.key == "import":
        with tempfile.TemporaryDirectory(dir=DATA) as tmp:
            run, target = _import_copy(Path(tmp) / "import.duckdb", ctx["base"], ctx["csv"])
            if run.code == 0:
                import duckdb

                con = duckdb.connect(str(target), read_only=True)
                try:
                    imported = con.execute("select count(*) from touchpoints").fetchone()[0]
                finally:
                    con.close()
                if imported != ctx["counts"]["csv rows"]:
                    run.code = 1
                    run.stderr = f"imported {imported} rows of {ctx['counts']['csv rows']}"
            return _built(run, target)
    fd, name = tempfile.mkstemp(dir=DATA, suffix=".json")
    os.close(fd)
    out = Path(name)
    try:
        cmd = [_python(), str(Path(__file__)), "--worker", w.key, "--ctx", json.dumps(ctx), "--out", str(out)]
        if check:
            cmd.append("--check")
        run = _spawn(cmd)
        result = json.loads(out.read_text()) if run.code == 0 and out.stat().st_size else {}
    finally:
        out.unlink(missing_ok=True)
    if run.code == 0:
        # the timed call only, not the interpreter start, imports and setup
        run.wall, run.cpu, run.warm, run.result = result["wall"], result["cpu"], result.get("warm"), result
        if "rss_before_check_mb" in result:
            run.rss_mb = result["rss_before_check_mb"]
    return run


def bench_scale(scale: str, keys: list[str], repeats: int, rebuild: bool, slow: float) -> tuple[dict, dict]:
    ctx = prepare(scale, rebuild)
    ctx["load_before"] = os.getloadavg()
    t0 = time.time()
    runs = {k: Runs() for k in keys}
    for r in range(repeats):
        # round r: every workload once, in the same order (A B C ... A B C ...)
        for k in keys:
            w = BY_KEY[k]
            if runs[k].error or (w.scales and scale not in w.scales):
                continue
            if r > 0 and SCALES[scale] >= 1_000_000 and runs[k].walls and (w.once_at_1m or runs[k].walls[0] > slow):
                # at 1M a slow workload (and a reference like rules_source) runs once, so the whole
                # run fits well under an hour
                continue
            run = run_once(w, ctx, check=(r == 0))
            if run.code != 0:
                runs[k].error = (run.stderr.strip().splitlines() or [f"exit {run.code}"])[-1][:300]
                _log(f"{scale} {k}: FAILED ({runs[k].error})")
                continue
            s = runs[k]
            s.walls.append(run.wall)
            s.cpus.append(run.cpu)
            s.rss.append(run.rss_mb)
            if run.warm is not None:
                s.warms.append(run.warm)
            if r == 0:
                s.summary = run.result.get("summary")
                s.reference = run.result.get("reference")
            _log(
                f"{scale} {k} #{r + 1}: {run.wall:.2f} s (cpu {run.cpu:.2f} s), {run.rss_mb:.0f} MB"
                + (f", warm {run.warm:.2f} s" if run.warm is not None else "")
            )
    ctx["load_after"] = os.getloadavg()
    ctx["minutes"] = (time.time() - t0) / 60
    return ctx, runs


CHECK_MODELS = ("first_touch", "last_touch", "linear")
TOLERANCE = 1e-6  # relative to the total


def _compare(ours: dict[str, float], theirs: dict[str, float]) -> tuple[float, float]:
    """(max abs difference over channels, total of ours); "No touchpoint" is not a channel."""
    keys = (set(ours) | set(theirs)) - {"No touchpoint"}
    diff = max((abs(ours.get(k, 0.0) - theirs.get(k, 0.0)) for k in keys), default=0.0)
    return diff, sum(v for k, v in ours.items() if k != "No touchpoint")


def checks(runs: dict[str, Runs]) -> list[dict]:
    rows = []
    ref = runs.get("rules").reference if "rules" in runs else None
    if not ref:
        return rows
    for key, label in (
        ("ca_heuristics", "ChannelAttribution"),
        ("dp6_heuristics", "DP6 mam"),
        ("pandas_rules", "pandas baseline"),
    ):
        s = runs.get(key)
        if not s or not s.summary:
            continue
        for model in CHECK_MODELS + (
            ("u_shaped", "w_shaped", "full_path", "position_40_20_40", "j_shaped", "inverse_j", "time_decay")
            if key == "pandas_rules"
            else ()
        ):
            for measure in ("", ":value"):
                if model + measure not in s.summary:
                    continue
                diff, total = _compare(ref[model + measure], s.summary[model + measure])
                rows.append(
                    {
                        "peer": label,
                        "model": model,
                        "measure": "revenue" if measure else "wins",
                        "max_diff": diff,
                        "total": total,
                        "ok": diff <= TOLERANCE * max(total, 1.0),
                    }
                )
    # data-driven models: how far the peers' shares are from our exact ones (information, not pass/fail)
    for ours_key, peer_key, label, field_ in (
        ("markov1", "ca_markov1", "ChannelAttribution Markov o1 (simulated)", "removal_share"),
        ("markov1", "dp6_markov", "DP6 Markov o1 (drops self-loops: same removal effects)", "removal_share"),
        ("markov3", "ca_markov3", "ChannelAttribution Markov o3 (simulated)", "removal_share"),
        ("shapley", "dp6_shapley11", "DP6 Shapley max_size=11", "share"),
        ("shapley", "dp6_shapley4", "DP6 Shapley max_size=4", "share"),
    ):
        a, b = runs.get(ours_key), runs.get(peer_key)
        if a and b and a.summary and b.summary:
            diff, _ = _compare(a.summary[field_], b.summary[field_])
            rows.append(
                {"peer": label, "model": ours_key, "measure": "share", "max_diff": diff, "total": 1.0, "ok": None}
            )
    return rows


TARGETS = [
    # (workload, seconds, MB or None, label)
    ("rules", 2.0, 1024.0, "all rule-based models <= 2 s, <= 1 GB"),
    ("markov1", 1.5, None, "exact Markov order 1 <= 1.5 s"),
    ("markov3", 5.0, None, "exact Markov order 3 <= 5 s"),
    ("shapley16", 2.0, None, "exact Shapley over 15+ keys <= 2 s"),
    ("lift", 1.0, None, "win-rate lift (type, channel, campaign) <= 1 s"),
    ("spend", 3.0, None, "spend and return, one quarter (a page's first load) <= 3 s"),
    ("credit_time", 3.0, None, "credit over time, a year by month <= 3 s"),
    ("ranks", 3.0, None, "every rule-based model's ranks in 4 quarters <= 3 s"),
    ("import", 30.0, 2048.0, "import of a 10M-row touchpoint CSV <= 30 s, <= 2 GB"),
    ("sample", 120.0, None, "sample of 1M deals <= 2 min"),
]


def _git() -> tuple[str, bool]:
    """The commit the engine was measured at, and whether its files had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = (
            subprocess.run(
                ["git", "status", "--porcelain", "--", "closedloop", "queries"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            != ""
        )
        return head, dirty
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False


def _machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    versions = {"python": platform.python_version()}
    for mod, name in (
        ("duckdb", "duckdb"),
        ("numpy", "numpy"),
        ("pandas", "pandas"),
        ("scipy", "scipy"),
        ("polars", "polars"),
    ):
        try:
            versions[name] = __import__(mod).__version__
        except Exception:  # noqa: BLE001
            versions[name] = "not installed"
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("ChannelAttribution", "marketing-attribution-models"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = "not installed"
    return {"cpu": cpu, "nproc": os.cpu_count(), "memory": mem, "versions": versions, "kernel": platform.release()}


def _fmt_s(x: float | None) -> str:
    if x is None or x != x:
        return "—"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 10 else f"{x:.1f}"


def _fmt_mb(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.0f} MB" if x < 1024 else f"{x / 1024:.2f} GB"


def _ratio_base(w: Workload, runs: dict[str, Runs]) -> str | None:
    """The workload of ours that w's ratio compares with."""
    if w.vs:
        return w.vs
    for o in WORKLOADS:
        if o.group == w.group and o.ours:
            return o.key
    return None


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def _derived(w: Workload, s: Runs) -> str:
    """The table's "derived tables" cell: did our run read (or build) them?"""
    d = (s.summary or {}).get("derived")
    if d is None:
        return "—"
    if w.cli:
        return "built" if d else "**NOT built**"
    if d:
        return "read"
    if (s.summary or {}).get("derived_available"):
        return "bypassed"
    return "**not read**"


def report(results: dict, meta: dict) -> str:
    m = _machine()
    lines = [
        "# Benchmark results",
        "",
        "Written by `bench/run.py` (`make bench`); bench/README.md says what each workload does and how the "
        "data is aligned. Each run is a fresh process; the workloads run in rounds (A B C … A B C …) so a busy "
        "neighbour on the shared cores hits every implementation alike. Wall = the timed call (median of the "
        "runs); CPU = user + system seconds of that call; warm = the same call again on the same connection; "
        "peak memory = the process's max RSS (interpreter and libraries included, ~250 MB of it). Ratio = that "
        "row's median wall / our engine's in the same group: above 1 the other is slower, below 1 faster.",
        "",
        f"- date: {meta['date']}; whole run {meta['minutes']:.1f} min, data preparation included"
        f" (`bench/run.py --scales {','.join(results)} --repeats {meta['repeats']}`)",
        f"- engine: commit {meta['git']}"
        + (" with uncommitted changes in closedloop/ or queries/" if meta.get("dirty") else ""),
        f"- machine: {m['nproc']} cores ({m['cpu']}), {m['memory']} memory, Linux {m['kernel']}; shared with "
        "other work, so single runs vary (load averages per scale below)",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        f"- data: `closedloop sample --seed {SEED} --touches-per-deal {TOUCHES_PER_DEAL:g}`; account scope, "
        f"{LOOKBACK}-day lookback, all periods",
        "",
    ]
    for scale, (ctx, runs) in results.items():
        c = ctx["counts"]
        lb, la = ctx.get("load_before", (0, 0, 0)), ctx.get("load_after", (0, 0, 0))
        lines += [
            f"## {scale}: {c['deals']:,} deals, {c['touchpoints']:,} touchpoints, {c['channels']} channels, "
            f"{c['closed deals']:,} closed deals (database {ctx['db_mb']:.0f} MB)",
            "",
            f"{ctx.get('minutes', 0):.1f} min; 1-minute load average {lb[0]:.1f} before, {la[0]:.1f} after "
            f"(2 cores: above 2 means other work was queued).",
            "",
            "| group | implementation | what | wall (median) | min – max | CPU | warm | peak memory | "
            "ratio to ours | derived tables | runs |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|",
        ]
        order = sorted(
            runs,
            key=lambda k: ([w.group for w in WORKLOADS].index(BY_KEY[k].group), [w.key for w in WORKLOADS].index(k)),
        )
        for k in order:
            s, w = runs[k], BY_KEY[k]
            impl = f"**{w.impl}**" if w.ours else w.impl
            if s.error:
                lines.append(f"| {w.group} | {impl} | {w.what} | not measured: {s.error} | | | | | | | 0 |")
                continue
            if not s.walls:
                continue
            med = statistics.median(s.walls)
            base = _ratio_base(w, runs)
            ratio = "—"
            if base and base != k and base in runs and runs[base].walls:
                ratio = f"{med / statistics.median(runs[base].walls):.2g}×"
            warm = _median(s.warms)
            lines.append(
                f"| {w.group} | {impl} | {w.what} | {_fmt_s(med)} s | {_fmt_s(min(s.walls))} – "
                f"{_fmt_s(max(s.walls))} | {_fmt_s(_median(s.cpus))} s | "
                f"{_fmt_s(warm) + ' s' if warm is not None else '—'} | {_fmt_mb(max(s.rss))} | {ratio} | "
                f"{_derived(w, s)} | {len(s.walls)} |"
            )
        rows = checks(runs)
        if rows:
            lines += [
                "",
                f"Agreement with our engine at {scale}, per channel (wins = conversions; first/last/linear "
                f"must agree within {TOLERANCE:g} of the total):",
                "",
                "| compared | model | measure | max abs difference | our total | agrees |",
                "|---|---|---|---:|---:|---|",
            ]
            for r in rows:
                ok = "yes" if r["ok"] else "NO" if r["ok"] is False else "(information)"
                lines.append(
                    f"| {r['peer']} | {r['model']} | {r['measure']} | {r['max_diff']:.3g} | {r['total']:,.6g} | {ok} |"
                )
        lines.append("")
    big = "1m" if "1m" in results else max(results, key=lambda s: SCALES[s])
    ctx, runs = results[big]
    lines += [
        f"## Issue 6 targets at {big}",
        "",
        "Cold = the first call in a fresh process (the table's wall); warm = the same call again. Derived "
        "tables: whether the run read them (the queries) or left them usable (sample, import), per "
        "closedloop.engine.journey_tables.usable after the run.",
        "",
        "| target | wall (warm) | peak memory | holds? | derived tables |",
        "|---|---:|---:|---|---|",
    ]
    for key, secs, mb, label in TARGETS:
        s = runs.get(key)
        if not s or not s.walls:
            why = f": {s.error}" if s and s.error else ""
            lines.append(f"| {label} | not measured{why} | — | — | — |")
            continue
        med, peak = statistics.median(s.walls), max(s.rss)
        holds = med <= secs and (mb is None or peak <= mb)
        how = (
            "yes"
            if holds
            else "NO: "
            + ", ".join(
                x
                for x in (
                    f"{med / secs:.1f}× the time" if med > secs else "",
                    f"{peak / mb:.1f}× the memory" if mb and peak > mb else "",
                )
                if x
            )
        )
        warm = f" ({_fmt_s(_median(s.warms))} s)" if s.warms else ""
        lines.append(f"| {label} | {_fmt_s(med)} s{warm} | {_fmt_mb(peak)} | {how} | {_derived(BY_KEY[key], s)} |")
    notes = []
    before, after = runs.get("rules_source"), runs.get("rules")
    if before and before.walls:
        line = (
            f"- Rule-based from the source tables (`rules_source`, derived tables bypassed): "
            f"{_fmt_s(statistics.median(before.walls))} s, {_fmt_mb(max(before.rss))}"
        )
        if after and after.walls:
            line += (
                f"; from the derived tables {_fmt_s(statistics.median(after.walls))} s, "
                f"{_fmt_mb(max(after.rss))} "
                f"(the source tables take {statistics.median(before.walls) / statistics.median(after.walls):.2g}× "
                "the derived tables' time)"
            )
        notes.append(line + ".")
    ref = runs.get("refresh")
    if ref and ref.walls:
        notes.append(
            f"- Rebuilding the derived tables (`closedloop refresh`, also part of every sample and import "
            f"above): {_fmt_s(statistics.median(ref.walls))} s, {_fmt_mb(max(ref.rss))}."
        )
    if notes:
        lines += [""] + notes
    if big != "1m":
        lines += ["", "(The targets are for 1,000,000 deals; this run did not include that scale.)"]
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="10k,100k,1m", help="comma-separated: 10k, 100k, 1m (default all)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per workload and scale (default 3)")
    ap.add_argument(
        "--slow",
        type=float,
        default=60.0,
        help="at 1m, a workload whose first run takes longer than this many seconds runs once (default 60)",
    )
    ap.add_argument("--only", help="comma-separated workload keys (default all): " + ", ".join(BY_KEY))
    ap.add_argument("--skip", help="comma-separated workload keys to leave out")
    ap.add_argument("--rebuild", action="store_true", help="regenerate the cached databases and exports")
    ap.add_argument("--prepare-only", action="store_true", help="build the cached inputs of the scales and stop")
    ap.add_argument("--results", type=Path, default=BENCH / "RESULTS.md", help="where to write the table")
    ap.add_argument(
        "--report-from",
        type=Path,
        metavar="JSON",
        help="write RESULTS.md again from a run's raw results (bench/data/last_run.json)",
    )
    ap.add_argument("--total-minutes", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--ctx", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--spark", metavar="SCALES", help="time the main questions on Spark local next to DuckDB")
    args = ap.parse_args(argv)
    if args.spark:
        return spark_main([s.strip().lower() for s in args.spark.split(",") if s.strip()])
    if args.report_from:
        rerender(args.report_from, args.results, args.total_minutes)
        return 0
    if args.worker:
        worker(args.worker, json.loads(args.ctx), args.out, args.check)
        return 0
    scales = [s.strip().lower() for s in args.scales.split(",") if s.strip()]
    bad = [s for s in scales if s not in SCALES]
    if bad:
        ap.error(f"unknown scale(s) {', '.join(bad)}; use {', '.join(SCALES)}")
    keys = [k.strip() for k in args.only.split(",")] if args.only else list(BY_KEY)
    skip = {k.strip() for k in args.skip.split(",")} if args.skip else set()
    unknown = [k for k in keys + sorted(skip) if k not in BY_KEY]
    if unknown:
        ap.error(f"unknown workload(s) {', '.join(unknown)}; use {', '.join(BY_KEY)}")
    keys = [k for k in keys if k not in skip]
    # run (and report) group by group: our engine, then the other implementations of the same work
    groups = list(dict.fromkeys(w.group for w in WORKLOADS))
    position = [w.key for w in WORKLOADS]
    keys.sort(key=lambda k: (groups.index(BY_KEY[k].group), position.index(k)))
    if args.repeats < 1:
        ap.error("--repeats must be 1 or more")
    started = time.time()
    if args.prepare_only:
        for scale in sorted(scales, key=SCALES.get):
            ctx = prepare(scale, args.rebuild)
            _log(f"{scale}: ready: {ctx['counts']}")
        return 0
    head, dirty = _git()
    meta = {"git": head, "dirty": dirty, "repeats": args.repeats}
    results = {}
    # a run that writes elsewhere (a quick check) keeps its raw results beside its table
    raw = DATA / "last_run.json" if args.results == BENCH / "RESULTS.md" else args.results.with_suffix(".json")
    for scale in sorted(scales, key=SCALES.get):
        results[scale] = bench_scale(scale, keys, args.repeats, args.rebuild, args.slow)
        meta.update(date=f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", minutes=(time.time() - started) / 60)
        # write after every scale, so an interrupted run keeps what it measured
        args.results.write_text(report(results, meta))
        raw.write_text(
            json.dumps(
                {
                    "meta": meta,
                    "scales": {
                        s: {"ctx": ctx, "runs": {k: vars(r) for k, r in runs.items()}}
                        for s, (ctx, runs) in results.items()
                    },
                },
                default=float,
                indent=1,
            )
        )
    _log(f"wrote {args.results} ({(time.time() - started) / 60:.1f} min); raw runs in {raw}")
    return 0


def rerender(raw_path: Path, out: Path, minutes: float | None = None) -> None:
    """RESULTS.md again from a run's raw JSON (bench/data/last_run.json)."""
    data = json.loads(raw_path.read_text())
    scales = data.get("scales", data)
    meta = data.get("meta") or {
        "git": _git()[0],
        "dirty": _git()[1],
        "repeats": 3,
        "date": datetime.fromtimestamp(raw_path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    if minutes is not None:
        meta["minutes"] = minutes
    meta.setdefault("minutes", sum(v["ctx"].get("minutes", 0) for v in scales.values()))
    # workloads this version no longer has (an older run's) are left out
    results = {s: (v["ctx"], {k: Runs(**r) for k, r in v["runs"].items() if k in BY_KEY}) for s, v in scales.items()}
    out.write_text(report(results, meta))


# --- Spark (issue 16): the main questions on Spark local next to DuckDB, in one run ------------
# `python bench/run.py --spark 100k` (or 100k,1m): exports the cached database to Parquet once
# (bench/data/spark_<scale>/), then times on DuckDB and on a local Spark session (local[2]) the
# journey tables' build (Spark only: DuckDB's are stored), all rule-based models, Markov order 1 and
# the lift of three dimensions; checks that both give the same figures (1e-6 of the total) and writes
# bench/SPARK_RESULTS.md.
SPARK_RESULTS = BENCH / "SPARK_RESULTS.md"


def _spark_questions(con) -> dict:
    from closedloop.engine.attribution import compare_models, rollup
    from closedloop.engine.lift import touchpoint_lift

    return {
        "rules": lambda: compare_models(con, by="channel", measure="wins", models=_rule_models(), **ALL),
        "markov1": lambda: rollup(con, "markov", order=1, **ALL),
        "lift": lambda: [touchpoint_lift(con, *LIFT_DATES, dimension=d) for d in LIFT_DIMENSIONS],
    }


def _same(a, b) -> float:
    """The largest difference between two results' numbers, relative to their column totals."""
    import pandas as pd

    if isinstance(a, list):
        return max(_same(x, y) for x, y in zip(a, b, strict=True))
    worst = 0.0
    for col in a.columns:
        if pd.api.types.is_numeric_dtype(a[col]):
            scale = max(abs(float(b[col].fillna(0).sum())), 1.0)
            diff = (a[col].fillna(0).astype(float) - b[col].fillna(0).astype(float)).abs().max()
            worst = max(worst, float(diff) / scale)
        else:
            assert a[col].tolist() == b[col].tolist(), col
    return worst


def bench_spark(scale: str, done: list[dict]) -> list[dict]:
    from closedloop import db, parquet_export
    from closedloop.engine import journey_tables as derived
    from closedloop.engine.spark import SparkEngine, spark_session

    source = DATA / f"deals_{scale}.duckdb"
    if not source.exists():
        raise SystemExit(f"No {source}: build it first with `python bench/run.py --prepare-only --scales {scale}`.")
    jvm_before = _jvm_cpu_seconds()
    # a copy of the cached database, its journey tables rebuilt by this checkout's macros (the cached
    # one is left alone: other runs share it)
    path, lake = DATA / f"spark_{scale}.duckdb", DATA / f"spark_{scale}"
    rows: list[dict] = []
    if not path.exists():
        shutil.copyfile(source, path)
    rw = db.connect(path, read_only=False)
    try:
        if not derived.current(rw):
            started = time.perf_counter()
            rw.execute("begin transaction")
            derived.refresh(rw)
            rw.execute("commit")
            derived.seal(rw)
            rows.append(
                {
                    "scale": scale,
                    "question": "journey tables (stored)",
                    "engine": "duckdb",
                    "seconds": time.perf_counter() - started,
                }
            )
    finally:
        rw.close()
    con = db.connect(path)
    try:
        if not (lake / "touchpoints").exists():
            started = time.perf_counter()
            parquet_export.export(con, lake, force=True)
            rows.append(
                {
                    "scale": scale,
                    "question": "export to Parquet",
                    "engine": "duckdb",
                    "seconds": time.perf_counter() - started,
                }
            )
        duck = {}
        for name, ask in _spark_questions(con).items():
            started, cpu = time.perf_counter(), time.process_time()
            duck[name] = ask()
            rows.append(
                {
                    "scale": scale,
                    "question": name,
                    "engine": "duckdb",
                    "seconds": time.perf_counter() - started,
                    "cpu": time.process_time() - cpu,
                }
            )
            _log(f"{scale} duckdb {name}: {rows[-1]['seconds']:.2f}s, CPU {rows[-1]['cpu']:.1f}s")
        started, cpu = time.perf_counter(), jvm_before
        engine = SparkEngine(spark_session(None, conf=SPARK_BENCH_CONF), str(lake), local=con)
        rows.append(_spark_row(scale, "start Spark, read Parquet", started, cpu))
        started, cpu = time.perf_counter(), _jvm_cpu_seconds()
        engine.journeys()
        rows.append(_spark_row(scale, "journey tables", started, cpu))
        _log(f"{scale} spark journey tables: {rows[-1]['seconds']:.2f}s, JVM CPU {rows[-1]['cpu']:.0f}s")
        _write_spark_results([*done, *rows])
        previous = db.use_engine(engine)
        try:
            for name, ask in _spark_questions(con).items():
                started, cpu = time.perf_counter(), _jvm_cpu_seconds()
                result = ask()
                rows.append({**_spark_row(scale, name, started, cpu), "max_rel_diff": _same(result, duck[name])})
                _log(
                    f"{scale} spark {name}: {rows[-1]['seconds']:.2f}s, JVM CPU {rows[-1]['cpu']:.0f}s "
                    f"(max relative difference {rows[-1]['max_rel_diff']:.1e})"
                )
                _write_spark_results([*done, *rows])
        finally:
            db.use_engine(previous)
    finally:
        con.close()
    return rows


def spark_main(scales: list[str]) -> int:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    rows: list[dict] = []
    for s in scales:
        rows += bench_spark(s, rows)
        _write_spark_results(rows)
    print(SPARK_RESULTS.read_text(encoding="utf-8"))
    return 0


# A local session's driver holds the cached journey tables: Spark's default 1 GB driver spills
# them at 1M deals; 8 GB of this machine's 24 do not.
SPARK_BENCH_CONF = (("spark.driver.memory", "8g"),)


def _jvm_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process's Spark JVM (its descendants whose command
    line names Spark): the machines are shared, so the JVM's own CPU time is the figure that does not grow
    with other processes' load."""
    parents: dict[int, int] = {}
    spark: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(proc.name)] = int(fields[1])
            if b"org.apache.spark" in (proc / "cmdline").read_bytes():
                spark[int(proc.name)] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, ValueError, IndexError):
            continue
    total = 0.0
    for pid, cpu in spark.items():
        up = pid
        while up > 1 and up != os.getpid():
            up = parents.get(up, 1)
        total += cpu if up == os.getpid() else 0.0
    return total


def _spark_row(scale: str, question: str, started: float, cpu_before: float) -> dict:
    return {
        "scale": scale,
        "question": question,
        "engine": "spark",
        "seconds": time.perf_counter() - started,
        "cpu": _jvm_cpu_seconds() - cpu_before,
    }


def _write_spark_results(rows: list[dict]) -> None:
    """bench/SPARK_RESULTS.md, rewritten after every question so a run cut short keeps what it timed."""
    load = os.getloadavg()
    scales = ",".join(dict.fromkeys(r["scale"] for r in rows))
    lines = [
        "# Spark local next to DuckDB",
        "",
        f"`python bench/run.py --spark {scales}` on {os.cpu_count()} cores, Spark local[2] "
        f"({', '.join(f'{k}={v}' for k, v in SPARK_BENCH_CONF)}); load average when written "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (a shared machine: the JVM's CPU seconds are the "
        "steadier figure; wall seconds grow with other processes' load). CPU seconds: the Spark JVM's for "
        "Spark, this process's (DuckDB's threads) for DuckDB. Same figures on both engines "
        "(max difference relative to the column total).",
        "",
        "| scale | question | engine | wall seconds | CPU seconds | max rel. diff |",
        "|---|---|---|---:|---:|---:|",
    ]
    for r in rows:
        diff = f"{r['max_rel_diff']:.1e}" if "max_rel_diff" in r else ""
        cpu = f"{r['cpu']:.1f}" if "cpu" in r else ""
        lines.append(f"| {r['scale']} | {r['question']} | {r['engine']} | {r['seconds']:.2f} | {cpu} | {diff} |")
    SPARK_RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
