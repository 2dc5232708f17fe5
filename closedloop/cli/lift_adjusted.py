"""`python -m closedloop lift --adjusted ...`: the Touchpoint lift page's "Adjusted for the account"
table on the command line (docs/attribution.md, "Lift adjusted for the account")."""

from __future__ import annotations

import argparse
import sys

from closedloop import db
from closedloop.cli import options
from closedloop.filters import Filters
from closedloop.pages import lift_adjusted


def run_adjusted(args: argparse.Namespace, f: Filters) -> int:
    edges = args.size_bands if args.size_bands is not None else lift_adjusted.DEFAULT_BAND_EDGES
    con = db.connect(options.db_path(args))
    try:
        v = lift_adjusted.adjusted_view(con, f, dimension=args.by, band_edges=edges)
    finally:
        con.close()
    options.write_table(v.table.round(6), args.format, args.out)
    if not v.closed_deals:
        print("No deals closed in this period with these filters: nothing to compare.", file=sys.stderr)
        return 0
    if v.empty:
        print(
            f"No deal closed in this period ({v.closed_deals:,} closed) had a touch with a "
            f"{args.by.replace('_', ' ')} in its window: nothing to compare.",
            file=sys.stderr,
        )
        return 0
    thin = int(v.table["thin"].sum())
    print(
        f"{v.closed_deals:,} closed deals in strata of segment x region x deal size "
        f"({', '.join(v.band_labels)}); {len(v.table)} keys"
        + (
            f", {thin} with fewer than {lift_adjusted.MIN_DEALS_PER_STRATUM} deals per stratum on the smaller side"
            if thin
            else ""
        )
        + ".",
        file=sys.stderr,
    )
    for s in v.sentences:
        print(s, file=sys.stderr)
    return 0
