"""Markov-chain attribution, solved exactly.

Journeys of closed deals (won = conversion, lost = null) are chains of states; a
state of order k is the last k channels seen. From the transition counts
(queries/attribution_markov_transitions.sql, or `transitions_from_paths`) the
absorbing chain's conversion probability from the start is the solution of one
linear system, (I - Q) x = r. Removing a channel sends every transition into a
state that contains it to null; its removal effect is 1 - P(removed) / P(all).
No simulation and no path truncation, so loops and repeats are exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from closedloop.engine.attribution.models import MAX_ORDER

START: tuple[str, ...] = ()
# Above this many states a sparse factorization beats a dense solve.
_DENSE_LIMIT = 400

Path = Sequence[str]


def check_order(order: int) -> int:
    if isinstance(order, bool) or not isinstance(order, int | np.integer) or not 1 <= order <= MAX_ORDER:
        raise ValueError(f"The Markov order must be a whole number from 1 to {MAX_ORDER}, got {order!r}.")
    return int(order)


def transitions_from_paths(paths: Iterable[tuple[Path, float, float]], order: int = 1) -> pd.DataFrame:
    """Transition counts of aggregated journeys: (path, conversions, nulls) per row.

    The same columns as the SQL: from_state (() = start), to_state (None when
    absorbed), absorbed ('conversion' / 'null' / None), transitions.
    """
    order = check_order(order)
    moves: dict[tuple[tuple[str, ...], tuple[str, ...] | None, str | None], float] = defaultdict(float)
    for path, conversions, nulls in paths:
        total = conversions + nulls
        if not path or total <= 0:
            continue
        previous: tuple[str, ...] = START
        for i in range(len(path)):
            state = tuple(path[max(0, i - order + 1) : i + 1])
            moves[(previous, state, None)] += total
            previous = state
        if conversions:
            moves[(previous, None, "conversion")] += conversions
        if nulls:
            moves[(previous, None, "null")] += nulls
    rows = [(f, t, a, n) for (f, t, a), n in moves.items()]
    return pd.DataFrame(rows, columns=["from_state", "to_state", "absorbed", "transitions"])


def _as_state(value: object) -> tuple[str, ...] | None:
    # pandas hands a null list back as None, NaN or pd.NA depending on the version
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return tuple(str(v) for v in value)  # type: ignore[attr-defined]  # a list, once not null


@dataclass(frozen=True)
class Chain:
    """The absorbing chain: transient states (index 0 = start), Q among them, r into conversion."""

    states: list[tuple[str, ...]]
    q: object  # scipy.sparse.csr_matrix or np.ndarray
    r: np.ndarray

    @property
    def channels(self) -> list[str]:
        return sorted({c for s in self.states for c in s})


def build_chain(transitions: pd.DataFrame) -> Chain:
    """Transition probabilities from counts; every state's outgoing counts sum to 1."""
    index: dict[tuple[str, ...], int] = {START: 0}
    states: list[tuple[str, ...]] = [START]

    def at(state: tuple[str, ...]) -> int:
        if state not in index:
            index[state] = len(states)
            states.append(state)
        return index[state]

    src, dst, cnt, conv_src, conv_cnt = [], [], [], [], []
    out_total: dict[int, float] = defaultdict(float)
    columns = [transitions[c] for c in ("from_state", "to_state", "absorbed", "transitions")]
    for f, t, a, n in zip(*columns, strict=True):
        i = at(_as_state(f) or START)
        n = float(n)
        out_total[i] += n
        to = _as_state(t)
        if to is not None:
            src.append(i)
            dst.append(at(to))
            cnt.append(n)
        elif a == "conversion":
            conv_src.append(i)
            conv_cnt.append(n)
    size = len(states)
    totals = np.array([out_total.get(i, 0.0) for i in range(size)])
    # a state seen only as a destination never left the journey: it cannot be,
    # since every journey ends in an absorption; guard the division anyway
    totals[totals == 0] = 1.0
    r = np.zeros(size)
    np.add.at(r, np.array(conv_src, dtype=int), np.array(conv_cnt, dtype=float))
    r /= totals
    src_a, dst_a = np.array(src, dtype=int), np.array(dst, dtype=int)
    vals = np.array(cnt, dtype=float) / totals[src_a] if src else np.zeros(0)
    if size <= _DENSE_LIMIT:
        q: Any = np.zeros((size, size))
        np.add.at(q, (src_a, dst_a), vals)
    else:
        from scipy import sparse

        q = sparse.csr_matrix((vals, (src_a, dst_a)), shape=(size, size))
    return Chain(states=states, q=q, r=r)


def conversion_probability(chain: Chain, keep: np.ndarray | None = None) -> float:
    """P(conversion) from the start; states outside `keep` are null (absorbing, never convert)."""
    size = len(chain.states)
    keep_idx = np.arange(size) if keep is None else np.flatnonzero(keep)
    if keep_idx.size == 0 or keep_idx[0] != 0:
        return 0.0
    if not chain.r[keep_idx].any():
        return 0.0
    if isinstance(chain.q, np.ndarray):
        q = chain.q[np.ix_(keep_idx, keep_idx)]
        x = np.linalg.solve(np.eye(keep_idx.size) - q, chain.r[keep_idx])
        return float(x[0])
    from scipy import sparse
    from scipy.sparse.csgraph import breadth_first_order
    from scipy.sparse.linalg import splu

    q = chain.q[keep_idx][:, keep_idx].tocsr()  # type: ignore[index]
    # states the start can no longer reach (only through removed ones) drop out
    # of the system; the start is first in breadth-first order
    reach = breadth_first_order(q, 0, directed=True, return_predecessors=False)
    q = q[reach][:, reach]
    r = chain.r[keep_idx][reach]
    system = (sparse.identity(reach.size, format="csc") - q).tocsc()
    # loops make one large strongly connected block; this ordering keeps the
    # LU fill-in about half of the default's
    return float(splu(system, permc_spec="MMD_AT_PLUS_A").solve(r)[0])


def removal_effects(transitions: pd.DataFrame) -> pd.DataFrame:
    """One row per channel: removal_effect and share (removal effects normalized to 1).

    Also reports the chain's conversion probability in the attrs.
    """
    chain = build_chain(transitions)
    base = conversion_probability(chain)
    rows = []
    for channel in chain.channels:
        keep = np.array([channel not in s for s in chain.states])
        without = conversion_probability(chain, keep)
        effect = 1.0 - without / base if base > 0 else 0.0
        # a solve can land a hair outside [0, 1]
        rows.append((channel, min(max(effect, 0.0), 1.0)))
    out = pd.DataFrame(rows, columns=["channel", "removal_effect"])
    total = out["removal_effect"].sum()
    out["share"] = out["removal_effect"] / total if total > 0 else 0.0
    out.attrs["conversion_probability"] = base
    return out


def transition_probabilities(transitions: pd.DataFrame) -> pd.DataFrame:
    """Long table for a heatmap: from, to (text: '(start)', 'a > b', '(conversion)', '(null)'),
    transitions and probability."""
    df = transitions.copy()

    def label(state: object, absorbed: object = None) -> str:
        s = _as_state(state)
        if s is None:
            return f"({absorbed})"
        return " > ".join(s) if s else "(start)"

    df["from"] = [label(s) for s in df["from_state"]]
    df["to"] = [label(s, a) for s, a in zip(df["to_state"], df["absorbed"], strict=True)]
    df["probability"] = df["transitions"] / df.groupby("from")["transitions"].transform("sum")
    return df[["from", "to", "transitions", "probability"]].reset_index(drop=True)
