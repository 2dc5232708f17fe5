"""Small helpers the tests share (fixtures are in conftest.py, the hand-built data in fixture.py)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from closedloop.filters import Filters

if TYPE_CHECKING:
    import pytest
    from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def run_page(page: str, /, **query: str) -> AppTest:
    """Run one app file (`views/NAME.py`, relative to the repository) in an AppTest, opened with
    these query parameters, in their order."""
    from streamlit.testing.v1 import AppTest  # only the page tests load Streamlit

    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def generated_sample(tmp_path_factory: pytest.TempPathFactory, folder: str, deals: int, seed: int) -> Path:
    """A generated sample database (closedloop.sample) of `deals` deals from `seed`, in a new
    temporary folder named after `folder`."""
    from closedloop import sample

    path = tmp_path_factory.mktemp(folder) / "sample.duckdb"
    sample.generate(path, deals=deals, seed=seed, progress=False)
    return path


# --- the import tests -----------------------------------------------------------------------------
# the header of a deals file in the canonical mapping's columns, and one good row of it
HEADER = "deal_id,account_id,name,owner,created_at,closed_at,stage,outcome,amount\n"
GOOD = "D20,A1,New deal,Alice,2026-04-01,2026-05-01,closed_won,won,1000\n"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """A file `name` in `tmp_path` holding `content` (text is written as UTF-8)."""
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return p


def checksums(path: Path) -> dict:
    """A checksum of every table of the database at `path`, opened read-only."""
    import duckdb

    from closedloop.importer.load import table_checksums

    con = duckdb.connect(str(path), read_only=True)
    try:
        return table_checksums(con)
    finally:
        con.close()


def refused(fixture_db: Path, files: list[Path], mapping: str = "canonical", on_error: str = "fail"):
    """Import, assert it was refused and changed nothing; return the problems."""
    import duckdb

    from closedloop.importer import import_files
    from closedloop.importer.load import table_checksums

    con = duckdb.connect(str(fixture_db))
    before = table_checksums(con)
    result = import_files(con, files, mapping, on_error=on_error)
    after = table_checksums(con)
    con.close()
    assert not result.ok
    assert before == after
    return result.report.problems


def opened(at: AppTest, title: str) -> AppTest:
    """`at`, asserting that its page ran without an exception and is the page titled `title`."""
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == title
    return at


def run_with(at: AppTest, **query: str) -> AppTest:
    """Run an AppTest again with these query parameters set, in their order, asserting that the
    page raised nothing."""
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def random_journeys(rng: random.Random, most: int, draw: Callable[[], tuple[str, ...]], counts: int) -> list:
    """1 to `most` random rows (draw(), conversions, non-conversions), the counts from 0 to `counts`: the
    paths or coalitions of a brute-force check."""
    return [(draw(), rng.randint(0, counts), rng.randint(0, counts)) for _ in range(rng.randint(1, most))]


def filter_params(**changes: Any) -> dict[str, Any]:
    """The `$name` filter parameters of a filtered query, none filtering (every date, segment,
    region and owner; a 180-day lookback joined on the account: tests/test_filters.py), with
    `changes` on top."""
    return {**Filters().params(), **changes}


def period_params(**changes: Any) -> dict[str, Any]:
    """`filter_params` of the queries that name their dates `$period_from` and `$period_to` (spend,
    credit over time)."""
    params = filter_params(**changes)
    return {"period_from": params.pop("date_from"), "period_to": params.pop("date_to"), **params}
