"""Starting the dashboard for a browser: `streamlit run dashboard.py` on a free local port against a
database, waited for until healthy. The browser tests (conftest.serve_app), the load test
(tests/loadtest.py) and scripts/screenshots.py share it, with headless Chromium's flags."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
HEALTHY_WITHIN_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(
    db_path: str | Path, output: IO[bytes] | int | None = subprocess.PIPE, env_extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """The running server and its base URL, once /_stcore/health answers (RuntimeError after
    HEALTHY_WITHIN_S seconds, or at once when streamlit exits; its last output in the message
    when `output` is a pipe). `env_extra`: more environment (CLOSEDLOOP_ENGINE=spark ...). Stop it
    with `stop(proc)`."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard.py"),
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env={**os.environ, "CLOSEDLOOP_DB": str(db_path), **(env_extra or {})},
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + HEALTHY_WITHIN_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            said = proc.stdout.read().decode()[-2000:] if proc.stdout else ""
            raise RuntimeError(f"streamlit exited: {said}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"streamlit did not become healthy within {HEALTHY_WITHIN_S} s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
