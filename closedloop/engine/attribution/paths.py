"""Aggregated path data, the format ChannelAttribution and DP6 use:

    path;total_conversions;total_conversion_value;total_null
    a > b > c;12;3400.0;40

Each row is a distinct journey with its conversions, their value and its nulls
(journeys that did not convert). The same models run on it: the rule-based
models that need no timestamps and no opportunity creation (a path ends at its
conversion, so its last touch is both CL and the lead-creation touch LC), and
markov and shapley.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from closedloop.engine.attribution import markov, shapley
from closedloop.engine.attribution.models import DEFAULT_ORDER, MODELS, PATH_MODELS, check_model, position_credit

COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null")
PATH_MEASURES = ("conversions", "value")


def parse_paths(text: str, sep: str = ">", source: str = "path data") -> pd.DataFrame:
    """Rows of (path as a tuple of channels, total_conversions, total_conversion_value, total_null)."""
    if not sep or not sep.strip():
        raise ValueError("The path separator must be a visible character such as '>'.")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise ValueError(f"{source} is empty; expected lines like 'a > b;1;100;3'.")
    first = lines[0]
    delimiter = ";" if ";" in first else "\t" if "\t" in first else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header = [h.strip().lower() for h in rows[0]]
    if "path" in header:
        missing = [c for c in ("path", "total_conversions") if c not in header]
        if missing:
            raise ValueError(f"{source} needs the columns {', '.join(COLUMNS)}; missing {', '.join(missing)}.")
        at = {c: header.index(c) if c in header else None for c in COLUMNS}
        body, first_line = rows[1:], 2
    else:
        at = {c: i for i, c in enumerate(COLUMNS)}
        body, first_line = rows, 1
    out = []
    for line_no, row in enumerate(body, start=first_line):

        def cell(col: str, row: list[str] = row, line_no: int = line_no) -> float:
            i = at[col]
            if i is None or i >= len(row) or not row[i].strip():
                return 0.0
            try:
                value = float(row[i])
            except ValueError:
                raise ValueError(f"{source} line {line_no}: {col} must be a number, got {row[i]!r}.") from None
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{source} line {line_no}: {col} must be >= 0, got {row[i]!r}.")
            return value

        raw = row[at["path"]] if at["path"] is not None and at["path"] < len(row) else ""
        path = tuple(step.strip() for step in raw.split(sep) if step.strip())
        if not path:
            raise ValueError(f"{source} line {line_no}: the path is empty.")
        out.append((path, cell("total_conversions"), cell("total_conversion_value"), cell("total_null")))
    if not out:
        raise ValueError(f"{source} has a header but no paths.")
    return pd.DataFrame(out, columns=list(COLUMNS))


def read_paths(file: str | Path, sep: str = ">") -> pd.DataFrame:
    path = Path(file)
    if not path.exists():
        raise FileNotFoundError(f"No path file at {path}.")
    return parse_paths(path.read_text(encoding="utf-8"), sep=sep, source=str(path))


def _rule(paths: pd.DataFrame, model: str) -> pd.DataFrame:
    slots = MODELS[model].slots
    assert slots is not None
    lengths = paths["path"].map(len).to_numpy()
    # one credit vector per path length, shared by every path of that length;
    # LC is the last touch (the conversion), OC does not exist on paths
    by_length = {n: position_credit(slots, n, n_lc=n, n_oc=0) for n in np.unique(lengths)}
    long = pd.DataFrame(
        {
            "channel": [c for p in paths["path"] for c in p],
            "credit": np.concatenate([by_length[n] for n in lengths]),
            "conversions": np.repeat(paths["total_conversions"].to_numpy(), lengths),
            "value": np.repeat(paths["total_conversion_value"].to_numpy(), lengths),
        }
    )
    long["attributed_conversions"] = long["credit"] * long["conversions"]
    long["attributed_value"] = long["credit"] * long["value"]
    return long.groupby("channel", as_index=False)[["attributed_conversions", "attributed_value"]].sum()


def _spread(shares: pd.DataFrame, paths: pd.DataFrame, extra: str) -> pd.DataFrame:
    conversions = float(paths["total_conversions"].sum())
    value = float(paths["total_conversion_value"].sum())
    return pd.DataFrame(
        {
            "channel": shares["channel"],
            "attributed_conversions": shares["share"] * conversions,
            "attributed_value": shares["share"] * value,
            extra: shares[extra],
        }
    )


def _coalitions(paths: pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "channels": [tuple(sorted(set(p))) for p in paths["path"]],
            "wins": paths["total_conversions"],
            "losses": paths["total_null"],
        }
    )
    return df.groupby("channels", as_index=False)[["wins", "losses"]].sum()


def attribute_paths(paths: pd.DataFrame, model: str, order: int = DEFAULT_ORDER) -> pd.DataFrame:
    """Credit per channel: channel, attributed_conversions, attributed_value (+ removal_effect for
    markov, shapley_value for shapley), most conversions first."""
    if model in MODELS and model not in PATH_MODELS:
        raise ValueError(
            f"{model} needs timestamps or the opportunity creation, which path data does not have. "
            f"Models for path data: {', '.join(PATH_MODELS)} (or 'all')."
        )
    m = check_model(model, PATH_MODELS)
    if m.kind == "rule":
        out = _rule(paths, m.name)
    elif m.kind == "markov":
        rows = zip(paths["path"], paths["total_conversions"], paths["total_null"], strict=True)
        transitions = markov.transitions_from_paths(rows, order)
        out = _spread(markov.removal_effects(transitions), paths, "removal_effect")
    else:
        variant = "conversions" if m.name == "shapley_conversions" else "win_rate"
        out = _spread(shapley.shapley_values(_coalitions(paths), variant), paths, "shapley_value")
    out = out.sort_values(["attributed_conversions", "channel"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def compare_paths(
    paths: pd.DataFrame,
    measure: str = "conversions",
    models: Sequence[str] | None = None,
    order: int = DEFAULT_ORDER,
) -> pd.DataFrame:
    """Every path model side by side: channel, one column per model, rank_<model>, rank_spread."""
    if measure not in PATH_MEASURES:
        raise ValueError(f"Measure must be one of {', '.join(PATH_MEASURES)}, got {measure!r}.")
    models = list(models or PATH_MODELS)
    column = f"attributed_{measure}"
    wide = pd.DataFrame(
        {name: attribute_paths(paths, name, order).set_index("channel")[column] for name in models}
    ).fillna(0.0)
    wide.index.name = "channel"
    wide = wide.reset_index()
    for name in models:
        wide[f"rank_{name}"] = wide[name].rank(ascending=False, method="min").astype("Int64")
    ranks = wide[[f"rank_{n}" for n in models]]
    wide["rank_spread"] = (ranks.max(axis=1) - ranks.min(axis=1)).astype("Int64")
    wide["_mean"] = ranks.astype(float).mean(axis=1)
    return wide.sort_values(["_mean", "channel"], kind="stable").drop(columns="_mean").reset_index(drop=True)
