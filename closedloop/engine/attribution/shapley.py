"""Exact Shapley values over channels (DESIGN.md).

The coalition value is v(S) = sum, over the channel sets T within S, of r(T): the
win rate of the closed deals whose set of channels is exactly T (or, in the
conversions-only variant, their number of wins). v is the subset-sum (zeta)
transform of r, so r is v's Moebius transform, i.e. its Harsanyi dividends, and
the Shapley value is exactly

    phi(c) = sum over observed sets T containing c of r(T) / |T|.

That is exact for any number of channels and costs one pass over the observed
sets. `coalition_values` and `shapley_from_values` do the textbook 2^n
enumeration in numpy, for checking and for games given as a full value table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

VARIANTS = ("win_rate", "conversions")
# 2^n values of 8 bytes: 2^25 is 256 MB
_MAX_ENUMERATED = 25


def set_rates(coalitions: pd.DataFrame, variant: str = "win_rate") -> pd.DataFrame:
    """r(T) per non-empty channel set: columns channels (tuple), rate."""
    if variant not in VARIANTS:
        raise ValueError(f"Shapley variant must be one of {', '.join(VARIANTS)}, got {variant!r}.")
    df = coalitions.copy()
    df["channels"] = [tuple(sorted(set(c))) for c in df["channels"]]
    df = df[df["channels"].map(len) > 0]
    df = df.groupby("channels", as_index=False)[["wins", "losses"]].sum()
    closed = df["wins"] + df["losses"]
    if variant == "win_rate":
        df["rate"] = np.where(closed > 0, df["wins"] / closed.where(closed > 0, 1), 0.0)
    else:
        df["rate"] = df["wins"].astype(float)
    return df[["channels", "rate"]]


def shapley_values(coalitions: pd.DataFrame, variant: str = "win_rate") -> pd.DataFrame:
    """One row per channel: shapley_value (phi) and share (phi normalized to 1).

    `coalitions`: columns channels (a sequence per row), wins, losses — the output of
    queries/attribution_shapley_coalitions.sql. The values sum to v(all channels).
    """
    rates = set_rates(coalitions, variant)
    phi: dict[str, float] = {}
    for channels, rate in zip(rates["channels"], rates["rate"], strict=True):
        for c in channels:
            phi[c] = phi.get(c, 0.0) + rate / len(channels)
    out = pd.DataFrame(sorted(phi.items()), columns=["channel", "shapley_value"])
    total = out["shapley_value"].sum()
    out["share"] = out["shapley_value"] / total if total > 0 else 0.0
    return out


def coalition_values(rates: pd.DataFrame, channels: Sequence[str]) -> np.ndarray:
    """v(S) for every subset S of `channels` (bit i = channels[i]), by a subset-sum transform."""
    n = len(channels)
    if n > _MAX_ENUMERATED:
        raise ValueError(f"Enumerating 2^{n} coalitions is too large; use shapley_values (exact for any n).")
    bit = {c: 1 << i for i, c in enumerate(channels)}
    v = np.zeros(1 << n)
    for t, rate in zip(rates["channels"], rates["rate"], strict=True):
        v[sum(bit[c] for c in t)] += rate
    masks = np.arange(1 << n)
    for i in range(n):
        # add every set without channel i into the same set with it
        with_i = masks[(masks >> i) & 1 == 1]
        v[with_i] += v[with_i ^ (1 << i)]
    return v


def shapley_from_values(v: np.ndarray) -> np.ndarray:
    """Exact Shapley values of any game given as v over all 2^n subsets (v[0] = empty set)."""
    size = v.shape[0]
    n = size.bit_length() - 1
    if 1 << n != size:
        raise ValueError("v must have 2^n entries.")
    masks = np.arange(size)
    sizes = np.bitwise_count(masks)
    # weight of a coalition S of size s not holding i: s! (n - s - 1)! / n!
    weight = np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)])
    phi = np.zeros(n)
    for i in range(n):
        without = masks[(masks >> i) & 1 == 0]
        phi[i] = np.sum(weight[sizes[without]] * (v[without | (1 << i)] - v[without]))
    return phi
