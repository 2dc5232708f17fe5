"""`python -m closedloop report ...`: the meeting pack of a saved review, or of a period's closed
deals, as HTML or PDF (docs/review-meeting.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from closedloop import db
from closedloop.cli import options
from closedloop.meeting import reviews

DEFAULT_MAX_DEAL_PAGES = 50  # closedloop.meeting.report.DEFAULT_MAX_DEAL_PAGES (not imported: it loads altair)


class _Progress:
    """Progress on standard error: one line redrawn in place on a terminal, else a line per 10%."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last: tuple[str, int] | None = None

    def __call__(self, done: int, total: int, what: str) -> None:
        if self.quiet or total == 0:
            return
        tenth = done * 10 // total
        if self.tty:
            end = "\n" if done == total else ""
            print(f"\r{what}: {done:,} of {total:,}", end=end, file=sys.stderr, flush=True)
        elif (what, tenth) != self.last and (done == 0 or done == total or tenth != (done - 1) * 10 // total):
            print(f"{what}: {done:,} of {total:,}", file=sys.stderr, flush=True)
        self.last = (what, tenth)

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)


def register(subparsers: Any) -> None:
    p = options.add_command(subparsers, "report", run_report)
    options.add_db(p)
    p.add_argument("--review", metavar="NAME", help="a saved review's name (as on the Review meeting page)")
    options.add_period(p, when="without --review: ")
    p.add_argument(
        "--select",
        choices=list(reviews.SELECTIONS),
        default=None,
        help="without --review: which closed deals (default all; largest takes --top, picked takes --deal)",
    )
    p.add_argument(
        "--top",
        type=int,
        metavar="N",
        help=f"with --select largest: how many deals (default {reviews.DEFAULT_LARGEST_N})",
    )
    p.add_argument("--deal", action="append", metavar="ID", help="with --select picked: a deal's ID (repeat)")
    p.add_argument(
        "--model",
        choices=reviews.REVIEW_MODELS,
        default=None,
        help=f"without --review: the credit model (default {reviews.DEFAULT_MODEL})",
    )
    options.add_deal_filters(p, when="without --review: ")
    options.add_lookback(p, when="without --review: ", default=None)
    options.add_scope(p, when="without --review: ", default=None)
    p.add_argument(
        "--format",
        choices=("html", "pdf"),
        default=None,
        help="html (one self-contained file) or pdf; default: from --out's suffix, else html",
    )
    p.add_argument("--out", type=Path, required=True, help="the file to write")
    p.add_argument(
        "--notes-csv",
        type=Path,
        metavar="FILE",
        help="also write every note and verdict of the review to this CSV file",
    )
    p.add_argument(
        "--max-deal-pages",
        type=int,
        metavar="N",
        default=None,
        help="write a deal's page (timeline, credit, notes) for at most N deals of the agenda, in its "
        f"order (default {DEFAULT_MAX_DEAL_PAGES}); the agenda table lists them all",
    )
    p.add_argument("--quiet", action="store_true", help="no progress on standard error")


PERIOD_ONLY = (
    "date_from",
    "date_to",
    "select",
    "top",
    "deal",
    "model",
    "segment",
    "region",
    "owner",
    "lookback_days",
    "scope",
)


def run_report(args: argparse.Namespace) -> int:
    """Write the meeting pack of a saved review (--review NAME) or of the deals closed in a period
    (--from DATE --to DATE): KPIs, attribution and lift charts, each deal's timeline with the teams'
    verdicts and notes, and the agreement summary. See docs/review-meeting.md."""
    from closedloop.meeting import report

    fmt = args.format or ("pdf" if args.out.suffix.lower() == ".pdf" else "html")
    if args.review is not None:
        given = [name for name in PERIOD_ONLY if getattr(args, name) not in (None, [])]
        if given:
            flags = ", ".join("--" + g.replace("date_", "").replace("_", "-") for g in given)
            raise ValueError(
                f"A saved review keeps its own period, deals and model; drop {flags} or leave out --review."
            )
    elif args.date_from is None or args.date_to is None:
        raise ValueError("Give --review NAME, or a period with both --from and --to.")
    max_pages = DEFAULT_MAX_DEAL_PAGES if args.max_deal_pages is None else args.max_deal_pages
    if max_pages < 0:
        raise ValueError(f"--max-deal-pages must be 0 or more, got {max_pages}.")
    progress = _Progress(args.quiet)
    path = options.db_path(args)
    con = db.connect(path, read_only=True)
    try:
        progress.say("Gathering the agenda, the figures and the charts…")
        if args.review is not None:
            pack = report.build_pack(con, args.review, max_deal_pages=max_pages, progress=progress)
        else:
            f = options.filters(args)
            pack = report.build_pack(
                con,
                filters=f,
                selection=args.select or "all",
                largest_n=args.top,
                deal_ids=args.deal,
                model=args.model or reviews.DEFAULT_MODEL,
                max_deal_pages=max_pages,
                progress=progress,
            )
    finally:
        con.close()
    if pack.deal_pages_note:
        print(pack.deal_pages_note.replace("`", ""), file=sys.stderr)
    progress.say(f"Writing the {fmt.upper()}…")
    data = report.render(pack, fmt, progress)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    pages = f", {report.pdf_page_count(data)} pages" if fmt == "pdf" else ""
    verdicts = int(pack.notes["verdict"].notna().sum())
    paged = "" if not pack.deal_pages_note else f", {len(pack.deals)} with a page"
    print(f"Wrote {args.out} ({fmt}{pages}): {len(pack.agenda.rows)} deals{paged}, {verdicts} notes.")
    if args.notes_csv:
        args.notes_csv.parent.mkdir(parents=True, exist_ok=True)
        args.notes_csv.write_bytes(report.notes_csv(pack))
        print(f"Wrote {args.notes_csv}: {len(pack.notes)} notes and verdicts.", file=sys.stdout)
    return 0
