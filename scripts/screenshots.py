"""Screenshot every dashboard page in headless Chromium: `python scripts/screenshots.py [--db PATH] [--out DIR]`.

Serves the app on a free port against the database (default: the sample), opens each
page of ui/nav.py (plus any extra `--url path?query`), and saves one PNG per page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ui.nav import PAGES  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
import appserver  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", default=str(ROOT / "data" / "closedloop.duckdb"))
    ap.add_argument("--out", default=str(ROOT / "tests" / "artifacts" / "pages"))
    ap.add_argument("--url", action="append", default=[], help="extra page path with query, e.g. 'deal?deal=D01'")
    ap.add_argument("--width", type=int, default=1440)
    ap.add_argument("--height", type=int, default=2600, help="tall, since Streamlit scrolls inside the page")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    proc, base = appserver.start(args.db, output=subprocess.DEVNULL)
    try:
        from playwright.sync_api import sync_playwright

        targets = [("" if i == 0 else p.url_path, p.url_path) for i, p in enumerate(PAGES)]
        targets += [(u, u.replace("?", "_").replace("=", "-").replace("&", "_")) for u in args.url]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=os.environ.get("CLOSEDLOOP_CHROMIUM") or shutil.which("chromium"),
                headless=True,
                args=appserver.CHROMIUM_FLAGS,
            )
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            for path, name in targets:
                page.goto(f"{base}/{path}")
                page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=60_000)
                # let Streamlit finish the run and Vega draw
                page.wait_for_function(
                    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
                )
                page.wait_for_timeout(1500)
                page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                print(out / f"{name}.png")
            browser.close()
    finally:
        appserver.stop(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
