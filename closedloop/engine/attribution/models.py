"""The catalogue of attribution models (DESIGN.md), their exact weights as display text,
and the custom model's weights file.

Position-based models are five relative weights over the slots FT, LC, OC, CL and
"middle" (the touches that hold none of the model's weighted positions). The SQL in
queries/macros.sql (`attribution_position_credit`) applies them; `position_credit`
below is the same rule in Python, used for path data.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SLOTS = ("FT", "LC", "OC", "CL", "middle")
DEFAULT_HALF_LIFE_DAYS = 7.0
DEFAULT_ORDER = 1
MAX_ORDER = 4
BY_KEYS = ("channel", "touchpoint_type", "campaign", "asset", "team")
MEASURES = ("wins", "revenue", "pipeline")
NO_TOUCHPOINT = "No touchpoint"

Weights5 = tuple[float, float, float, float, float]


@dataclass(frozen=True)
class Model:
    name: str
    label: str
    weights: str
    # "rule" (per-touch credit in SQL), "markov" or "shapley" (channel-level)
    kind: str
    # relative weights FT, LC, OC, CL, middle; None when not position-based
    slots: Weights5 | None = None
    # usable on path data (`path;total_conversions;...`), which has no
    # timestamps and no opportunity creation
    on_paths: bool = True
    # a team's model (models.toml): multipliers per touchpoint type and its own lookback
    multipliers: Mapping[str, float] = field(default_factory=dict)
    lookback_days: int | None = None
    team: bool = False


# The position-based models: name -> label, weights as text, weights FT, LC, OC, CL, middle.
_POSITION_MODELS: dict[str, tuple[str, str, Weights5]] = {
    "first_touch": ("First touch", "100% FT (first touch)", (1, 0, 0, 0, 0)),
    "last_touch": ("Last touch", "100% CL (closing touch)", (0, 0, 0, 1, 0)),
    "linear": ("Linear", "equal share per touch", (0, 0, 0, 0, 1)),
    "u_shaped": ("U-shaped", "40% FT, 40% LC, 20% split over the other touches", (40, 40, 0, 0, 20)),
    "w_shaped": ("W-shaped", "30% FT, 30% LC, 30% OC, 10% split over the other touches", (30, 30, 30, 0, 10)),
    "full_path": (
        "Full path (Z-shaped)",
        "22.5% each FT, LC, OC, CL; 10% split over the other touches",
        (225, 225, 225, 225, 100),
    ),
    "position_40_20_40": ("Position 40/20/40", "40% FT, 40% CL, 20% split over the middle touches", (40, 0, 0, 40, 20)),
    "j_shaped": ("J-shaped", "20% FT, 60% CL, 20% split over the middle touches", (20, 0, 0, 60, 20)),
    "inverse_j": ("Inverse J", "60% FT, 20% CL, 20% split over the middle touches", (60, 0, 0, 20, 20)),
}
# the opportunity's creation (OC) is no position on path data
_NEED_OC = {"w_shaped", "full_path"}

_CATALOGUE = [
    *(
        Model(name, label, text, "rule", slots, on_paths=name not in _NEED_OC)
        for name, (label, text, slots) in _POSITION_MODELS.items()
    ),
    Model(
        "time_decay",
        "Time decay",
        "each touch weighs 2^(-days before close / half-life), half-life {half_life_days:g} days; normalized per deal",
        "rule",
        on_paths=False,
    ),
    Model(
        "custom",
        "Custom",
        "{custom}",
        "rule",
        on_paths=False,
    ),
    Model(
        "markov",
        "Markov chain",
        "removal effect of each channel in an order-{order} absorbing Markov chain of won (conversion) "
        "and lost (null) journeys, solved exactly; shares x wins and won revenue",
        "markov",
    ),
    Model(
        "shapley",
        "Shapley value",
        "exact Shapley value over channels; v(S) = sum of the win rates of the channel sets within S; "
        "shares x wins and won revenue",
        "shapley",
    ),
    Model(
        "shapley_conversions",
        "Shapley (conversions only)",
        "exact Shapley value with v(S) = wins whose channel set lies within S: each win split equally "
        "over its distinct channels; shares x wins and won revenue",
        "shapley",
    ),
]

# the built-in models, then the team's (load_team_models): every model the app offers
MODELS: dict[str, Model] = {m.name: m for m in _CATALOGUE}
RULE_MODELS = tuple(m.name for m in _CATALOGUE if m.kind == "rule")
PATH_MODELS = tuple(m.name for m in _CATALOGUE if m.on_paths)
MAX_TEAM_LOOKBACK_DAYS = 730


def team_models_path() -> Path:
    """The team's model file: $CLOSEDLOOP_MODELS, else models.toml at the repository's root."""
    return Path(os.environ.get("CLOSEDLOOP_MODELS") or Path(__file__).resolve().parents[3] / "models.toml")


def read_team_models(path: str | Path) -> list[Model]:
    """A team's named position-based models from a TOML file (docs/attribution.md):

    [models.sales_first]
    label = "Sales first"          # optional
    lookback_days = 90             # optional: its own lookback (else the page's)
    positions = { FT = 20, LC = 10, OC = 20, CL = 40, middle = 10 }
    multipliers = { sales_meeting = 2.0 }   # optional, per touchpoint type
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"Cannot read the team's models {path}: {exc}") from exc
    unknown = set(data) - {"models"}
    if unknown or not isinstance(data.get("models", {}), Mapping):
        raise ValueError(f"{path} must hold [models.<name>] tables, found {', '.join(sorted(unknown))}.")
    out = []
    for name, spec in data.get("models", {}).items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ValueError(f"A model's name is lowercase letters, digits and _, got {name!r} in {path}.")
        if name in {m.name for m in _CATALOGUE}:
            raise ValueError(f"{name!r} in {path} is a built-in model's name; pick another.")
        if not isinstance(spec, Mapping):
            raise ValueError(f"[models.{name}] in {path} must be a table.")
        extra = set(spec) - {"label", "lookback_days", "positions", "multipliers"}
        if extra:
            raise ValueError(f"Unknown key(s) {', '.join(sorted(extra))} in [models.{name}] of {path}.")
        w = CustomWeights.from_mapping({k: spec[k] for k in ("positions", "multipliers") if k in spec})
        lookback = spec.get("lookback_days")
        if lookback is not None and (
            not isinstance(lookback, int) or isinstance(lookback, bool) or not 0 <= lookback <= MAX_TEAM_LOOKBACK_DAYS
        ):
            raise ValueError(f"lookback_days of {name} must be a whole number from 0 to 730, got {lookback!r}.")
        text = w.describe() + (f"; lookback {lookback} days" if lookback is not None else "")
        out.append(
            Model(
                name,
                str(spec.get("label") or name),
                text.replace("{", "{{").replace("}", "}}"),
                "rule",
                w.slots(),
                on_paths=False,
                multipliers=dict(w.multipliers),
                lookback_days=lookback,
                team=True,
            )
        )
    return out


def load_team_models(path: str | Path | None = None) -> list[Model]:
    """Add the team's models (default: team_models_path(), when it exists) to MODELS."""
    for name in [n for n, m in MODELS.items() if m.team]:
        del MODELS[name]
    path = Path(path) if path is not None else team_models_path()
    if not path.exists():
        if path != team_models_path() or os.environ.get("CLOSEDLOOP_MODELS"):
            raise FileNotFoundError(f"No models file at {path}.")
        return []
    models = read_team_models(path)
    MODELS.update({m.name: m for m in models})
    return models


def check_model(name: str, allowed: tuple[str, ...] | None = None) -> Model:
    """The model called `name`, or a ValueError naming the known ones."""
    allowed = allowed or tuple(MODELS)
    if name not in allowed:
        raise ValueError(f"Unknown model {name!r}. Known models: {', '.join(allowed)} (or 'all').")
    return MODELS[name]


@dataclass(frozen=True)
class CustomWeights:
    """The custom model: relative weights per position and multipliers per touchpoint type.

    A touch's credit is its position share (redistributed like every model) times the
    multiplier of its touchpoint type (default 1), renormalized per deal.
    """

    ft: float = 0.0
    lc: float = 0.0
    oc: float = 0.0
    cl: float = 0.0
    middle: float = 0.0
    multipliers: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        slots = self.slots()
        if any(not np.isfinite(w) or w < 0 for w in slots):
            given = dict(zip(SLOTS, slots, strict=True))
            raise ValueError(f"Custom position weights must be finite and >= 0, got {given}.")
        if sum(slots) <= 0:
            raise ValueError("Custom weights need at least one position (FT, LC, OC, CL, middle) above 0.")
        for t, m in self.multipliers.items():
            if not isinstance(m, int | float) or not np.isfinite(m) or m < 0:
                raise ValueError(f"The multiplier of {t!r} must be a number >= 0, got {m!r}.")

    def slots(self) -> Weights5:
        return (float(self.ft), float(self.lc), float(self.oc), float(self.cl), float(self.middle))

    def describe(self) -> str:
        total = sum(self.slots())
        parts = [f"{100 * w / total:.4g}% {s}" for s, w in zip(SLOTS, self.slots(), strict=True) if w > 0]
        text = ", ".join(parts)
        if self.multipliers:
            text += "; multipliers " + ", ".join(f"{t} x{m:g}" for t, m in sorted(self.multipliers.items()))
        return text

    def sql_params(self) -> dict[str, Any]:
        types = sorted(self.multipliers)
        return {
            "custom_weights": list(self.slots()),
            "multiplier_types": types,
            "multiplier_values": [float(self.multipliers[t]) for t in types],
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> CustomWeights:
        """{"positions": {"FT": 30, "LC": 20, ...}, "multipliers": {"sales_meeting": 2}}."""
        unknown = set(data) - {"positions", "multipliers"}
        if unknown:
            raise ValueError(
                f"Unknown section(s) {', '.join(sorted(unknown))} in custom weights; "
                "expected 'positions' and optionally 'multipliers'."
            )
        positions = data.get("positions")
        if not isinstance(positions, Mapping) or not positions:
            raise ValueError("Custom weights need a 'positions' table, e.g. FT = 30, LC = 20, CL = 30, middle = 20.")
        by_slot = {s.lower(): s for s in SLOTS}
        values: dict[str, float] = {}
        for key, value in positions.items():
            slot = by_slot.get(str(key).lower())
            if slot is None:
                raise ValueError(f"Unknown position {key!r} in custom weights; use {', '.join(SLOTS)}.")
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ValueError(f"The weight of {key} must be a number, got {value!r}.")
            values[slot.lower()] = float(value)
        multipliers = data.get("multipliers") or {}
        if not isinstance(multipliers, Mapping):
            raise ValueError("'multipliers' must map touchpoint types to numbers.")
        return cls(**values, multipliers={str(k): v for k, v in multipliers.items()})


# The SQL always computes the custom column; without user weights it is the
# linear split and the result is dropped.
PLACEHOLDER_WEIGHTS = CustomWeights(middle=1.0)


def load_weights(path: str | Path) -> CustomWeights:
    """Read custom weights from a .toml or .json file (see docs/attribution.md)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No weights file at {path}.")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"Cannot read weights file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"Weights file {path} must hold a table with 'positions'.")
    return CustomWeights.from_mapping(data)


# what a caller may pass as a custom model's weights: the weights, a mapping, or a TOML / JSON file
WeightsArg = CustomWeights | Mapping[str, Any] | str | Path | None


def as_weights(weights: WeightsArg) -> CustomWeights | None:
    if weights is None or isinstance(weights, CustomWeights):
        return weights
    if isinstance(weights, str | Path):
        return load_weights(weights)
    return CustomWeights.from_mapping(weights)


def describe(
    name: str,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    order: int = DEFAULT_ORDER,
    weights: CustomWeights | None = None,
) -> str:
    """The model's exact weights as text, with its parameters filled in."""
    m = check_model(name)
    custom = weights.describe() if weights else "your weights per position and touchpoint type (--weights)"
    return m.weights.format(half_life_days=half_life_days, order=order, custom=custom)


def position_credit(slots: Weights5, n: int, n_lc: int, n_oc: int) -> np.ndarray:
    """Credit of each of a journey's n touches (in order); the SQL macro's rule in Python.

    n_lc / n_oc: 1-based index of the LC / OC touch, 0 when missing.
    """
    w_ft, w_lc, w_oc, w_cl, w_mid = slots
    rn = np.arange(1, n + 1)
    held = np.zeros(n)
    positional = np.zeros(n, dtype=bool)
    for w, at in ((w_ft, 1), (w_lc, n_lc), (w_oc, n_oc), (w_cl, n)):
        if w > 0 and at > 0:
            held[rn == at] += w
            positional |= rn == at
    n_mid = int((~positional).sum())
    present = w_ft + w_cl + (w_lc if n_lc else 0) + (w_oc if n_oc else 0) + (w_mid if n_mid else 0)
    if present == 0:
        return np.full(n, 1.0 / n)
    if n_mid:
        held[~positional] += w_mid / n_mid
    return held / present


# the team's models are part of the catalogue from the start (CLOSEDLOOP_MODELS or models.toml)
load_team_models()
