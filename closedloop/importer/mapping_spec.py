"""What a parsed mapping is: its sources, column specs, rules, conditions, currencies and date limits
(mapping.py reads the TOML into these)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from closedloop.importer.catalog import ENUMS


@dataclass(frozen=True)
class Condition:
    """Holds when the cell of `column` is one of `values` (lowercase; "*" any non-empty, "" empty)."""

    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    when: tuple[Condition, ...]
    value: str | None


@dataclass(frozen=True)
class ColumnSpec:
    """Where one target column's value comes from, and how it is cleaned."""

    target: str
    sources: tuple[str, ...] = ()  # `from`: the first non-empty of these columns
    const: str | None = None
    # derived id: md5 of these parts; a part is a column, or alternatives (the first non-empty)
    hash: tuple[tuple[str, ...], ...] = ()
    prefix: str = ""
    split: str | None = None  # keep the first item of a list like "12;34"
    value_map: tuple[tuple[str, str | None], ...] = ()  # lowercase source value -> value
    otherwise: str | None = None  # for a non-empty value the map doesn't list (None: keep it)
    rules: tuple[Rule, ...] = ()
    default: str | None = None
    formats: tuple[str, ...] = ()
    timezone: str | None = None
    optional: bool = False
    only_if: tuple[Condition, ...] = ()

    def columns_read(self) -> tuple[str, ...]:
        cols = list(self.sources) + [c for part in self.hash for c in part]
        for r in self.rules:
            cols += [c.column for c in r.when]
        cols += [c.column for c in self.only_if]
        return tuple(dict.fromkeys(cols))

    def label(self) -> str:
        """How the report names this column to the user: the header(s) it reads."""
        if self.hash:
            return " + ".join(" / ".join(part) for part in self.hash)
        if self.sources:
            return " / ".join(self.sources)
        if self.rules:
            return " / ".join(dict.fromkeys(c.column for r in self.rules for c in r.when))
        return self.target


@dataclass(frozen=True)
class Currency:
    """The database's currency and the rates (1 unit of a currency in `base`) a mapping supplies.

    An amount written with another currency (`EUR 1,000.00`, `£500`, `150,000 JPY`) is converted
    when its rate is given and refused on its row otherwise; it is never stored as `base`.
    """

    base: str = "USD"
    rates: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class PlausibleDates:
    """Dates outside [earliest, today + days_ahead] are reported on their row."""

    earliest: date = date(1970, 1, 1)
    days_ahead: int = 365


@dataclass(frozen=True)
class Source:
    name: str
    label: str
    table: str
    files: tuple[str, ...]
    signature: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    companion_of: str | None = None
    sheet: str | None = None
    timezone: str = "UTC"
    date_formats: tuple[str, ...] = ()
    decimal: str = "."
    skip_if_empty: tuple[str, ...] = ()
    keep_if: tuple[Condition, ...] = ()  # only rows where all of these hold are imported
    skip_if: tuple[Condition, ...] = ()  # rows where all of these hold are skipped
    as_of: str | None = None  # an export without dates: its rows get this date and dates_unknown
    explode: tuple[str, str] | None = None  # (column, separator): one row per list item
    mode: str = "upsert"  # or "insert_missing": only adds keys the database lacks
    currency: Currency = field(default_factory=lambda: Currency())

    def spec(self, target: str) -> ColumnSpec | None:
        return next((c for c in self.columns if c.target == target), None)

    def name_score(self, file_name: str) -> int:
        """How specifically the file name matches this source's patterns (0: not at all)."""
        low = file_name.lower()
        hits = [len(g.replace("*", "")) + 1 for g in self.files if fnmatch.fnmatchcase(low, g.lower())]
        return max(hits, default=0)


@dataclass(frozen=True)
class Mapping:
    name: str
    description: str
    sources: tuple[Source, ...]
    ignore_files: tuple[str, ...] = ()
    enums: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    path: Path | None = None
    text: str = ""
    dates: PlausibleDates = field(default_factory=PlausibleDates)

    def source(self, name: str) -> Source:
        return next(s for s in self.sources if s.name == name)

    def primaries(self) -> list[Source]:
        return [s for s in self.sources if s.companion_of is None]

    def companions(self, source: Source) -> list[Source]:
        return [s for s in self.sources if s.companion_of == source.name]

    def ignores(self, file_name: str) -> bool:
        low = file_name.lower()
        return any(fnmatch.fnmatchcase(low, g.lower()) for g in self.ignore_files)

    def allowed(self, table: str, column: str) -> tuple[str, ...] | None:
        base = ENUMS.get((table, column))
        if base is None:
            return None
        return base + self.enums.get((table, column), ())


@dataclass(frozen=True)
class PresetInfo:
    name: str
    description: str
    path: Path
