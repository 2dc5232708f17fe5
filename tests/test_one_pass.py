"""Issue 13: each page's data takes one pass of each query per rerun. Every page of the
navigation runs in an AppTest on the fixture with the query layer counted: no named query runs
twice with the same parameters in one run of the page (a repeat is work thrown away; the same
question with other parameters, e.g. lift per dimension, is a different question)."""

from __future__ import annotations

from collections import Counter

import pytest
from helpers import run_page

from closedloop import db
from ui.nav import PAGES


def _key(name: str, params: dict) -> tuple[str, str]:
    return name, repr(sorted((k, repr(v)) for k, v in params.items()))


@pytest.mark.parametrize("page", [p.path for p in PAGES])
def test_a_page_runs_each_query_once_per_rerun(page, app_db, monkeypatch):
    runs: Counter[tuple[str, str]] = Counter()
    real = db.run

    def counting(con, name, **params):
        runs[_key(name, params)] += 1
        return real(con, name, **params)

    monkeypatch.setattr(db, "run", counting)
    at = run_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert runs, f"{page} ran no named query: the counter is not in the page's path"
    repeated = {name: n for (name, _), n in runs.items() if n > 1}
    assert repeated == {}, f"{page} ran these queries more than once with the same parameters: {repeated}"
