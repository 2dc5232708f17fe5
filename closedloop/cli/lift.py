"""`python -m closedloop lift ...`: the Touchpoint lift page's figures on the command line
(docs/attribution.md, "Win-rate lift")."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from closedloop import db
from closedloop.cli import options
from closedloop.engine import lift
from closedloop.pages import lift as lift_view


def register(subparsers: Any) -> None:
    p = options.add_command(subparsers, "lift", run_lift)
    options.add_db(p)
    p.add_argument(
        "--by",
        choices=list(lift_view.DIMENSION_TITLES),
        default="touchpoint_type",
        help="what to compare (default touchpoint_type)",
    )
    options.add_period(p, all_time=True)
    options.add_deal_filters(p)
    options.add_lookback(p)
    options.add_scope(p)
    p.add_argument(
        "--adjusted",
        action="store_true",
        help="also the lift within strata of segment, region and deal-size band: Cochran-Mantel-Haenszel "
        "odds ratios raw and adjusted, their 95%% intervals, the counts per stratum and a sentence where "
        "the two disagree (docs/attribution.md)",
    )
    p.add_argument(
        "--size-bands",
        type=_band_edges,
        metavar="USD,USD",
        help="with --adjusted: deal amounts where a size band starts (default 25000,100000)",
    )
    options.add_output(p)


def _band_edges(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"size bands are amounts separated by commas, got {text!r}") from None


def run_lift(args: argparse.Namespace) -> int:
    """For the deals closed in a period: the win rate of those each key touched minus the win rate
    of those it did not, in percentage points, with its 95%% interval and the won and lost counts on
    both sides, largest lift first (the Touchpoint lift page's table). Summary on standard error.
    See docs/attribution.md."""
    f = options.filters(args, all_time=True)
    if args.size_bands is not None and not args.adjusted:
        raise ValueError("--size-bands needs --adjusted.")
    if args.adjusted:
        from closedloop.cli import lift_adjusted as lift_adjusted_cli

        return lift_adjusted_cli.run_adjusted(args, f)
    con = db.connect(options.db_path(args))
    try:
        v = lift_view.lift_view(con, f, dimension=args.by)
    finally:
        con.close()
    options.write_table(v.table[lift_view.COLUMNS].round(6), args.format, args.out)
    period = "all time" if args.date_from is None and args.date_to is None else f"{f.date_from} to {f.date_to}"
    title = lift_view.DIMENSION_TITLES[args.by]
    if not v.closed_deals:
        print(f"No deals closed in this period ({period}) with these filters: nothing to compare.", file=sys.stderr)
    elif v.empty:
        print(
            f"No deal closed in this period ({period}; {v.closed_deals:,} closed) had a touch with a {title} "
            "in its window: nothing to compare.",
            file=sys.stderr,
        )
    else:
        small = int(v.table["small_sample"].sum())
        print(
            f"Deals closed {period}: {v.deals_won:,} won, {v.deals_lost:,} lost "
            f"(win rate {v.deals_won / v.closed_deals:.1%}); {len(v.table)} {title} keys"
            + (f", {small} with fewer than {lift.SMALL_SAMPLE_DEALS} closed deals on a side" if small else "")
            + ".",
            file=sys.stderr,
        )
    return 0
