"""What several commands share, defined once: adding a command's parser, --db, a YYYY-MM-DD date,
the deal filters, the touch window (--lookback-days, --scope) and a table's output (--format
csv|json, --out)."""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from closedloop import db
from closedloop.cli import HELP
from closedloop.filters import DEFAULT_LOOKBACK_DAYS, SCOPES, Filters

# Without --from / --to, a command over "all time" takes every closed deal in the database.
ALL_FROM, ALL_TO = date(1900, 1, 1), date(2999, 12, 31)

DB_HELP = "database (default $CLOSEDLOOP_DB or data/closedloop.duckdb)"


def add_command(subparsers: Any, name: str, run: Callable[..., int]) -> argparse.ArgumentParser:
    """The parser of command `name`, which runs `run(args)`: its line in `--help` is its entry in
    closedloop.cli.COMMANDS, its description `run`'s docstring."""
    p: argparse.ArgumentParser = subparsers.add_parser(name, help=HELP[name], description=inspect.getdoc(run))
    p.set_defaults(func=run)
    return p


def add_db(p: argparse.ArgumentParser, help: str = DB_HELP) -> None:
    p.add_argument("--db", type=Path, default=None, help=help)


def db_path(args: argparse.Namespace) -> Path:
    """--db, else the database the app serves ($CLOSEDLOOP_DB, else data/closedloop.duckdb)."""
    return Path(args.db) if args.db else db.default_db_path()


def iso_date(value: str) -> date:
    """An argparse type for a YYYY-MM-DD option."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a date looks like 2026-03-31, got {value!r}") from None


def add_period(p: argparse.ArgumentParser, when: str = "", all_time: bool = False) -> None:
    """--from and --to (YYYY-MM-DD, inclusive, on the close date); `when` heads each help, and
    `all_time` says that without them the period is all time."""
    default = "; default: all time" if all_time else ""
    p.add_argument(
        "--from",
        dest="date_from",
        type=iso_date,
        metavar="DATE",
        help=f"{when}period start, inclusive (YYYY-MM-DD, on the close date{default})",
    )
    p.add_argument(
        "--to", dest="date_to", type=iso_date, metavar="DATE", help=f"{when}period end, inclusive (YYYY-MM-DD{default})"
    )


def add_deal_filters(p: argparse.ArgumentParser, when: str = "") -> None:
    """--segment, --region, --owner; `when` heads each help ("without --review: ")."""
    p.add_argument("--segment", help=f"{when}only deals of accounts in this segment")
    p.add_argument("--region", help=f"{when}only deals of accounts in this region")
    p.add_argument("--owner", help=f"{when}only deals of this owner")


def filters(args: argparse.Namespace, all_time: bool = False) -> Filters:
    """The command's one Filters value from --from / --to (ISO text or dates), the deal filters,
    --lookback-days and --scope; an option left out (or that the command lacks) takes its default,
    and with `all_time` a missing --from / --to means every closed deal."""
    opt = vars(args)
    lookback = opt.get("lookback_days")
    return Filters.of(
        opt.get("date_from") or (ALL_FROM if all_time else None),
        opt.get("date_to") or (ALL_TO if all_time else None),
        opt.get("segment"),
        opt.get("region"),
        opt.get("owner"),
        DEFAULT_LOOKBACK_DAYS if lookback is None else lookback,
        opt.get("scope") or "account",
    )


def add_lookback(p: argparse.ArgumentParser, when: str = "", default: int | None = DEFAULT_LOOKBACK_DAYS) -> None:
    p.add_argument(
        "--lookback-days",
        type=int,
        default=default,
        help=f"{when}touches from N days before the deal's creation (default {DEFAULT_LOOKBACK_DAYS})",
    )


def add_scope(p: argparse.ArgumentParser, when: str = "", default: str | None = "account") -> None:
    p.add_argument(
        "--scope",
        choices=SCOPES,
        default=default,
        help=f"{when}touches of the deal's account (default) or only of its contacts",
    )


def add_booking(p: argparse.ArgumentParser, help: str) -> None:
    """--booking: credit booked on the deal's close date (default) or the touch's date."""
    from closedloop.engine.spend import BOOKINGS

    p.add_argument("--booking", choices=BOOKINGS, default="close", help=help)


def add_output(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    p.add_argument("--out", type=Path, help="write to this file instead of standard output")


def write_table(df: pd.DataFrame, fmt: str, out: Path | None, date_format: str | None = None) -> None:
    """A table as JSON records or CSV (formulas neutralised: a CSV is opened in spreadsheets), to
    `out` or standard output; writing a file says so on standard error."""
    from closedloop import export

    if fmt == "json":
        text = df.to_json(orient="records", indent=2, date_format=date_format) + "\n"
    else:
        text = export.safe_frame(df).to_csv(index=False)
    if out is None:
        sys.stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"Wrote {len(df)} rows to {out}", file=sys.stderr)
