"""Mappings: small TOML files that say how an export's columns become canonical rows.

A mapping holds one `[[sources]]` table per kind of export file (a Salesforce
Opportunities report, a HubSpot deals export, our own touchpoints.csv …). Each
source names its target table and, per target column, where the value comes
from. The format is documented in docs/import.md; the presets live in mappings/.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from closedloop.importer.catalog import DATED_COLUMNS, ENUMS, IMPORT_TABLES, KEYS, canonical_columns
from closedloop.importer.errors import MappingError
from closedloop.importer.mapping_spec import (
    ColumnSpec,
    Condition,
    Currency,
    Mapping,
    PlausibleDates,
    PresetInfo,
    Rule,
    Source,
)

__all__ = [
    "ColumnSpec",
    "Condition",
    "Currency",
    "Mapping",
    "PRESETS_DIR",
    "PlausibleDates",
    "PresetInfo",
    "Rule",
    "Source",
    "list_presets",
    "load_mapping",
    "parse_mapping",
]

PRESETS_DIR = Path(__file__).resolve().parent.parent.parent / "mappings"

_MAPPING_KEYS = {
    "name",
    "description",
    "timezone",
    "date_formats",
    "decimal",
    "enums",
    "ignore_files",
    "sources",
    "currency",  # issue 12: amounts in other currencies (refused, or converted by these rates)
    "dates",  # issue 12: the plausible range of dates
}
_SOURCE_KEYS = {
    "name",
    "label",
    "table",
    "files",
    "signature",
    "companion_of",
    "sheet",
    "timezone",
    "date_formats",
    "decimal",
    "skip_if_empty",
    "keep_if",
    "skip_if",
    "as_of",
    "explode",
    "mode",
    "auto_columns",
    "columns",
}
_SPEC_KEYS = {
    "from",
    "const",
    "hash",
    "prefix",
    "split",
    "map",
    "rules",
    "default",
    "formats",
    "timezone",
    "optional",
    "only_if",
    "otherwise",
}


def list_presets() -> list[PresetInfo]:
    """The mappings shipped in mappings/, by name."""
    out = []
    for p in sorted(PRESETS_DIR.glob("*.toml")):
        m = load_mapping(p)
        out.append(PresetInfo(p.stem, m.description, p))
    return out


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A preset by name (`salesforce`) or a mapping file by path."""
    p = Path(name_or_path)
    if p.suffix.lower() == ".toml" or p.is_file():
        if not p.is_file():
            raise MappingError(f"No mapping file at {p}.")
        return parse_mapping(p.read_text(encoding="utf-8"), name=p.stem, path=p)
    preset = PRESETS_DIR / f"{name_or_path}.toml"
    if preset.is_file() and str(name_or_path).replace("_", "").isalnum():
        return parse_mapping(preset.read_text(encoding="utf-8"), name=preset.stem, path=preset)
    known = ", ".join(q.stem for q in sorted(PRESETS_DIR.glob("*.toml")))
    raise MappingError(f"Unknown mapping {str(name_or_path)!r}: give a preset name ({known}) or a .toml file.")


def parse_mapping(text: str, name: str = "custom", path: Path | None = None) -> Mapping:
    """Parse and check a mapping's TOML text (the Data page edits it as text)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"Mapping {name!r} is not valid TOML: {exc}.") from exc
    where = f"mapping {doc.get('name', name)!r}"
    _no_unknown_keys(doc, _MAPPING_KEYS, where)
    default_tz = _timezone(doc.get("timezone", "UTC"), where)
    default_formats = _strings(doc.get("date_formats", []), f"{where}: date_formats")
    default_decimal = _decimal(doc.get("decimal", "."), where)
    raw_sources = doc.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise MappingError(f"{where} has no [[sources]]: add one per kind of file it reads.")
    sources = [_source(s, i, where, default_tz, default_formats, default_decimal) for i, s in enumerate(raw_sources)]
    currency = _currency(doc.get("currency", {}), where)
    sources = [replace(s, currency=currency) for s in sources]
    names = [s.name for s in sources]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise MappingError(f"{where}: source names must be unique; repeated: {', '.join(dupes)}.")
    for s in sources:
        if s.companion_of is not None and s.companion_of not in names:
            raise MappingError(f"{where}: source {s.name!r} is a companion of unknown source {s.companion_of!r}.")
        if s.companion_of is None and not s.files and not s.signature:
            raise MappingError(f"{where}: source {s.name!r} needs `files` patterns or a `signature`.")
    enums: dict[tuple[str, str], tuple[str, ...]] = {}
    for col, values in (doc.get("enums") or {}).items():
        hits = [key for key in ENUMS if key[1] == col]
        if not hits:
            known = ", ".join(sorted({k[1] for k in ENUMS}))
            raise MappingError(f"{where}: [enums] {col!r} is not an enumerated column ({known}).")
        for key in hits:
            enums[key] = tuple(_strings(values, f"{where}: enums.{col}"))
    return Mapping(
        name=str(doc.get("name", name)),
        description=str(doc.get("description", "")),
        sources=tuple(sources),
        ignore_files=tuple(_strings(doc.get("ignore_files", []), f"{where}: ignore_files")),
        enums=enums,
        path=path,
        text=text,
        dates=_dates(doc.get("dates", {}), where),
    )


def _source(
    raw: Any, index: int, where: str, default_tz: str, default_formats: list[str], default_decimal: str
) -> Source:
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: sources[{index}] must be a table.")
    name = str(raw.get("name") or f"source{index + 1}")
    here = f"{where}, source {name!r}"
    _no_unknown_keys(raw, _SOURCE_KEYS, here)
    table = raw.get("table")
    if table not in IMPORT_TABLES:
        raise MappingError(f"{here}: table must be one of {', '.join(IMPORT_TABLES)}; got {table!r}.")
    catalog = {c.name: c for c in canonical_columns()[table]}
    mode = raw.get("mode", "upsert")
    if mode not in ("upsert", "insert_missing"):
        raise MappingError(f"{here}: mode must be 'upsert' or 'insert_missing'; got {mode!r}.")
    tz = _timezone(raw.get("timezone", default_tz), here)
    specs: dict[str, ColumnSpec] = {}
    if raw.get("auto_columns"):
        # our own layout: every column read from the header of the same name
        for col in catalog.values():
            specs[col.name] = ColumnSpec(target=col.name, sources=(col.name,), optional=not col.required)
    for target, spec in (raw.get("columns") or {}).items():
        if target not in catalog:
            raise MappingError(f"{here}: {table} has no column {target!r}; its columns are {', '.join(catalog)}.")
        specs[target] = _spec(target, spec, f"{here}, column {target!r}")
    if raw.get("auto_columns") and "dates_unknown" not in (raw.get("columns") or {}):
        specs.pop("dates_unknown", None)  # set below from the dates the source reads
    as_of = _as_of(raw.get("as_of"), table, specs, here)
    if as_of is not None:
        # an export without dates: every date of the row is the stand-in, and the row says so
        for col in DATED_COLUMNS[table]:
            specs[col] = ColumnSpec(target=col, const=as_of)
        specs["dates_unknown"] = ColumnSpec(target="dates_unknown", const="true")
    elif table in DATED_COLUMNS and "dates_unknown" not in specs and any(c in specs for c in DATED_COLUMNS[table]):
        # real dates: a row an earlier as_of import marked undated is dated now
        specs["dates_unknown"] = ColumnSpec(target="dates_unknown", const="false")
    missing = [c.name for c in catalog.values() if c.required and c.name not in specs]
    if missing:
        raise MappingError(f"{here}: {table} needs {', '.join(missing)}; say where each comes from in [columns].")
    explode = raw.get("explode")
    if explode is not None:
        if not isinstance(explode, dict) or "column" not in explode:
            raise MappingError(f'{here}: explode must look like {{ column = "…", sep = ";" }}.')
        explode = (str(explode["column"]), str(explode.get("sep", ";")))
    files = _strings(raw.get("files", []), f"{here}: files")
    signature = _strings(raw.get("signature", []), f"{here}: signature")
    if not signature:
        # what a file must have for this source: the columns its key needs
        signature = [c for k in KEYS[table] if (s := specs.get(k)) for c in s.sources[:1] + tuple(p[0] for p in s.hash)]
    return Source(
        name=name,
        label=str(raw.get("label", name)),
        table=table,
        files=tuple(files),
        signature=tuple(signature),
        columns=tuple(specs.values()),
        companion_of=raw.get("companion_of"),
        sheet=raw.get("sheet"),
        timezone=tz,
        date_formats=tuple(_strings(raw.get("date_formats", default_formats), f"{here}: date_formats")),
        decimal=_decimal(raw.get("decimal", default_decimal), here),
        skip_if_empty=tuple(_strings(raw.get("skip_if_empty", []), f"{here}: skip_if_empty")),
        keep_if=_conditions(raw.get("keep_if", {}), f"{here}: keep_if"),
        skip_if=_conditions(raw.get("skip_if", {}), f"{here}: skip_if"),
        as_of=as_of,
        explode=explode,
        mode=mode,
    )


def _spec(target: str, raw: Any, where: str) -> ColumnSpec:
    if isinstance(raw, str):
        return ColumnSpec(target=target, sources=(raw,))
    if not isinstance(raw, dict):
        raise MappingError(f'{where}: give a header name ("Amount") or a table ({{ from = "Amount" }}).')
    _no_unknown_keys(raw, _SPEC_KEYS, where)
    src = raw.get("from", [])
    sources = [src] if isinstance(src, str) else _strings(src, f"{where}: from")
    const = raw.get("const")
    hash_cols = [tuple(_strings(part, f"{where}: hash")) for part in _list(raw.get("hash", []), f"{where}: hash")]
    if sum(bool(x) for x in (sources, const is not None, hash_cols)) > 1:
        raise MappingError(f"{where}: use only one of from, const and hash.")
    value_map = raw.get("map", {})
    if not isinstance(value_map, dict):
        raise MappingError(f'{where}: map must be a table like {{ "Closed Won" = "won" }}.')
    rules = []
    for i, r in enumerate(raw.get("rules", [])):
        if not isinstance(r, dict) or "when" not in r or "value" not in r:
            raise MappingError(f'{where}: rules[{i}] must look like {{ when = {{ Won = ["1"] }}, value = "won" }}.')
        rules.append(Rule(_conditions(r["when"], f"{where}: rules[{i}].when"), _scalar(r["value"])))
    tz = raw.get("timezone")
    return ColumnSpec(
        target=target,
        sources=tuple(sources),
        const=_scalar(const),
        hash=tuple(hash_cols),
        prefix=str(raw.get("prefix", "")),
        split=raw.get("split"),
        value_map=tuple((str(k).strip().lower(), _scalar(v)) for k, v in value_map.items()),
        otherwise=_scalar(raw.get("otherwise")),
        rules=tuple(rules),
        default=_scalar(raw.get("default")),
        formats=tuple(_strings(raw.get("formats", []), f"{where}: formats")),
        timezone=_timezone(tz, where) if tz is not None else None,
        optional=bool(raw.get("optional", False)),
        only_if=_conditions(raw.get("only_if", {}), f"{where}: only_if"),
    )


def _as_of(raw: Any, table: str, specs: dict[str, ColumnSpec], where: str) -> str | None:
    """The stand-in date of a source whose export has no dates (checked; None when not given)."""
    if raw is None:
        return None
    if table not in DATED_COLUMNS:
        tables = ", ".join(DATED_COLUMNS)
        raise MappingError(f"{where}: as_of is for the tables whose rows carry dates ({tables}), not {table}.")
    text = raw.isoformat() if hasattr(raw, "isoformat") else str(raw)
    try:
        date.fromisoformat(text[:10])
    except ValueError as exc:
        raise MappingError(f'{where}: as_of must be a date like "2024-06-30"; got {raw!r}.') from exc
    mapped = [c for c in DATED_COLUMNS[table] if c in specs]
    if mapped:
        raise MappingError(
            f"{where}: as_of gives every row the same stand-in date, so it can't be used with "
            f"{', '.join(mapped)} read from the file; remove as_of or those columns."
        )
    return text[:10]


def _conditions(raw: Any, where: str) -> tuple[Condition, ...]:
    if not isinstance(raw, dict):
        raise MappingError(f'{where}: give a table of column = [values], e.g. {{ Closed = ["1", "true"] }}.')
    out = []
    for col, values in raw.items():
        vals = [values] if isinstance(values, str | int | bool) else values
        out.append(Condition(str(col), tuple(str(_scalar(v)).strip().lower() for v in _list(vals, where))))
    return tuple(out)


def _scalar(v: Any) -> str | None:
    """TOML values as the strings a CSV cell would hold ("" means empty)."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict | list):
        raise MappingError(f"Expected a single value, got {v!r}.")
    return str(v)


def _list(v: Any, where: str) -> list[Any]:
    if not isinstance(v, list):
        raise MappingError(f"{where}: expected a list, got {v!r}.")
    return v


def _strings(v: Any, where: str) -> list[str]:
    if isinstance(v, str):
        return [v]
    return [str(x) for x in _list(v, where)]


def _no_unknown_keys(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}.")


def _timezone(tz: Any, where: str) -> str:
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise MappingError(f"{where}: unknown time zone {tz!r}; use an IANA name like 'Europe/Paris'.") from exc
    return str(tz)


def _decimal(d: Any, where: str) -> str:
    if d not in (".", ","):
        raise MappingError(f"{where}: decimal must be '.' or ','; got {d!r}.")
    return str(d)


def _currency(raw: Any, where: str) -> Currency:
    """[currency] rates = { EUR = 1.08 }: 1 EUR is 1.08 USD. The database's currency is USD (its
    amounts and the pages are in USD), so it isn't a setting: another one would relabel amounts."""
    example = "[currency] rates = { EUR = 1.08, GBP = 1.27 } (1 EUR = 1.08 USD)"
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: currency must be a table like {example}.")
    _no_unknown_keys(raw, {"rates"}, f"{where}: [currency]")
    base = Currency.base
    rates = raw.get("rates", {})
    if not isinstance(rates, dict):
        raise MappingError(f"{where}: [currency] rates must be a table like {example}.")
    out = []
    for code, rate in rates.items():
        if not re.fullmatch(r"[A-Za-z]{3}", str(code)):
            raise MappingError(f"{where}: [currency] rates: {code!r} is not an ISO 4217 code like EUR.")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0 or rate == float("inf"):
            raise MappingError(
                f"{where}: [currency] rates.{code} must be a positive number (1 {code} in {base}); got {rate!r}."
            )
        out.append((str(code).upper(), float(rate)))
    return Currency(base, tuple(out))


def _dates(raw: Any, where: str) -> PlausibleDates:
    """[dates] earliest = 1970-01-01, days_ahead = 365."""
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: dates must be a table like [dates] earliest = 1970-01-01, days_ahead = 365.")
    _no_unknown_keys(raw, {"earliest", "days_ahead"}, f"{where}: [dates]")
    earliest = raw.get("earliest", PlausibleDates.earliest)
    if isinstance(earliest, str):
        try:
            earliest = date.fromisoformat(earliest)
        except ValueError:
            earliest = None
    if not isinstance(earliest, date):
        raise MappingError(f"{where}: [dates] earliest must be a date like 1970-01-01; got {raw.get('earliest')!r}.")
    if hasattr(earliest, "date"):  # a TOML date-time
        earliest = earliest.date()
    ahead = raw.get("days_ahead", PlausibleDates.days_ahead)
    if isinstance(ahead, bool) or not isinstance(ahead, int) or ahead < 0:
        raise MappingError(f"{where}: [dates] days_ahead must be a whole number of days, 0 or more; got {ahead!r}.")
    return PlausibleDates(earliest, ahead)
