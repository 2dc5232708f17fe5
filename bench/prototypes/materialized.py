"""Prototype (benchmark only, not the product): do the expensive join once.

`build(con)` materializes, for the default parameters (lookback 180 days, account
scope), every deal's touches with their positions into two narrow tables:

* `cl_deal`: one row per deal, an integer `deal_idx`, its outcome / amount / dates /
  filter columns and `touches` (0 = "No touchpoint");
* `cl_touch`: one row per deal and touch in its window, stored in journey order:
  deal_idx, rn, n, n_lc, n_oc (the positions of queries/macros.sql), the keys as
  dictionary-encoded ENUMs (channel, touchpoint_type, team, campaign_id, asset) and
  the seconds before the deal's last touch (time decay).

Then every model aggregates from `cl_touch` without joining touchpoints to deals
again or sorting 10M rows by strings:

* `rule_rollup`: the same rows as queries/attribution_rollup.sql (all 11 models);
* `markov_transitions`: order-k states as integers (enum codes packed 8 bits per step)
  instead of lists; `removal_effects`: the chain built with numpy, solved sparse;
* `shapley_coalitions`: each deal's key set as a bitmask (bit_or), Shapley by bits;
* `lift`: touched / not-touched counts per key from distinct (deal, key) pairs.

Results equal the engine's (bench/prototypes/check.py checks it at a scale). Nothing in
closedloop/ or queries/ uses this: it measures what the proposed change would buy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ("channel", "touchpoint_type", "team", "campaign_id", "asset")

# The position rule of queries/macros.sql (attribution_middle_count / _position_credit),
# copied so the prototype does not break while those macros change.
MACROS = """
create or replace temp macro proto_middle_count(w_ft, w_lc, w_oc, w_cl, n, n_lc, n_oc) as
    n
    - cast(w_ft > 0 as integer)
    - cast(w_lc > 0 and n_lc > 0 and not (w_ft > 0 and n_lc = 1) as integer)
    - cast(w_oc > 0 and n_oc > 0 and not (w_ft > 0 and n_oc = 1) and not (w_lc > 0 and n_oc = n_lc) as integer)
    - cast(w_cl > 0 and not (w_ft > 0 and n = 1) and not (w_lc > 0 and n = n_lc)
        and not (w_oc > 0 and n = n_oc) as integer);
create or replace temp macro proto_position_credit(w_ft, w_lc, w_oc, w_cl, w_mid, rn, n, n_lc, n_oc) as
    coalesce(
        (
            (case when rn = 1 then w_ft else 0 end)
            + (case when rn = n_lc then w_lc else 0 end)
            + (case when rn = n_oc then w_oc else 0 end)
            + (case when rn = n then w_cl else 0 end)
            + (case
                when (w_ft > 0 and rn = 1) or (w_lc > 0 and rn = n_lc)
                    or (w_oc > 0 and rn = n_oc) or (w_cl > 0 and rn = n) then 0
                else w_mid / proto_middle_count(w_ft, w_lc, w_oc, w_cl, n, n_lc, n_oc)
            end)
        ) / nullif(
            w_ft + w_cl
            + (case when n_lc > 0 then w_lc else 0 end)
            + (case when n_oc > 0 then w_oc else 0 end)
            + (case when proto_middle_count(w_ft, w_lc, w_oc, w_cl, n, n_lc, n_oc) > 0 then w_mid else 0 end),
            0
        ),
        1.0 / n
    );
-- the same credit from a touch's position flags (f: rn = 1, l: rn = n_lc, o: rn = n_oc, c: rn = n),
-- so touches with equal (n, n_lc, n_oc, flags) can be summed first and credited once
create or replace temp macro proto_flag_credit(w_ft, w_lc, w_oc, w_cl, w_mid, f, l, o, c, n, n_lc, n_oc) as
    coalesce(
        (
            (case when f then w_ft else 0 end)
            + (case when l then w_lc else 0 end)
            + (case when o then w_oc else 0 end)
            + (case when c then w_cl else 0 end)
            + (case
                when (w_ft > 0 and f) or (w_lc > 0 and l) or (w_oc > 0 and o) or (w_cl > 0 and c) then 0
                else w_mid / proto_middle_count(w_ft, w_lc, w_oc, w_cl, n, n_lc, n_oc)
            end)
        ) / nullif(
            w_ft + w_cl
            + (case when n_lc > 0 then w_lc else 0 end)
            + (case when n_oc > 0 then w_oc else 0 end)
            + (case when proto_middle_count(w_ft, w_lc, w_oc, w_cl, n, n_lc, n_oc) > 0 then w_mid else 0 end),
            0
        ),
        1.0 / n
    );
"""


DEFAULT_HALF_LIFE = 7.0


def build(con, lookback_days: int = 180) -> None:
    """Materialize cl_deal, cl_touch and cl_deal_campaign (account scope) in the open, writable database."""
    con.execute("drop table if exists cl_touch; drop table if exists cl_deal_campaign")
    for key in KEYS:
        con.execute(f"drop type if exists cl_{key}")
        con.execute(f"create type cl_{key} as enum (select distinct {key} from touchpoints "
                    f"where {key} is not null order by 1)")
    con.execute(
        """
        create or replace temp table cl_deal0 as
        with first_lead as (
            select account_id, min(created_at) as lead_created_at
            from (select account_id, created_at from contacts union all select account_id, created_at from leads)
            where account_id is not null
            group by account_id
        )
        select
            cast(row_number() over (order by d.deal_id) as integer) as deal_idx,
            d.deal_id, d.account_id, d.created_at, d.closed_at, d.outcome,
            coalesce(d.amount, 0) as amount, d.owner, a.segment, a.region, f.lead_created_at
        from deals as d
        left join accounts as a on a.account_id = d.account_id
        left join first_lead as f on f.account_id = d.account_id
        """
    )
    con.execute(
        f"""
        create or replace table cl_touch as
        with joined as (
            select d.deal_idx, d.created_at, d.lead_created_at, t.touchpoint_id, t.occurred_at,
                   cast(t.channel as cl_channel) as channel,
                   cast(t.touchpoint_type as cl_touchpoint_type) as touchpoint_type,
                   cast(t.team as cl_team) as team,
                   cast(t.campaign_id as cl_campaign_id) as campaign_id,
                   cast(t.asset as cl_asset) as asset
            from cl_deal0 as d
            join touchpoints as t on t.account_id = d.account_id
            where t.occurred_at >= d.created_at - to_days({int(lookback_days)})
              -- a naive timestamp bound: comparing with current_timestamp (TIMESTAMPTZ)
              -- converts every row through the time zone and costs 5x the join
              and t.occurred_at <= coalesce(d.closed_at, cast(current_timestamp at time zone 'UTC' as timestamp))
        ),
        positioned as (
            select
                *,
                row_number() over journey as rn,
                count(*) over whole as n,
                count(*) filter (where occurred_at <= lead_created_at) over whole as n_lc,
                count(*) filter (where occurred_at <= created_at) over whole as n_oc,
                epoch(max(occurred_at) over whole) - epoch(occurred_at) as secs_before_last,
                -- the last 5 channels up to this touch, enum code + 1, 8 bits each, this touch lowest:
                -- a Markov state of order k is hist & (2^(8k) - 1), the previous state hist >> 8
                cast(enum_code(channel) + 1 as bigint)
                    | (coalesce(cast(lag(enum_code(channel) + 1, 1) over journey as bigint), 0) << 8)
                    | (coalesce(cast(lag(enum_code(channel) + 1, 2) over journey as bigint), 0) << 16)
                    | (coalesce(cast(lag(enum_code(channel) + 1, 3) over journey as bigint), 0) << 24)
                    | (coalesce(cast(lag(enum_code(channel) + 1, 4) over journey as bigint), 0) << 32)
                    as hist_channel
            from joined
            window
                journey as (partition by deal_idx order by occurred_at, touchpoint_id),
                whole as (partition by deal_idx order by occurred_at, touchpoint_id
                          rows between unbounded preceding and unbounded following)
        ),
        decayed as (
            select *, pow(2, -secs_before_last / (86400.0 * {DEFAULT_HALF_LIFE})) as decay_weight
            from positioned
        )
        select
            deal_idx,
            cast(rn as integer) as rn,
            cast(n as integer) as n,
            cast(n_lc as integer) as n_lc,
            cast(n_oc as integer) as n_oc,
            channel, touchpoint_type, team, campaign_id, asset,
            cast(secs_before_last as double) as secs_before_last,
            -- time decay's credit at the default half-life, normalized per deal
            decay_weight / sum(decay_weight) over (partition by deal_idx) as decay_default,
            hist_channel
        from decayed
        order by deal_idx, rn
        """
    )
    con.execute(
        """
        create or replace table cl_deal as
        with stats as (
            select deal_idx, max(n) as touches,
                   bit_or(cast(1 as bigint) << enum_code(channel)) as channel_mask,
                   bit_or(cast(1 as bigint) << enum_code(touchpoint_type)) as type_mask
            from cl_touch
            group by deal_idx
        )
        select d.*, coalesce(s.touches, 0) as touches, coalesce(s.channel_mask, 0) as channel_mask,
               coalesce(s.type_mask, 0) as type_mask
        from cl_deal0 as d
        left join stats as s on s.deal_idx = d.deal_idx
        order by d.deal_idx
        """
    )
    con.execute(
        """
        create or replace table cl_deal_campaign as
        select distinct deal_idx, campaign_id from cl_touch where campaign_id is not null order by deal_idx
        """
    )
    con.execute("drop table cl_deal0")
    con.execute("checkpoint")


_RULES = [
    ("first_touch", (1, 0, 0, 0, 0)),
    ("last_touch", (0, 0, 0, 1, 0)),
    ("linear", (0, 0, 0, 0, 1)),
    ("u_shaped", (40, 40, 0, 0, 20)),
    ("w_shaped", (30, 30, 30, 0, 10)),
    ("full_path", (225, 225, 225, 225, 100)),
    ("position_40_20_40", (40, 0, 0, 40, 20)),
    ("j_shaped", (20, 0, 0, 60, 20)),
    ("inverse_j", (60, 0, 0, 20, 20)),
]


def _period(date_from, date_to) -> str:
    lo = "true" if date_from is None else f"{{col}} >= date '{date_from}'"
    hi = "true" if date_to is None else f"{{col}} < date '{date_to}' + interval 1 day"
    return f"({lo} and {hi})"


def rule_rollup(con, by: str = "channel", half_life_days: float = DEFAULT_HALF_LIFE, custom=None,
                date_from=None, date_to=None, sql_only: bool = False) -> pd.DataFrame:
    """Every rule-based model's wins / won revenue / pipeline per key (the engine's roll-up rows).

    One pass over cl_touch joined to the period's deals, grouped by key and position
    signature (n, n_lc, n_oc and the four position flags): a position model's credit is
    the same for every touch of a group, so it is applied to ~50k group sums instead of
    10M touches. Time decay reads the precomputed default-half-life credit (another
    half-life adds one per-deal pass). `custom`: (FT, LC, OC, CL, middle) weights, no
    type multipliers in this prototype; None = not computed (as compare_models does
    without weights).
    """
    assert by in KEYS
    period = _period(date_from, date_to)
    rules = list(_RULES) + ([("custom", tuple(custom))] if custom is not None else [])
    models = [name for name, _ in rules] + ["time_decay"]
    if half_life_days == DEFAULT_HALF_LIFE:
        decay_src, decay = "cl_touch", "decay_default"
    else:
        hl = float(half_life_days)
        decay_src = f"""(select *, pow(2, -secs_before_last / (86400.0 * {hl}))
                             / sum(pow(2, -secs_before_last / (86400.0 * {hl}))) over (partition by deal_idx)
                             as decay_other from cl_touch)"""
        decay = "decay_other"
    credit = ",\n".join(
        f"sum(proto_flag_credit({w[0]}, {w[1]}, {w[2]}, {w[3]}, {w[4]}, f, l, o, c, n, n_lc, n_oc) * {m})"
        f" as {name}_{m[0]}"
        for name, w in rules for m in ("w", "r", "p")
    )
    decay_sums = "sum(dw) as time_decay_w, sum(dr) as time_decay_r, sum(dp) as time_decay_p"
    unpivot = ",\n".join(f"({m}_w, {m}_r, {m}_p) as {m}" for m in models)
    ones = ", ".join(f"sum(won) as {m}_w, sum(won * amount) as {m}_r, sum(created * amount) as {m}_p"
                     for m in models)
    sql = f"""
    with
    scoped as (
        select * from (
            select deal_idx, amount, touches,
                cast(outcome = 'won' and closed_at is not null and {period.format(col='closed_at')} as integer) as won,
                cast(created_at is not null and {period.format(col='created_at')} as integer) as created
            from cl_deal
        ) where won = 1 or created = 1
    ),
    groups as (
        select
            t.{by} as key, t.n, t.n_lc, t.n_oc,
            t.rn = 1 as f, t.rn = t.n_lc as l, t.rn = t.n_oc as o, t.rn = t.n as c,
            sum(s.won) as w, sum(s.won * s.amount) as r, sum(s.created * s.amount) as p,
            sum(t.{decay} * s.won) as dw, sum(t.{decay} * s.won * s.amount) as dr,
            sum(t.{decay} * s.created * s.amount) as dp
        from {decay_src} as t
        join scoped as s on s.deal_idx = t.deal_idx
        group by all
    ),
    totals as (
        select cast(key as varchar) as key, {credit}, {decay_sums}
        from groups group by key
        union all
        select 'No touchpoint', {ones}
        from scoped where touches = 0
    )
    select model, key, attributed_wins, attributed_revenue_usd, attributed_pipeline_usd
    from (unpivot totals on {unpivot}
          into name model value attributed_wins, attributed_revenue_usd, attributed_pipeline_usd)
    order by model, attributed_wins desc, attributed_revenue_usd desc, key
    """
    if sql_only:
        return sql
    cur = con.cursor()
    try:
        cur.execute(MACROS)
        return cur.execute(sql).df()
    finally:
        cur.close()


def _closed(date_from=None, date_to=None) -> str:
    return f"outcome in ('won', 'lost') and {_period(date_from, date_to).format(col='closed_at')}"


def markov_transitions(con, order: int = 1, by: str = "channel") -> pd.DataFrame:
    """Transition counts with integer states: a state packs the last `order` keys' enum codes
    (+1, 8 bits each, most recent lowest); 0 = the start. Columns from_state, to_state
    (-1 = absorbed), won (for absorptions), transitions.

    By channel the states come straight from the precomputed hist_channel (no window, no
    sort); other keys pack theirs with lag() windows."""
    assert 1 <= order <= 4 and by in KEYS
    mask = (1 << (8 * order)) - 1
    if by == "channel":
        states = f"""
        select d.outcome = 'won' as won, t.rn = t.n as is_last,
               cast(t.hist_channel & {mask} as bigint) as state,
               cast((t.hist_channel >> 8) & {mask} as bigint) as previous
        from cl_touch as t
        join cl_deal as d on d.deal_idx = t.deal_idx
        where d.{_closed()}
        """
    else:
        packed = " | ".join(
            f"(coalesce(cast(lag(code, {j}) over journey as bigint), 0) << {8 * j})" if j else "cast(code as bigint)"
            for j in range(order)
        )
        prev = " | ".join(
            f"(coalesce(cast(lag(code, {j + 1}) over journey as bigint), 0) << {8 * j})" for j in range(order)
        )
        states = f"""
        select won, rn = n as is_last, {packed} as state, {prev} as previous
        from (
            select t.deal_idx, t.rn, t.n, enum_code(t.{by}) + 1 as code, d.outcome = 'won' as won
            from cl_touch as t
            join cl_deal as d on d.deal_idx = t.deal_idx
            where d.{_closed()}
        )
        window journey as (partition by deal_idx order by rn)
        """
    sql = f"""
    with states as ({states})
    select previous as from_state, state as to_state, null::boolean as won, count(*) as transitions
    from states group by all
    union all
    select state, -1, won, count(*) from states where is_last group by all
    """
    cur = con.cursor()
    try:
        df = cur.execute(sql).df()
        labels = cur.execute(f"select unnest(enum_range(null::cl_{by}))").fetchall()
    finally:
        cur.close()
    df.attrs["labels"] = [r[0] for r in labels]
    df.attrs["order"] = order
    return df


def removal_effects(transitions: pd.DataFrame) -> pd.DataFrame:
    """The engine's markov.removal_effects on integer states: numpy + one sparse solve per key."""
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    labels = transitions.attrs["labels"]
    order = transitions.attrs["order"]
    moves = transitions[transitions["to_state"] >= 0]
    absorbed = transitions[transitions["to_state"] < 0]
    states, inverse = np.unique(
        np.concatenate([[0], moves["from_state"].to_numpy(), moves["to_state"].to_numpy(),
                        absorbed["from_state"].to_numpy()]),
        return_inverse=True,
    )
    k = len(moves)
    src, dst = inverse[1:1 + k], inverse[1 + k:1 + 2 * k]
    a_src = inverse[1 + 2 * k:]
    size = len(states)
    cnt = moves["transitions"].to_numpy(dtype=float)
    a_cnt = absorbed["transitions"].to_numpy(dtype=float)
    out_total = np.bincount(src, weights=cnt, minlength=size) + np.bincount(a_src, weights=a_cnt, minlength=size)
    out_total[out_total == 0] = 1.0
    r = np.bincount(a_src, weights=a_cnt * absorbed["won"].to_numpy(dtype=bool), minlength=size) / out_total
    q = sparse.csr_matrix((cnt / out_total[src], (src, dst)), shape=(size, size))
    start = int(np.searchsorted(states, 0))
    # which codes each state holds (8 bits per step)
    codes = np.stack([(states >> (8 * j)) & 0xFF for j in range(order)], axis=1)

    def p_conv(keep: np.ndarray) -> float:
        idx = np.flatnonzero(keep)
        pos = np.searchsorted(idx, start)
        if pos >= len(idx) or idx[pos] != start:
            return 0.0
        sub = q[idx][:, idx]
        x = spsolve((sparse.identity(len(idx), format="csc") - sub).tocsc(), r[idx])
        return float(np.atleast_1d(x)[pos])

    base = p_conv(np.ones(size, dtype=bool))
    rows = []
    for c, label in enumerate(labels, start=1):
        keep = ~(codes == c).any(axis=1)
        if keep.all():
            continue
        effect = 1.0 - p_conv(keep) / base if base > 0 else 0.0
        rows.append((label, min(max(effect, 0.0), 1.0)))
    out = pd.DataFrame(rows, columns=["channel", "removal_effect"])
    total = out["removal_effect"].sum()
    out["share"] = out["removal_effect"] / total if total > 0 else 0.0
    out.attrs["conversion_probability"] = base
    return out


_MASKS = {"channel": "channel_mask", "touchpoint_type": "type_mask"}


def shapley_coalitions(con, by: str = "channel") -> pd.DataFrame:
    """Closed deals per key set, the set as a bitmask of enum codes (<= 63 keys): by channel and
    touchpoint type from cl_deal's precomputed masks, other keys from cl_touch."""
    assert by in KEYS
    if by in _MASKS:
        sets = f"select outcome = 'won' as won, amount, {_MASKS[by]} as mask from cl_deal where {_closed()}"
    else:
        sets = f"""
        select d.deal_idx, d.outcome = 'won' as won, d.amount,
               coalesce(bit_or(cast(1 as bigint) << enum_code(t.{by})), 0) as mask
        from cl_deal as d
        left join cl_touch as t on t.deal_idx = d.deal_idx
        where d.{_closed()}
        group by all
        """
    sql = f"""
    with sets as ({sets})
    select mask, count(*) filter (where won) as wins, count(*) filter (where not won) as losses,
           coalesce(sum(amount) filter (where won), 0) as won_revenue_usd
    from sets group by mask
    """
    cur = con.cursor()
    try:
        df = cur.execute(sql).df()
        labels = [r[0] for r in cur.execute(f"select unnest(enum_range(null::cl_{by}))").fetchall()]
    finally:
        cur.close()
    if len(labels) > 63:
        raise ValueError("the bitmask prototype covers up to 63 keys")
    df.attrs["labels"] = labels
    return df


def shapley_values(coalitions: pd.DataFrame) -> pd.DataFrame:
    """phi(c) = sum over observed sets T holding c of winrate(T) / |T| (the engine's closed form)."""
    labels = coalitions.attrs["labels"]
    df = coalitions[coalitions["mask"] != 0]
    mask = df["mask"].to_numpy(dtype=np.int64)
    closed = (df["wins"] + df["losses"]).to_numpy(dtype=float)
    rate = np.where(closed > 0, df["wins"].to_numpy(dtype=float) / np.where(closed > 0, closed, 1), 0.0)
    size = np.bitwise_count(mask)
    phi = {}
    for c, label in enumerate(labels):
        has = (mask >> c) & 1 == 1
        if has.any():
            phi[label] = float(np.sum(rate[has] / size[has]))
    out = pd.DataFrame(sorted(phi.items()), columns=["channel", "shapley_value"])
    total = out["shapley_value"].sum()
    out["share"] = out["shapley_value"] / total if total > 0 else 0.0
    return out


def lift_counts(con, dimension: str = "touchpoint_type", date_from=None, date_to=None) -> pd.DataFrame:
    """Touched won / lost counts per key among closed deals (the counts behind the lift query):
    from cl_deal's masks for touchpoint type and channel, from cl_deal_campaign for campaigns,
    from distinct (deal, key) of cl_touch otherwise."""
    assert dimension in KEYS
    closed = f"select deal_idx, outcome = 'won' as won{{extra}} from cl_deal where {_closed(date_from, date_to)}"
    if dimension in _MASKS:
        # count deals per distinct mask first (tens of thousands), then test each key's bit
        sql = f"""
        with closed as ({closed.format(extra=', ' + _MASKS[dimension] + ' as mask')}),
        masks as (select mask, count(*) filter (where won) as won, count(*) filter (where not won) as lost
                  from closed group by mask),
        keys as (select unnest(enum_range(null::cl_{dimension})) as key,
                        generate_subscripts(enum_range(null::cl_{dimension}), 1) - 1 as bit)
        select cast(k.key as varchar) as key,
               sum(m.won) filter (where (m.mask >> k.bit) & 1 = 1) as deals_touched_won,
               sum(m.lost) filter (where (m.mask >> k.bit) & 1 = 1) as deals_touched_lost
        from keys as k cross join masks as m
        group by k.key
        having count(*) filter (where (m.mask >> k.bit) & 1 = 1) > 0
        order by key
        """
    else:
        pairs = ("select deal_idx, campaign_id as key from cl_deal_campaign" if dimension == "campaign_id" else
                 f"select distinct deal_idx, {dimension} as key from cl_touch where {dimension} is not null")
        sql = f"""
        with closed as ({closed.format(extra='')}),
        keyed as ({pairs})
        select cast(k.key as varchar) as key,
               count(*) filter (where c.won) as deals_touched_won,
               count(*) filter (where not c.won) as deals_touched_lost
        from keyed as k join closed as c on c.deal_idx = k.deal_idx
        group by k.key
        order by key
        """
    cur = con.cursor()
    try:
        return cur.execute(sql).df()
    finally:
        cur.close()
