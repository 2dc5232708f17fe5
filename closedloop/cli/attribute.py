"""`python -m closedloop attribute ...` and `python -m closedloop attribute-paths ...`
(docs/attribution.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from closedloop.cli import options
from closedloop.engine.attribution.api import compare_models, rollup
from closedloop.engine.attribution.models import (
    BY_KEYS,
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_ORDER,
    MEASURES,
    MODELS,
    PATH_MODELS,
    check_model,
    load_weights,
)
from closedloop.engine.attribution.paths import PATH_MEASURES, attribute_paths, compare_paths, read_paths
from closedloop.engine.spend import MATCHING_RULE, SPEND_MEASURES
from closedloop.filters import Filters


def register(subparsers: Any) -> None:
    a = options.add_command(subparsers, "attribute", run_attribute)
    options.add_db(a)
    a.add_argument("--model", required=True, help=f"one of {', '.join(MODELS)}, or all")
    a.add_argument("--by", choices=BY_KEYS, default="channel", help="what to credit (default channel)")
    options.add_lookback(a)
    a.add_argument(
        "--half-life-days",
        type=float,
        default=DEFAULT_HALF_LIFE_DAYS,
        help=f"time_decay half-life in days (default {DEFAULT_HALF_LIFE_DAYS:g})",
    )
    options.add_scope(a)
    a.add_argument("--order", type=int, default=DEFAULT_ORDER, help="Markov order, 1 to 4 (default 1)")
    a.add_argument("--from", dest="date_from", metavar="DATE", help="period start, inclusive (YYYY-MM-DD)")
    a.add_argument("--to", dest="date_to", metavar="DATE", help="period end, inclusive (YYYY-MM-DD)")
    a.add_argument("--weights", type=Path, help="TOML or JSON file of the custom model's weights")
    _add_measure(
        a,
        MEASURES + SPEND_MEASURES,
        "wins",
        "; a spend measure (spend, roas, cac, cost_per_lead, cost_per_opportunity, pipeline_per_spend; "
        "--by channel or campaign) reports spend and return per key instead (docs/spend.md)",
    )
    options.add_booking(a, "with a spend measure: credit booked on the close date (default) or the touch date")
    options.add_deal_filters(a)
    options.add_output(a)

    p = options.add_command(subparsers, "attribute-paths", run_attribute_paths)
    p.add_argument("--paths", type=Path, required=True, help="the path file")
    p.add_argument("--model", required=True, help=f"one of {', '.join(PATH_MODELS)}, or all")
    p.add_argument("--order", type=int, default=DEFAULT_ORDER, help="Markov order, 1 to 4 (default 1)")
    p.add_argument("--sep", default=">", help="separator between a path's channels (default '>')")
    _add_measure(p, PATH_MEASURES, "conversions")
    options.add_output(p)


def _add_measure(p: argparse.ArgumentParser, measures: Sequence[str], default: str, more: str = "") -> None:
    p.add_argument(
        "--measure",
        choices=measures,
        default=default,
        help=f"with --model all: the figure compared across models (default {default}){more}",
    )


def run_attribute(args: argparse.Namespace) -> int:
    """Attribute the database's wins, won revenue and pipeline under one model, or compare every
    model side by side with --model all. See docs/attribution.md."""
    from closedloop import db

    if args.model != "all":
        check_model(args.model)
    weights = load_weights(args.weights) if args.weights else None
    f = options.filters(args)
    if args.measure in SPEND_MEASURES:
        return _run_spend(args, f, weights)
    con = db.connect(options.db_path(args))
    try:
        if args.model == "all":
            df = compare_models(
                con,
                by=args.by,
                measure=args.measure,
                f=f,
                half_life_days=args.half_life_days,
                order=args.order,
                weights=weights,
            )
        else:
            df = rollup(
                con, args.model, by=args.by, f=f, half_life_days=args.half_life_days, order=args.order, weights=weights
            )
    finally:
        con.close()
    options.write_table(df.round(6), args.format, args.out)
    _say_when_nothing_to_credit(df, args.measure if args.model == "all" else None)
    return 0


def _run_spend(args: argparse.Namespace, f: Filters, weights: Any) -> int:
    """attribute --measure roas (or another spend measure): spend and return per channel or campaign."""
    from closedloop import db
    from closedloop.engine import spend

    params = dict(by=args.by, f=f, half_life_days=args.half_life_days, weights=weights)
    if args.model in ("markov", "all"):
        params["order"] = args.order
    con = db.connect(options.db_path(args))
    try:
        if args.model == "all":
            df = spend.compare_spend(con, args.measure, booking=args.booking, **params)
        else:
            df = spend.spend_report(con, args.model, booking=args.booking, **params)
    finally:
        con.close()
    options.write_table(df.round(6), args.format, args.out)
    print(MATCHING_RULE[args.booking], file=sys.stderr)
    if not (df["spend_usd"] > 0).any():
        print(
            "No spend recorded in the period: import spend (docs/spend.md) or give campaigns a cost.", file=sys.stderr
        )
    return 0


_NOTHING = {
    "wins": "No won deals in the period: every credit is 0.",
    "revenue": "No won revenue in the period (no won deals, or their amounts are missing or 0): "
    "every revenue credit is 0.",
    "pipeline": "No pipeline in the period (no deals, or their amounts are missing or 0): every pipeline credit is 0.",
}


def _say_when_nothing_to_credit(df: pd.DataFrame, measure: str | None) -> None:
    """A sentence on standard error when there was nothing to credit, instead of a silent table of 0s."""
    if measure is not None:  # --model all: every numeric model column is the one measure
        cols = {measure: [c for c in df.columns if c in MODELS]}
    else:
        cols = {
            m: [c] for m, c in (("wins", "attributed_wins"), ("revenue", "attributed_revenue_usd")) if c in df.columns
        }
    for m, names in cols.items():
        if names and not df[names].fillna(0).abs().to_numpy().sum() > 0:
            print(_NOTHING[m], file=sys.stderr)
            return


def run_attribute_paths(args: argparse.Namespace) -> int:
    """Attribute a file of 'path;total_conversions;total_conversion_value;total_null' rows (paths
    like 'a > b > c') under one model, or every path model with --model all."""
    if args.model != "all" and args.model not in MODELS:
        check_model(args.model, PATH_MODELS)
    paths = read_paths(args.paths, sep=args.sep)
    if args.model == "all":
        df = compare_paths(paths, measure=args.measure, order=args.order)
    else:
        df = attribute_paths(paths, args.model, order=args.order)
    options.write_table(df.round(6), args.format, args.out)
    return 0
