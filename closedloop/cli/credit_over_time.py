"""`python -m closedloop credit-over-time ...`: the Spend & return page's trend and ranks on the
command line (docs/spend.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from closedloop.cli import options
from closedloop.engine.attribution.models import BY_KEYS, DEFAULT_HALF_LIFE_DAYS, MODELS, RULE_MODELS, load_weights
from closedloop.engine.spend import GRAINS, MATCHING_RULE


def register(subparsers: Any) -> None:
    p = options.add_command(subparsers, "credit-over-time", run)
    options.add_db(p)
    p.add_argument("--model", default="linear", help=f"one of {', '.join(RULE_MODELS)} (default linear)")
    p.add_argument("--by", choices=BY_KEYS, default="channel", help="what to credit (default channel)")
    p.add_argument("--grain", choices=GRAINS, default="month", help="month (default) or quarter")
    options.add_booking(p, "book credit on the close (default) or touch")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="first period holds this date (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="last period holds this date (YYYY-MM-DD)")
    p.add_argument("--ranks", type=int, metavar="N", help="every model's ranks in the last N quarters instead")
    p.add_argument(
        "--rank-measure", choices=("wins", "revenue", "pipeline"), default="wins", help="with --ranks (default wins)"
    )
    options.add_lookback(p)
    p.add_argument("--half-life-days", type=float, default=DEFAULT_HALF_LIFE_DAYS, help="time_decay half-life")
    options.add_scope(p)
    p.add_argument("--weights", type=Path, help="TOML or JSON file of the custom model's weights")
    options.add_deal_filters(p)
    options.add_output(p)


def run(args: argparse.Namespace) -> int:
    """Credit per key and month or quarter under one rule-based model, with the spend and ROAS of
    channels and campaigns; or, with --ranks N, each key's rank under every model in the last N
    quarters up to --to. Credit is booked on the close date or the touch date (--booking). See
    docs/spend.md."""
    from closedloop import db
    from closedloop.engine import spend

    f = options.filters(args)
    common = dict(half_life_days=args.half_life_days, weights=load_weights(args.weights) if args.weights else None)
    if args.ranks is None and (args.model not in MODELS or MODELS[args.model].kind != "rule"):
        raise ValueError(f"--model must be a rule-based model ({', '.join(RULE_MODELS)}), got {args.model!r}.")
    con = db.connect(options.db_path(args))
    try:
        if args.ranks is not None:
            df = spend.ranks_over_quarters(
                con, args.ranks, args.date_to, args.by, args.rank_measure, args.booking, f=f, **common
            )
        else:
            df = spend.credit_over_time(con, args.model, args.by, args.grain, args.booking, f=f, **common)
    finally:
        con.close()
    options.write_table(df.round(6), args.format, args.out)
    print(MATCHING_RULE[args.booking].replace("month", args.grain), file=sys.stderr)
    return 0
