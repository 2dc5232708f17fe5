"""The team load test (issue 12): N browser sessions use one dashboard at once.

Every session is its own headless Chromium context (its own Streamlit session) on the dashboard served
by `streamlit run` on 127.0.0.1. Together they open every page while they save retrospective notes on
the deal explorer and verdicts in a saved review meeting, and one of them imports two files from the
Data page. Afterwards the database is read back:

- page errors: a Streamlit exception box, or a traceback in the server's log;
- notes and verdicts: each has a unique comment. Shown as saved → stored exactly once; shown as not
  saved → not stored; shown as neither (or as both) → a failure;
- the import: committed (import_log, and its deals readable).

Bounded: a fixed plan per session (pages, notes, verdicts), a timeout on every browser action, and a
deadline on the whole run. Localhost only; Playwright drives Debian's chromium and never downloads one.

    python tests/loadtest.py --sessions 25            # make loadtest
    python tests/loadtest.py --sessions 10 --pages 4  # what `make test` runs (tests/test_loadtest.py)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from closedloop import db, sample  # noqa: E402
from closedloop.filters import Filters  # noqa: E402
from closedloop.meeting import reviews  # noqa: E402
from ui.nav import PAGES  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from appserver import CHROMIUM_FLAGS, start  # noqa: E402

REVIEW = "Load test review"
LOG_PATTERNS = (
    "Traceback",
    "ConnectionException",
    "Connection already closed",
    "different configuration",
    "TransactionException",
)
IMPORT_ACCOUNTS = (
    "account_id,name,industry,segment,region,employees\n"
    "LT-A1,Loadtest One,Software,SMB,EMEA,10\nLT-A2,Loadtest Two,Retail,SMB,NA,20\n"
)
IMPORT_DEALS = (
    "deal_id,account_id,name,owner,created_at,closed_at,stage,outcome,amount\n"
    "LT-D1,LT-A1,Loadtest deal 1,Lee,2026-01-05,2026-02-01,closed_won,won,1000\n"
    "LT-D2,LT-A2,Loadtest deal 2,Lee,2026-01-06,2026-02-02,closed_lost,lost,2000\n"
    "LT-D3,LT-A1,Loadtest deal 3,Lee,2026-01-07,2026-02-03,closed_won,won,3000\n"
)


@dataclass
class Result:
    sessions: int
    pages_per_session: int
    seconds: float = 0.0
    page_loads: int = 0
    page_seconds_median: float = 0.0
    page_seconds_p95: float = 0.0
    page_seconds_max: float = 0.0
    save_seconds_median: float = 0.0
    save_seconds_max: float = 0.0
    page_errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    log_problems: dict[str, int] = field(default_factory=dict)
    notes_sent: int = 0
    notes_shown_saved: int = 0
    notes_shown_not_saved: int = 0
    notes_shown_neither: int = 0
    notes_found: int = 0
    notes_lost: int = 0
    notes_duplicated: int = 0
    notes_stored_but_refused: int = 0
    verdicts_sent: int = 0
    verdicts_shown_saved: int = 0
    verdicts_shown_not_saved: int = 0
    verdicts_shown_neither: int = 0
    verdicts_found: int = 0
    verdicts_lost: int = 0
    verdicts_duplicated: int = 0
    verdicts_stored_but_refused: int = 0
    import_shown: str = ""
    import_committed: bool = False
    unfinished_sessions: int = 0

    def failures(self) -> list[str]:
        out = []
        for name in (
            "page_errors",
            "notes_lost",
            "notes_duplicated",
            "notes_stored_but_refused",
            "notes_shown_neither",
            "verdicts_lost",
            "verdicts_duplicated",
            "verdicts_stored_but_refused",
            "verdicts_shown_neither",
            "unfinished_sessions",
        ):
            if getattr(self, name):
                out.append(f"{name} = {getattr(self, name)}")
        out += [f"server log: {n} × {what}" for what, n in self.log_problems.items() if n]
        if not self.import_committed:
            out.append(f"the Data-page import did not commit (page said: {self.import_shown or 'nothing'})")
        if self.notes_found != self.notes_shown_saved:
            out.append(f"{self.notes_shown_saved} notes shown as saved, {self.notes_found} found")
        if self.verdicts_found != self.verdicts_shown_saved:
            out.append(f"{self.verdicts_shown_saved} verdicts shown as saved, {self.verdicts_found} found")
        return out


def chromium() -> str | None:
    return os.environ.get("CLOSEDLOOP_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def prepare(db_path: Path, deals: int) -> list[str]:
    """A sample database with a saved review; returns closed deal ids to write notes on."""
    sample.generate(db_path, deals=deals, seed=42, progress=False)
    con = db.connect(db_path, read_only=False)
    try:
        first, last = con.execute(
            "select min(closed_at)::date, max(closed_at)::date from deals where outcome <> 'open'"
        ).fetchone()
        ids = [
            r[0]
            for r in con.execute(
                "select deal_id from deals where outcome <> 'open' order by amount desc nulls last, deal_id limit 40"
            ).fetchall()
        ]
    finally:
        con.close()
    reviews.create_review(db_path, REVIEW, Filters(first, last), selection="largest", largest_n=12)
    return ids


def serve(db_path: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """The dashboard on a free port, its output in `log_path`."""
    with log_path.open("w") as log:
        try:
            return start(db_path, output=log)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}{log_path.read_text()[-2000:]}") from None


class Session:
    def __init__(self, n: int, context, url: str, result: Result, timeout_ms: int) -> None:
        self.n, self.context, self.url, self.result, self.timeout = n, context, url, result, timeout_ms
        self.notes: dict[str, str] = {}  # comment -> saved / not saved / neither
        self.page_times: list[float] = []  # from navigation to the run's end
        self.save_times: list[float] = []  # from the click to the page saying saved / not saved
        self.verdicts: dict[str, str] = {}

    async def settle(self, page, title: str) -> None:
        """Wait for the page's title, then for Streamlit to finish the run; count exceptions."""
        await page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=self.timeout)
        await page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=self.timeout
        )
        await page.wait_for_timeout(300)
        await page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=self.timeout
        )
        self.result.page_loads += 1
        boxes = page.locator('[data-testid="stException"]')
        if await boxes.count():
            self.result.page_errors += 1
            if len(self.result.error_samples) < 5:
                self.result.error_samples.append((await boxes.first.inner_text())[:500])

    async def visit(self, page, spec) -> None:
        """Open a page the way a person does: its link in the sidebar (no reload of the app), or its URL
        when the session has no page open yet."""
        if not self.page_times:
            await self.open(page, f"/{spec.url_path}", spec.title)
            return
        started = time.monotonic()
        nav = page.locator('[data-testid="stSidebarNav"]')
        await nav.get_by_role("link", name=spec.title, exact=True).click(timeout=self.timeout)
        await self.settle(page, spec.title)
        self.page_times.append(time.monotonic() - started)

    async def open(self, page, path: str, title: str) -> None:
        started = time.monotonic()
        await page.goto(self.url + path, timeout=self.timeout)
        await self.settle(page, title)
        self.page_times.append(time.monotonic() - started)

    async def outcome(self, page, saved_text: str) -> str:
        """'saved' when the page says so, 'not saved' for an error box, 'neither' when it says nothing."""
        started = time.monotonic()
        try:
            return await self._outcome(page, saved_text)
        finally:
            self.save_times.append(time.monotonic() - started)

    async def _outcome(self, page, saved_text: str) -> str:
        saved = page.get_by_text(saved_text).first
        refused = page.locator('[data-testid="stAlertContentError"], [data-testid="stException"]').first
        deadline = time.monotonic() + self.timeout / 1000
        while time.monotonic() < deadline:
            if await saved.count() and await saved.is_visible():
                return "saved"
            if await refused.count():
                return "not saved"
            await page.wait_for_timeout(200)
        return "neither"

    async def note(self, page, deal_id: str, k: int) -> None:
        comment = f"loadtest note s{self.n} n{k} on {deal_id}"
        await self.open(page, f"/deal?deal={quote(deal_id)}", "Deal explorer")
        form = page.locator('[data-testid="stForm"]').first
        await form.locator("textarea").fill(comment)
        await form.get_by_role("button", name="Save note").click()
        self.notes[comment] = await self.outcome(page, "Saved the marketing team's verdict")

    async def verdict(self, page, step: int, k: int) -> None:
        team = ("marketing", "sales")[self.n % 2]
        comment = f"loadtest verdict s{self.n} v{k} {team}"
        await self.open(page, f"/meeting?review={quote(REVIEW)}&step={step}", "Review meeting")
        form = page.locator('[data-testid="stForm"]').filter(has_text=f"Save the {team} verdict")
        await form.get_by_text("Helpful", exact=True).click()
        await form.locator("textarea").fill(comment)
        await form.get_by_role("button", name=f"Save the {team} verdict").click()
        self.verdicts[comment] = await self.outcome(page, f"Saved the {team} verdict")

    async def import_files(self, page, files: list[Path]) -> None:
        await self.open(page, "/import-data", "Data")
        await page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(f) for f in files])
        await page.get_by_text("No problems found").wait_for(timeout=self.timeout)
        await page.get_by_role("button", name="Import", exact=True).click()
        done = page.locator('[data-testid="stAlertContentSuccess"], [data-testid="stAlertContentError"]').filter(
            has_text="row(s) read"
        )
        await done.first.wait_for(timeout=self.timeout * 2)
        self.result.import_shown = (await done.first.inner_text())[:300]

    async def run(self, plan: list[tuple], files: list[Path]) -> None:
        page = await self.context.new_page()
        page.set_default_timeout(self.timeout)
        for step in plan:
            kind, *args = step
            if kind == "page":
                await self.visit(page, *args)
            elif kind == "note":
                await self.note(page, *args)
            elif kind == "verdict":
                await self.verdict(page, *args)
            elif kind == "import":
                await self.import_files(page, files)
        await page.close()


def plan_for(n: int, pages_per_session: int, notes: int, verdicts: int, deal_ids: list[str]) -> list[tuple]:
    """Session n: `pages_per_session` pages (rotating, so the sessions together open every page), its
    notes and verdicts in between; session 0 also imports."""
    pages = [("page", PAGES[(n + j) % len(PAGES)]) for j in range(pages_per_session)]
    writes = [("note", deal_ids[(n * notes + k) % len(deal_ids)], k) for k in range(notes)]
    writes += [("verdict", 1 + (n + k) % 12, k) for k in range(verdicts)]
    if n == 0:
        writes.insert(0, ("import",))
    plan: list[tuple] = []
    while pages or writes:
        if pages:
            plan.append(pages.pop(0))
        if writes:
            plan.append(writes.pop(0))
    return plan


async def drive(
    url: str,
    sessions: int,
    pages_per_session: int,
    notes: int,
    verdicts: int,
    deal_ids: list[str],
    files: list[Path],
    result: Result,
    deadline_s: float,
    timeout_ms: int,
) -> list[Session]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), headless=True, args=CHROMIUM_FLAGS)
        try:
            contexts = [await browser.new_context(viewport={"width": 1200, "height": 800}) for _ in range(sessions)]
            runners = [Session(n, contexts[n], url, result, timeout_ms) for n in range(sessions)]
            tasks = [
                asyncio.create_task(r.run(plan_for(r.n, pages_per_session, notes, verdicts, deal_ids), files))
                for r in runners
            ]
            done, pending = await asyncio.wait(tasks, timeout=deadline_s)
            for t in pending:
                t.cancel()
            result.unfinished_sessions = len(pending)
            for t in done:
                if t.exception() is not None:
                    result.unfinished_sessions += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(f"session failed: {str(t.exception())[:300]}")
            return runners
        finally:
            await browser.close()


def timings(runners: list[Session], result: Result) -> None:
    import statistics

    pages = sorted(t for r in runners for t in r.page_times)
    saves = sorted(t for r in runners for t in r.save_times)
    if pages:
        result.page_seconds_median = round(statistics.median(pages), 2)
        result.page_seconds_p95 = round(pages[min(len(pages) - 1, int(0.95 * len(pages)))], 2)
        result.page_seconds_max = round(pages[-1], 2)
    if saves:
        result.save_seconds_median = round(statistics.median(saves), 2)
        result.save_seconds_max = round(saves[-1], 2)


def check(db_path: Path, runners: list[Session], result: Result) -> None:
    con = db.connect(db_path)
    try:

        def count(text: str) -> int:
            return con.execute("select count(*) from retro_notes where text = $t", {"t": text}).fetchone()[0]

        for kind, attr in (("notes", "notes"), ("verdicts", "verdicts")):
            for r in runners:
                for text, shown in getattr(r, attr).items():
                    n = count(text)
                    setattr(result, f"{kind}_sent", getattr(result, f"{kind}_sent") + 1)
                    key = {"saved": "shown_saved", "not saved": "shown_not_saved", "neither": "shown_neither"}[shown]
                    setattr(result, f"{kind}_{key}", getattr(result, f"{kind}_{key}") + 1)
                    setattr(result, f"{kind}_found", getattr(result, f"{kind}_found") + min(n, 1))
                    if shown == "saved" and n == 0:
                        setattr(result, f"{kind}_lost", getattr(result, f"{kind}_lost") + 1)
                    if n > 1:
                        setattr(result, f"{kind}_duplicated", getattr(result, f"{kind}_duplicated") + n - 1)
                    if shown != "saved" and n:
                        setattr(result, f"{kind}_stored_but_refused", getattr(result, f"{kind}_stored_but_refused") + 1)
        imported = con.execute("select count(*) from deals where deal_id like 'LT-D%'").fetchone()[0]
        logged = con.execute("select count(*) from import_log where files like '%deals.csv%'").fetchone()[0]
        result.import_committed = imported == 3 and logged == 1
    finally:
        con.close()


def run(
    sessions: int = 10,
    pages_per_session: int = len(PAGES),
    notes: int = 2,
    verdicts: int = 1,
    deals: int = 300,
    deadline_s: float = 600,
    timeout_ms: int = 120_000,
    workdir: Path | None = None,
) -> Result:
    if chromium() is None:
        raise RuntimeError("No chromium: install Debian's chromium or set CLOSEDLOOP_CHROMIUM.")
    own = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="closedloop-load-")) if own else workdir
    try:
        db_path = workdir / "load.duckdb"
        deal_ids = prepare(db_path, deals)
        files = [workdir / "accounts.csv", workdir / "deals.csv"]
        files[0].write_text(IMPORT_ACCOUNTS)
        files[1].write_text(IMPORT_DEALS)
        result = Result(sessions=sessions, pages_per_session=pages_per_session)
        log_path = workdir / "streamlit.log"
        proc, url = serve(db_path, log_path)
        started = time.monotonic()
        try:
            runners = asyncio.run(
                drive(
                    url, sessions, pages_per_session, notes, verdicts, deal_ids, files, result, deadline_s, timeout_ms
                )
            )
        finally:
            result.seconds = round(time.monotonic() - started, 1)
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        log = log_path.read_text(errors="replace")
        result.log_problems = {p: log.count(p) for p in LOG_PATTERNS}
        if any(result.log_problems.values()) and len(result.error_samples) < 5:
            result.error_samples.append("server log: " + log[-1500:])
        timings(runners, result)
        check(db_path, runners, result)
        return result
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=25, help="browser sessions at once (default 25)")
    p.add_argument("--pages", type=int, default=len(PAGES), help=f"pages each session opens (default all {len(PAGES)})")
    p.add_argument("--notes", type=int, default=2, help="notes each session saves (default 2)")
    p.add_argument("--verdicts", type=int, default=1, help="review verdicts each session saves (default 1)")
    p.add_argument("--deals", type=int, default=300, help="deals in the sample database (default 300)")
    p.add_argument("--deadline", type=float, default=1200, help="seconds the whole run may take (default 1200)")
    p.add_argument("--timeout", type=float, default=120, help="seconds one page load or save may take (default 120)")
    args = p.parse_args(argv)
    result = run(
        args.sessions, args.pages, args.notes, args.verdicts, args.deals, args.deadline, int(args.timeout * 1000)
    )
    print(json.dumps(asdict(result), indent=2))
    failures = result.failures()
    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    if not failures:
        print(
            f"OK: {result.sessions} sessions, {result.page_loads} page loads, {result.notes_found} notes and "
            f"{result.verdicts_found} verdicts stored once each, the import committed, in {result.seconds:.0f} s.",
            file=sys.stderr,
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
