"""`python -m closedloop paths ...`: the path reports on the command line (docs/attribution.md,
"Path reports"): the paths of closed deals after a transform with their conversions, non-conversions
and win rate (in the format `attribute-paths --paths` reads, so the transformed paths can be
credited), or the time lag / path length distributions, won vs lost."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import pandas as pd

from closedloop import db
from closedloop.cli import options
from closedloop.engine import path_reports
from closedloop.filters import Filters

REPORTS = ("summary", "time-lag", "path-length")


def _edges(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"band edges are whole numbers separated by commas, got {text!r}") from None


def register(subparsers: Any) -> None:
    p = options.add_command(subparsers, "paths", run_paths)
    options.add_db(p)
    p.add_argument("--report", choices=REPORTS, default="summary", help="which report (default summary)")
    p.add_argument(
        "--transform",
        choices=list(path_reports.TRANSFORMS),
        default="collapse_repeats",
        help="summary: how each path is rewritten before it is counted (default collapse_repeats)",
    )
    p.add_argument("--drop-channel", metavar="CHANNEL", help="with --transform drop_channel: the channel to drop")
    p.add_argument(
        "--bands",
        type=_edges,
        metavar="N,N,...",
        help="time-lag / path-length: where each band after the first starts, in days or touches "
        "(default 8,15,31,61,91,181,366 days; 2,3,4,5,6,11,21 touches)",
    )
    p.add_argument("--by-month", action="store_true", help="time-lag / path-length: one row per month and band")
    options.add_period(p, all_time=True)
    options.add_deal_filters(p)
    options.add_lookback(p)
    options.add_scope(p)
    options.add_output(p)


def run_paths(args: argparse.Namespace) -> int:
    """For the deals closed in a period: --report summary (default) lists each channel path after
    --transform with its conversions (won deals), conversion value, non-conversions (lost deals) and
    win rate, in the format `attribute-paths --paths` reads; --report time-lag and path-length count
    won and lost deals per band of days from first touch to close or of touches, with --by-month one
    row per month of close (rows add up). See docs/attribution.md."""
    f = options.filters(args, all_time=True)
    if args.drop_channel and args.transform != "drop_channel":
        raise ValueError("--drop-channel goes with --transform drop_channel.")
    if args.report == "summary" and (args.bands or args.by_month):
        raise ValueError("--bands and --by-month go with --report time-lag or path-length.")
    con = db.connect(options.db_path(args))
    try:
        df = _report(con, f, args)
    finally:
        con.close()
    numbers = df.select_dtypes("number").columns
    df[numbers] = df[numbers].round(6)
    options.write_table(df, args.format, args.out, date_format="iso")
    if df.empty or (args.report != "summary" and not df["won_deals"].sum() + df["lost_deals"].sum()):
        print("No deals closed in this period with these filters.", file=sys.stderr)
    return 0


def _report(con: Any, f: Filters, args: argparse.Namespace) -> pd.DataFrame:
    if args.report == "summary":
        return path_reports.path_summary(con, f=f, transform=args.transform, drop_channel=args.drop_channel)
    if args.report == "time-lag":
        edges = args.bands or path_reports.DEFAULT_DAY_EDGES
        rows = path_reports.time_lag(con, f=f, day_edges=edges)
        labels = path_reports.time_lag_labels(edges)
    else:
        edges = args.bands or path_reports.DEFAULT_TOUCH_EDGES
        rows = path_reports.path_length(con, f=f, touch_edges=edges)
        labels = path_reports.path_length_labels(edges)
    if args.by_month:
        return rows
    return path_reports.rollup(rows, labels)
