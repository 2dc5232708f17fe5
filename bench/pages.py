"""Dashboard page timings on a database, measured with Streamlit's AppTest (no browser).

For every page of ui/nav.py: the first load with empty caches (a user opening the
page after the app started), the same page again (cached), a filter change to a
segment not seen before, and the change back (cached again). Also the queries each
page spent its time in, from closedloop.db.run's timing log.

    .venv/bin/python bench/pages.py --db bench/data/deals_1m.duckdb [--out bench/PAGES.md]

Issue 6's targets: first load <= 3 s, a filter change <= 300 ms once cached.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# each selectbox's chosen label, as last rendered (AppTest drops it after the first run)
_labels: dict[str, str] = {}


# CPU seconds of the last _run, every thread of the process (DuckDB's too): on a shared machine the
# wall time says how long a user waited, the CPU time how much work the page did
_cpu: list[float] = [math.nan]


def _run(at) -> float:
    for box in at.selectbox:
        if box.proto.HasField("raw_value"):
            _labels[box.key] = box.proto.raw_value
        # AppTest cannot map a value back through a format_func whose labels differ from the
        # values: send the label the page showed, as a browser would
        try:
            _ = box.index
        except ValueError:
            label = _labels.get(box.key)
            box.select_index(box.options.index(label) if label in box.options else int(box.proto.default))
    start, cpu = time.perf_counter(), time.process_time()
    at.run()
    elapsed = time.perf_counter() - start
    _cpu[0] = time.process_time() - cpu
    if at.exception:
        raise RuntimeError(f"{[e.value for e in at.exception]}")
    return elapsed


def _cell(seconds: float) -> str:
    return "—" if math.isnan(seconds) else f"{seconds:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--out", type=Path, help="write the table as Markdown here too")
    parser.add_argument("--pages", nargs="*", help="url paths to time (default: every page)")
    args = parser.parse_args(argv)
    os.environ["CLOSEDLOOP_DB"] = str(args.db.resolve())

    import duckdb
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from closedloop import db
    from ui.nav import PAGES

    con = db.connect(args.db)
    segments = [
        r[0]
        for r in con.execute("select distinct segment from accounts where segment is not null order by 1").fetchall()
    ]
    deals = con.execute("select count(*) from deals").fetchone()[0]
    touches = con.execute("select count(*) from touchpoints").fetchone()[0]
    con.close()
    other = segments[0] if segments else None

    rows = []
    for spec in PAGES:
        if args.pages and spec.url_path not in args.pages:
            continue
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / spec.path), default_timeout=600)
        first = _run(at)
        first_cpu = _cpu[0]
        again = _run(at)
        change = back = float("nan")
        if other is not None and any(s.key == "f_segment" for s in at.selectbox):
            at.selectbox(key="f_segment").set_value(other)
            change = _run(at)
            at.selectbox(key="f_segment").set_value("All")
            back = _run(at)
        rows.append((spec.title, first, again, change, back))
        if spec.url_path == "import-data":
            # the quality checks run when their tab is opened (?tab=Data quality)
            at = AppTest.from_file(str(ROOT / spec.path), default_timeout=600)
            at.query_params["tab"] = "Data quality"
            opened, cached = _run(at), _run(at)
            rows.append(("Data: quality tab opened", opened, cached, float("nan"), float("nan")))
            print(f"{'Data: quality tab':24s} first {opened:6.2f} s  cached {cached:5.2f} s", flush=True)
        print(
            f"{spec.title:24s} first {first:6.2f} s ({first_cpu:5.2f} s CPU)  cached {again:5.2f} s  "
            f"new filter {change:6.2f} s  back (cached) {back:5.2f} s",
            flush=True,
        )

    lines = [
        f"# Page timings: {deals:,} deals, {touches:,} touchpoints",
        "",
        f"AppTest, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, Streamlit {st.__version__}.",
        "First load: empty caches. Filter change: segment All -> a segment not seen yet; back: to All again "
        "(cached); — where a page has no segment filter. Targets (issue 6): first load <= 3 s, a cached filter "
        "change <= 0.3 s. The Data page's quality checks run only when their tab is opened (its own row).",
        "",
        "| page | first load s | again (cached) s | new filter s | back to cached filter s |",
        "|---|---:|---:|---:|---:|",
        *("| " + " | ".join([t, *(_cell(x) for x in (a, b, c, d))]) + " |" for t, a, b, c, d in rows),
        "",
    ]
    if args.out:
        args.out.write_text("\n".join(lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
