"""`python -m closedloop paths ...`: the path reports on the command line (docs/attribution.md,
"Path reports"): the paths of closed deals after a transform with their conversions, non-conversions
and win rate (in the format `attribute-paths --paths` reads, so the transformed paths can be
credited), or the time lag / path length distributions, won vs lost."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from closedloop import db, export
from closedloop.cli.report import iso_date
from closedloop.engine import path_reports
from closedloop.filters import DEFAULT_LOOKBACK_DAYS, SCOPES, Filters

ALL_FROM, ALL_TO = date(1900, 1, 1), date(2999, 12, 31)
REPORTS = ("summary", "time-lag", "path-length")


def _edges(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"band edges are whole numbers separated by commas, got {text!r}") from None


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "paths",
        help="path reports: transformed paths with conversions and win rate, time lag, path length",
        description="For the deals closed in a period: --report summary (default) lists each channel path "
        "after --transform with its conversions (won deals), conversion value, non-conversions (lost deals) "
        "and win rate, in the format `attribute-paths --paths` reads; --report time-lag and path-length "
        "count won and lost deals per band of days from first touch to close or of touches, with "
        "--by-month one row per month of close (rows add up). See docs/attribution.md.",
    )
    p.add_argument("--db", type=Path, help="database (default $CLOSEDLOOP_DB or data/closedloop.duckdb)")
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
    p.add_argument("--from", dest="date_from", type=iso_date, metavar="DATE", help="period start (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", type=iso_date, metavar="DATE", help="period end, inclusive")
    p.add_argument("--segment", help="only deals of accounts in this segment")
    p.add_argument("--region", help="only deals of accounts in this region")
    p.add_argument("--owner", help="only deals of this owner")
    p.add_argument(
        "--lookback-days",
        type=int,
        default=DEFAULT_LOOKBACK_DAYS,
        help=f"touches from N days before the deal's creation (default {DEFAULT_LOOKBACK_DAYS})",
    )
    p.add_argument("--scope", choices=SCOPES, default="account", help="touches of the account (default) or contacts")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    p.add_argument("--out", type=Path, help="write to this file instead of standard output")
    p.set_defaults(func=run_paths)


def run_paths(args: argparse.Namespace) -> int:
    f = Filters(
        date_from=args.date_from or ALL_FROM,
        date_to=args.date_to or ALL_TO,
        segment=args.segment,
        region=args.region,
        owner=args.owner,
        lookback_days=args.lookback_days,
        scope=args.scope,
    )
    if args.drop_channel and args.transform != "drop_channel":
        raise ValueError("--drop-channel goes with --transform drop_channel.")
    if args.report == "summary" and (args.bands or args.by_month):
        raise ValueError("--bands and --by-month go with --report time-lag or path-length.")
    con = db.connect(args.db or db.default_db_path())
    try:
        df = _report(con, f, args)
    finally:
        con.close()
    numbers = df.select_dtypes("number").columns
    df[numbers] = df[numbers].round(6)
    if args.format == "json":
        text = df.to_json(orient="records", indent=2, date_format="iso") + "\n"
    else:  # paths hold channel names from the data: neutralise spreadsheet formulas
        text = export.safe_frame(df).to_csv(index=False)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"Wrote {len(df)} rows to {args.out}", file=sys.stderr)
    if df.empty or (args.report != "summary" and not df["won_deals"].sum() + df["lost_deals"].sum()):
        print("No deals closed in this period with these filters.", file=sys.stderr)
    return 0


def _report(con: Any, f: Filters, args: argparse.Namespace) -> pd.DataFrame:
    params = f.params()
    if args.report == "summary":
        return path_reports.path_summary(con, **params, transform=args.transform, drop_channel=args.drop_channel)
    if args.report == "time-lag":
        edges = args.bands or path_reports.DEFAULT_DAY_EDGES
        rows = path_reports.time_lag(con, **params, day_edges=edges)
        labels = path_reports.time_lag_labels(edges)
    else:
        edges = args.bands or path_reports.DEFAULT_TOUCH_EDGES
        rows = path_reports.path_length(con, **params, touch_edges=edges)
        labels = path_reports.path_length_labels(edges)
    if args.by_month:
        return rows
    return path_reports.rollup(rows, labels)
