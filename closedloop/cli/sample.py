"""`python -m closedloop sample`: the seeded sample database (docs/sample.md)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from closedloop import db
from closedloop.cli import options
from closedloop.sample import DEFAULT_DEALS, DEFAULT_SEED, DEFAULT_TOUCHES_PER_DEAL, generate


def register(subparsers: Any) -> None:
    p = options.add_command(subparsers, "sample", _main)
    p.add_argument("--deals", type=int, default=DEFAULT_DEALS, help=f"number of deals (default {DEFAULT_DEALS:,})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument("--db", type=Path, default=db.DEFAULT_DB, help="database file to write (default %(default)s)")
    p.add_argument(
        "--touches-per-deal",
        type=float,
        default=DEFAULT_TOUCHES_PER_DEAL,
        help=f"average touchpoints per deal (default {DEFAULT_TOUCHES_PER_DEAL:g})",
    )
    p.add_argument("--force", action="store_true", help="replace the database if it exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _main(args: argparse.Namespace) -> int:
    """Write a realistic, seeded B2B sample database with planted effects (docs/sample.md)."""
    if Path(args.db).exists() and not args.force:
        print(f"error: {args.db} already exists; pass --force to replace it.", file=sys.stderr)
        return 2
    started = time.monotonic()
    counts = generate(
        args.db,
        deals=args.deals,
        seed=args.seed,
        progress=not args.quiet,
        touches_per_deal=args.touches_per_deal,
        force=args.force,
    )
    summary = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    print(f"Wrote {args.db} in {time.monotonic() - started:.1f}s: {summary}")
    return 0
