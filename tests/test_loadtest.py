"""The team load test at 10 sessions (tests/loadtest.py; `make loadtest` runs 25): ten browser
sessions at once open the pages, save notes and verdicts and import a file; nothing may be lost,
stored twice or end in a traceback."""

from __future__ import annotations

import pytest
from loadtest import run

pytestmark = pytest.mark.browser


def test_ten_sessions_at_once(chromium_path, tmp_path):
    # each session: 1 page (together they open every page), 1 note, 1 verdict; session 0 imports
    result = run(sessions=10, pages_per_session=1, notes=1, verdicts=1, deals=300, deadline_s=480, workdir=tmp_path)
    assert result.failures() == [], (result.failures(), result.error_samples)
    assert result.page_loads == 10 * (1 + 1 + 1) + 1
    assert (result.notes_sent, result.notes_found) == (10, 10)
    assert (result.verdicts_sent, result.verdicts_found) == (10, 10)
    assert result.import_committed
