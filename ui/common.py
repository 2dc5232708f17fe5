"""Caching, the common filter bar and downloads for every page."""

from __future__ import annotations

import math
import re
import threading
import uuid
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from closedloop import db, export
from closedloop.filters import (
    ALL_TIME,
    MAX_LOOKBACK_DAYS,
    SCOPES,
    Filters,
    from_query_params,
    quarter_bounds,
    query_param_problems,
    to_query_params,
)

ALL = "All"
PERIOD_MODES = ["Quarter", "All time", "Custom dates"]
FILTER_PARAMS = ("quarter", "from", "to", "segment", "region", "owner", "lookback", "scope")


def db_path() -> str:
    return str(db.default_db_path())


@st.cache_resource(show_spinner=False, on_release=lambda con: db.close_shared(con.path))
def _connection(path: str) -> _Shared:
    # the process's one read-write connection, shared by every session; each query takes its own
    # cursor (db.run), and writes are short transactions on a cursor (db.in_transaction)
    shared = _Shared(path, db.open_shared(path))
    _use_engine(shared.con)
    return shared


def _use_engine(con: duckdb.DuckDBPyConnection) -> None:
    """CLOSEDLOOP_ENGINE=spark: the data questions go to Spark (closedloop/engine), what the app
    writes stays in the DuckDB file `con` (docs/scale-out.md)."""
    from closedloop.engine import EngineSettings, open_engine

    settings = EngineSettings.from_env()
    if settings.engine != "duckdb":
        db.use_engine(open_engine(settings, con))


# Core modules whose functions read what the app writes (notes, verdicts, reviews); a note saved
# re-reads only these, an import re-reads everything (tests/test_team_use.py keeps the list true).
NOTE_READERS = (
    "closedloop.pages.deal_explorer",
    "closedloop.meeting.notes",
    "closedloop.meeting.reviews",
    "closedloop.meeting.report",
    "closedloop.importer",
)
NOTE_WRITERS = ("closedloop.meeting.notes", "closedloop.meeting.reviews")


class _Shared:
    """The shared connection and two write counters (the data's, and the notes'): a write bumps
    them, and `call`'s cache key holds them, so every session reads again after a write (a
    cursor's transaction sees only committed data). The app holds the file read-write, so no
    other program can change it while it runs."""

    def __init__(self, path: str, con: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self.con = con
        self.data = 0
        self.notes = 0
        self._lock = threading.Lock()

    def bump(self, notes_only: bool) -> None:
        with self._lock:
            self.notes += 1
            if not notes_only:
                self.data += 1

    def version(self, qualname: str) -> tuple[int, int]:
        reads_notes = qualname.startswith(tuple(m + "." for m in NOTE_READERS))
        return self.data, self.notes if reads_notes else 0


def _shared() -> _Shared:
    path = db_path()
    if not Path(path).exists():
        st.error(
            f"No database at `{path}`. Build the sample with `make run` (or "
            f"`python -m closedloop sample --db {path}`), or point `CLOSEDLOOP_DB` at your database."
        )
        st.stop()
    try:
        return _connection(path)
    except db.DatabaseBusy as exc:
        st.error(str(exc))
        st.stop()
        raise


def connection() -> duckdb.DuckDBPyConnection:
    """A new cursor of the app's shared connection, for this query (or this session's work) only."""
    return db.cursor(_shared().path)


@st.cache_data(show_spinner="Crunching the numbers…", max_entries=512)
def _call(qualname: str, path: str, version: tuple[int, int], kwargs: dict[str, Any], _func: Callable[..., Any]) -> Any:
    # keyed by the function's qualified name (st.cache_data does not hash the `_func` argument:
    # hashing a function hashes its code, and a page's function is known by its name)
    cur = db.cursor(path)
    try:
        return _func(cur, **kwargs)
    finally:
        cur.close()


def call(func: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a core function on the app's database (a cursor of its own), cached per arguments.

    The key holds the data's version (_Shared.version): a write from any session of the app shows
    up on every session's next run.
    """
    shared = _shared()
    qualname = f"{func.__module__}.{func.__qualname__}"
    return _call(qualname, shared.path, shared.version(qualname), kwargs, func)


def write(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run one of the core's writers, `fn(db_path, **kwargs)`, e.g. notes.add_note.

    Inside the app the writer's connection is a cursor of the shared one (db.connect), so no
    session's connection is ever closed; every session reads again afterwards, even when the
    writer failed half-way (it rolled back, but reading again costs little).
    """
    shared = _shared()
    try:
        return fn(shared.path, **kwargs)
    finally:
        shared.bump(notes_only=fn.__module__ in NOTE_WRITERS)


def submission_id(form_key: str) -> str:
    """The idempotency key of the form `form_key` in this session: the same until the form was
    saved (`saved`), so a retry of a save that failed half-way can never store it twice."""
    key = f"_sid_{form_key}"
    if key not in st.session_state:
        st.session_state[key] = uuid.uuid4().hex
    return st.session_state[key]


def saved(form_key: str) -> None:
    """The form's submission is stored: the next one gets a new key."""
    st.session_state.pop(f"_sid_{form_key}", None)


def data_version() -> int:
    return _shared().data


def validated(files: list[Any], mapping: Any, mapping_text: str) -> Any:
    """The Data page's validation report of `files`, computed once per upload, mapping and data
    version (validating reads every row: it used to run again on every rerun of the page)."""
    from closedloop import importer  # noqa: PLC0415 (only the Data page needs it)

    ids = tuple((getattr(f, "file_id", None) or f.name, f.name, getattr(f, "size", None)) for f in files)
    key = (ids, hash(mapping_text), data_version())
    held = st.session_state.get("_validated")
    if held is not None and held[0] == key:
        return held[1]
    cur = connection()  # validate stages temp tables on its own cursor
    try:
        report = importer.validate(cur, files, mapping)
    finally:
        cur.close()
    st.session_state["_validated"] = (key, report)
    return report


def attempt(fn: Callable[..., Any], **kwargs: Any) -> tuple[Any, str | None]:
    """`write(fn, **kwargs)`, and (its result, None) when it worked, (None, why) when it did not: the
    core's own refusals (ValueError: NoteError, ReviewError, ImportFailed) and the database's."""
    try:
        return write(fn, **kwargs), None
    except ValueError as exc:  # the message says what to do
        return None, str(exc)
    except duckdb.Error as exc:
        return None, (f"the database refused the write ({str(exc).splitlines()[0]}); nothing was stored, try again")


def save(fn: Callable[..., Any], form_key: str, **kwargs: Any) -> tuple[Any, str | None]:
    """Save a form's note or verdict with `write(fn, submission_id=..., **kwargs)`, idempotently.

    Returns (what fn returned, None) when it is saved, (None, why) when it is not: the page says
    one or the other, never both. A retry of a failed save carries the same submission id, so a
    note stored by a save that failed after its commit is found, not stored twice.
    """
    result, problem = attempt(fn, submission_id=submission_id(form_key), **kwargs)
    if problem is None:
        saved(form_key)
    return result, problem and f"Not saved: {problem}"


def save_and_flash(
    fn: Callable[..., Any], form_key: str, flash_key: str, flash: str | Callable[[Any], str], **kwargs: Any
) -> None:
    """`save` a form, then say why it was not saved, or keep `flash` (or `flash(what fn returned)`) in
    `flash_key` for the page to show after the rerun that clears the form."""
    result, problem = save(fn, form_key, **kwargs)
    if problem:
        st.error(md(problem))
        return
    st.session_state[flash_key] = flash(result) if callable(flash) else flash
    st.rerun()


# What makes Markdown (and Streamlit's extensions) more than text: emphasis, code, links and images,
# HTML and <autolinks>, tables, strikethrough, :colour[...] directives, LaTeX, headings. Any ASCII
# punctuation mark can be backslash-escaped in CommonMark, and shows as itself.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#|~$@])")
# bare links GFM turns into <a> whatever is escaped (http://…, www.…, name@host.tld): shown as code
_BARE_LINK = re.compile(r"(?i)(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# a block marker at the start: "- item", "+ item", "1. item", "1) item"
_LIST_START = re.compile(r"^(\s*)([-+]|\d+(?=[.)]))")


def _code(text: str) -> str:
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md(value: Any) -> str:
    """Text from the data or the URL, made safe to put inside Markdown (st.caption, st.info, …):
    it shows as the same characters, never as a link, an image, a colour, a heading, a list or LaTeX
    (a web or mail address shows as code, not as a link). Line breaks become spaces (a new line could
    start a block)."""
    text = " ".join(("" if value is None else str(value)).splitlines())
    out, at = [], 0
    for m in _BARE_LINK.finditer(text):
        out += [_MARKDOWN.sub(r"\\\1", text[at : m.start()]), _code(m.group())]
        at = m.end()
    out.append(_MARKDOWN.sub(r"\\\1", text[at:]))
    escaped = "".join(out)
    return _LIST_START.sub(
        lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2) in "-+" else m.group(2) + "\\"), escaped
    )


def _seed(key: str, value: Any) -> None:
    """Widgets start from the URL on the first run of a session, then own their state."""
    if key not in st.session_state:
        st.session_state[key] = value


def _expected(allowed: Any, cast: Callable[[str], Any], low: Any, high: Any) -> str:
    if allowed is not None:
        values = [str(v) for v in allowed]
        return "one of " + ", ".join(values[:8]) + (" …" if len(values) > 8 else "")
    kind = "a whole number" if cast is int else "a number" if cast is float else "a value"
    if low is not None and high is not None:
        return f"{kind} from {low:g} to {high:g}"
    if low is not None:
        return f"{kind} of at least {low:g}"
    return kind


def url_note(param: str, raw: str, expected: str, default: Any) -> None:
    """Say that the link's `param` was not used, and what the page shows instead."""
    shown = raw if len(raw) <= 60 else raw[:60] + "…"
    st.warning(
        f"The link's {md(param)}={md(shown)} can't be used ({md(expected)}), so this page shows "
        f"{md(default if default not in (None, '') else 'the default')} instead.",
        icon=":material/link_off:",
    )


def url_value(
    param: str, default: Any, allowed: Any = None, cast: Callable[[str], Any] = str, low: Any = None, high: Any = None
) -> Any:
    """The URL's `param` read with `cast`, checked against `allowed` and [low, high]; `default` when
    it is absent, and `default` with a visible note when it is unreadable or out of range."""
    raw = st.query_params.get(param)
    if raw is None:
        return default
    try:
        value = cast(raw)
        ok = not (isinstance(value, float) and not math.isfinite(value))
        ok = ok and (allowed is None or value in allowed)
        ok = ok and (low is None or value >= low) and (high is None or value <= high)
    except (ValueError, TypeError, OverflowError):
        ok = False
    if ok:
        return value
    url_note(param, raw, _expected(allowed, cast, low, high), default)
    return default


def from_url(
    key: str,
    param: str,
    default: Any,
    allowed: Any = None,
    cast: Callable[[str], Any] = str,
    low: Any = None,
    high: Any = None,
) -> None:
    """Seed a page's own widget `key` from the URL's `param` on the first run of a session;
    unreadable, unknown or out-of-range values fall back to `default` with a note (url_value)."""
    if key not in st.session_state:
        st.session_state[key] = url_value(param, default, allowed, cast, low, high)


def to_url(**params: Any) -> None:
    """Write a page's own widget values into the URL, next to the common filters."""
    for name, value in params.items():
        if value is None:
            st.query_params.pop(name, None)
        else:
            st.query_params[name] = str(value)


def filter_bar(options: Any, *, show_scope: bool = True, period_label: str = "deals closed in") -> Filters:
    """The common filters in the sidebar: period, segment, region, owner (+ lookback, scope).

    Reads the URL's query parameters first and writes the chosen filters back,
    so a copied link reopens the same view. `period_label` says what the period
    selects on the page ("deals closed in", "deals created in", "leads created in").
    """
    qp = st.query_params.to_dict()
    url_filters, url_quarter = from_query_params(qp, options.default_quarter)
    all_time = qp.get("quarter") == ALL_TIME
    if "f_mode" not in st.session_state:  # the first run of the session: say what the link got wrong
        for param, raw, expected in query_param_problems(qp, options.segments, options.regions, options.owners):
            url_note(
                param, raw, expected, f"All ({param})" if param in ("segment", "region", "owner") else "the default"
            )
    quarters = (
        options.quarters if url_quarter is None or url_quarter in options.quarters else [url_quarter, *options.quarters]
    )
    with st.sidebar:
        st.header("Filters")
        _seed("f_mode", "All time" if all_time else "Quarter" if url_quarter else "Custom dates")
        mode = st.radio(
            "Period",
            PERIOD_MODES,
            key="f_mode",
            horizontal=True,
            help="All time: every deal, from the first to the last quarter with data.",
        )
        if mode == "Quarter":
            _seed("f_quarter", url_quarter or options.default_quarter)
            if st.session_state["f_quarter"] not in quarters:
                st.session_state["f_quarter"] = options.default_quarter
            quarter = st.selectbox(f"Quarter ({period_label})", quarters, key="f_quarter")
            start, end = quarter_bounds(quarter)
        elif mode == "All time":
            quarter = ALL_TIME
            start, end = all_time_bounds(options)
        else:
            quarter = None
            _seed("f_dates", (url_filters.date_from, url_filters.date_to))
            picked = st.date_input(f"Between ({period_label})", key="f_dates", format="YYYY-MM-DD")
            if isinstance(picked, tuple) and len(picked) == 2:
                start, end = picked
            else:
                st.caption("Pick an end date too.")
                start = end = picked[0] if isinstance(picked, tuple) and picked else date.today()
        chosen: dict[str, str | None] = {}
        for key, values in (("segment", options.segments), ("region", options.regions), ("owner", options.owners)):
            url_value = getattr(url_filters, key)
            _seed(f"f_{key}", url_value if url_value in values else ALL)
            value = st.selectbox(key.capitalize(), [ALL, *values], key=f"f_{key}")
            chosen[key] = None if value == ALL else value
        lookback, scope = url_filters.lookback_days, url_filters.scope
        if show_scope:
            with st.expander("Touchpoint matching"):
                _seed("f_lookback", url_filters.lookback_days)
                _seed("f_scope", url_filters.scope)
                lookback, scope = touch_matching("f")
    f = Filters(date_from=start, date_to=end, lookback_days=lookback, scope=scope, **chosen)
    # replace only the common filters' keys: a page's own parameters stay in the URL
    for key in FILTER_PARAMS:
        st.query_params.pop(key, None)
    st.query_params.update(to_query_params(f, quarter))
    return f


def touch_matching(prefix: str) -> tuple[int, str]:
    """Which touches belong to a deal: the lookback and scope widgets, keyed `{prefix}_lookback` and
    `{prefix}_scope` (the caller seeds them); the filter bar's and the Deal explorer's."""
    lookback = int(
        st.number_input(
            "Lookback before deal creation (days)",
            min_value=0,
            max_value=MAX_LOOKBACK_DAYS,
            step=30,
            key=f"{prefix}_lookback",
            help="Touches of the deal's account from this many days before the deal was created up to its "
            "close belong to the deal.",
        )
    )
    scope = st.radio(
        "Which touches belong to a deal",
        list(SCOPES),
        key=f"{prefix}_scope",
        format_func={
            "account": "Every touch of the account",
            "contact_roles": "Only touches of the deal's contacts",
        }.get,
    )
    return lookback, str(scope)


def all_time_bounds(options: Any) -> tuple[date, date]:
    """All time: from the first day of the oldest quarter with data to the last of the newest."""
    quarters = options.quarters or [options.default_quarter]
    return quarter_bounds(quarters[-1])[0], quarter_bounds(quarters[0])[1]


def stop_if(empty: Any, message: str, warning: str | None = None) -> None:
    """Show a view's `warning` (if any); then, when it has nothing to show (`empty`), say `message` and
    stop the page."""
    if warning:
        st.warning(md(warning))
    if empty:
        st.info(message)
        st.stop()


def one_sided(won: int, lost: int) -> str | None:
    """A sentence when the period's closed deals are all wins or all losses (a win rate of 100% or 0%
    that says more about how the data dates its deals than about the period), else None."""
    if won and not lost:
        return (
            f"This period has {won:,} win{'s' if won != 1 else ''} and no losses — losses may be dated "
            "differently (e.g. at first contact); try All time."
        )
    if lost and not won:
        return (
            f"This period has {lost:,} loss{'es' if lost != 1 else ''} and no wins — wins may be dated "
            "differently; try All time."
        )
    return None


def period_caption(f: Filters, what: str = "Deals closed") -> str:
    parts = [f"{what} {f.date_from:%d %b %Y} – {f.date_to:%d %b %Y}"]
    for key in ("segment", "region", "owner"):
        if getattr(f, key):
            parts.append(f"{key} {md(getattr(f, key))}")
    parts.append(
        f"touches up to {f.lookback_days} days before creation"
        + (", deal contacts only" if f.scope == "contact_roles" else "")
    )
    return " · ".join(parts)


def fmt(value: Any, pattern: str) -> str:
    """Format a KPI, with an en dash where there is nothing to show (None, or a pandas NaN/NA:
    a period without losses has no median for them, which used to read "1 vs nan")."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "–"
    return pattern.format(value)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """Every CSV download: formulas neutralised (closedloop.export)."""
    return export.csv_bytes(df)


def download(df: pd.DataFrame, filename: str, label: str = "Download CSV") -> None:
    """A CSV download of the whole frame, built only when clicked.

    Building a 100k-row CSV took ~0.5 s on every rerun; a callable runs on the
    click alone (Streamlit >= 1.50 serves it as a deferred file), and the click
    does not rerun the page.
    """
    st.download_button(
        label,
        partial(csv_bytes, df),
        file_name=filename,
        mime="text/csv",
        icon=":material/download:",
        key=f"dl_{filename}",
        on_click="ignore",
    )


TABLE_ROWS = 1_000


def shown_rows(df: pd.DataFrame, largest: str | None = None, n: int = TABLE_ROWS) -> pd.DataFrame:
    """At most `n` rows of `df` for the screen: the `largest` by that column (largest first, ties in the
    frame's order), else the first `n`. The frame itself is unchanged, so its download has every row."""
    if len(df) <= n:
        return df
    if largest is None:
        return df.head(n)
    return df.sort_values(largest, ascending=False, kind="stable", na_position="last").head(n)


def table(df: pd.DataFrame, what: str, largest: str | None = None, n: int = TABLE_ROWS, **kwargs: Any) -> pd.DataFrame:
    """st.dataframe of at most `n` rows, saying so when the frame has more; returns the rows shown.

    Sending 100k rows to the browser cost ~0.2 s a rerun and nobody scrolls them: the
    page shows the `largest` (or first) `n` with a caption, and its CSV download has all.
    """
    shown = shown_rows(df, largest, n)
    if len(shown) < len(df):
        which = "largest" if largest else "first"
        st.caption(f"Showing the {len(shown):,} {which} of {len(df):,} {what}; the CSV download has all of them.")
    grid(shown, **kwargs)
    return shown


def grid(df: pd.DataFrame, column_config: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Every page's table: the whole frame, full width, without the index."""
    st.dataframe(df, hide_index=True, width="stretch", column_config=column_config, **kwargs)


def choose(label: str, options: dict[str, str], key: str, where: Any = st, **kwargs: Any) -> Any:
    """A horizontal st.radio (in `where`: the page, or a column) over `options`' keys, showing their titles."""
    return where.radio(label, list(options), key=key, format_func=options.get, horizontal=True, **kwargs)
