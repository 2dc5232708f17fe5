"""The run's fourth stage: references, deal states, and touches after a deal closed."""

from __future__ import annotations

from closedloop.importer.catalog import (
    KEYS,
    REFERENCES,
    SINGULAR,
    quote_ident,
    row_count,
)
from closedloop.importer.readers import ROW
from closedloop.importer.stages.base import RunState
from closedloop.importer.transform import Mapped, Params


class References(RunState):
    """Stage 4: references against the files and the database, each deal's state as it will be, and
    touches after a close."""

    def _references(self) -> None:
        """Unknown accounts/contacts/deals/campaigns, against the files and the database.

        Repeated until stable: a rejected account makes its deals unknown references too.
        """
        checks = [
            (m, c.name, REFERENCES[(m.target, c.name)])
            for m in self.mapped
            for c in m.columns
            if (m.target, c.name) in REFERENCES
        ]
        if not checks:
            return
        for rnd in range(10):
            before = row_count(self.con, self.problems)
            for m, column, parent in checks:
                q = quote_ident(column)
                rows = m.table if rnd == 0 else self.good(m)
                # known: in the database or in a good row of a file of the parent table; each place
                # is its own anti-join (a union of every key first cost a copy of millions of keys).
                # Parent and key names come from the catalog's allowlist.
                key = KEYS[parent][0]
                known = [f"select 1 from {parent} as k where k.{key} = r.{q}"] + [
                    f"select 1 from {self.good(f)} as k where k.{quote_ident(key)} = r.{q}"
                    for f in self.mapped
                    if f.target == parent and f.written(key)
                ]
                p = Params()
                # each (row, column) is reported once, however many rounds it takes to settle
                seen = (
                    f"not exists (select 1 from {self.problems} as pr where pr.source = {m.index} "
                    f"and pr.row = r.{ROW} and pr.column_name = {p(m.specs[column].label())} "
                    f"and pr.problem like 'unknown %')"
                )
                self._emit(
                    m,
                    f"{q} is not null and " + " and ".join(f"not exists ({k})" for k in known) + f" and {seen}",
                    m.specs[column].label(),
                    q,
                    f"unknown {SINGULAR[parent]}: not in the files nor the database",
                    f"Import the {parent} export in the same run (or before), or correct the id.",
                    params=p,
                    table_sql=f"{rows} as r",
                )
            self._refresh_bad()
            after = row_count(self.con, self.problems)
            if after == before:
                break

    def _deal_state(self) -> None:
        """Each deal this run writes as it will be after the import, and the rules that need both
        halves of it, whichever half is in the database or in another file of the run.

        The state: the database's row, then each deals source's good rows in merge order, each
        layer setting the columns its source reads. Checked on it: a deal closed before it was
        created (error; the same row's dates are checked in _row_checks), a won or lost deal left
        without a close date (error), and a deal closed before the first touch of its account
        (warning: no touch counts for it).
        """
        sources = sorted(
            (m for m in self.mapped if m.target == "deals" and m.source.mode == "upsert" and m.written("deal_id")),
            key=self.merge_rank,
        )
        if not sources:
            return
        cols = {"account_id": "varchar", "created_at": "timestamp", "closed_at": "timestamp", "outcome": "varchar"}
        parts = []
        for layer, m in enumerate(sources, start=1):
            vals = ", ".join(
                f"{c} as {c}, true as w_{c}" if m.written(c) else f"cast(null as {t}) as {c}, false as w_{c}"
                for c, t in cols.items()
            )
            parts.append(
                f"select deal_id, {layer} as layer, {m.index} as source, {ROW} as row_n, {vals} "
                f"from {self.good(m)} where deal_id is not null"
            )
        files = " union all ".join(parts)
        in_db = ", ".join(f"{c}, true as w_{c}" for c in cols)
        last = ", ".join(
            f"max_by(struct_pack(v := {c}, layer := layer, source := source, row_n := row_n), "
            f"layer * 1e12 + coalesce(row_n, 0)) filter (where w_{c}) as {c}"
            for c in cols
        )
        state = f"{self.prefix}_deals"
        self.temp_tables.append(state)
        self.con.execute(
            f"""
            create or replace temp table {state} as
            with layers as (
                {files}
                union all
                select deal_id, 0 as layer, -1 as source, null as row_n, {in_db}
                from deals where deal_id in (select deal_id from ({files}))
            )
            select deal_id, {last},
                   max_by(struct_pack(source := source, row_n := row_n), layer * 1e12 + coalesce(row_n, 0))
                       filter (where layer > 0) as last_row
            from layers group by deal_id
            """
        )
        where_from = (
            "case {f}.source when -1 then 'the database' "
            + " ".join(f"when {i} then 'row ' || {{f}}.row_n || ' of ' || $f{i}" for i in {m.index for m in sources})
            + " end"
        )
        file_params = {f"f{m.index}": m.file for m in sources}
        for m in sources:
            # closed before created, the two dates from different places: reported on the row of
            # the later one (the database always comes first)
            later = "(case when s.created_at.layer > s.closed_at.layer then s.created_at else s.closed_at end)"
            p = Params()
            p.values.update(file_params)
            self._emit(
                m,
                f"s.closed_at.v < s.created_at.v and s.closed_at.layer <> s.created_at.layer "
                f"and {later}.source = {p(m.index)}",
                "closed_at / created_at",
                "strftime(s.closed_at.v, '%Y-%m-%d %H:%M') || ' < ' || strftime(s.created_at.v, '%Y-%m-%d %H:%M')",
                "",
                "Check both dates: the close date must be on or after the created date. Correct the wrong one "
                "in its export (or import a corrected row for the database's).",
                params=p,
                problem_sql=(
                    "'the deal closed before it was created: closed_at from ' || "
                    + where_from.format(f="s.closed_at")
                    + " || ', created_at from ' || "
                    + where_from.format(f="s.created_at")
                ),
                table_sql=f"(select s.*, {later}.row_n as {ROW} from {state} as s) as s",
            )
            if not m.written("closed_at") and m.written("outcome"):
                p2 = Params()
                self._emit(
                    m,
                    f"s.outcome.v in ('won', 'lost') and s.closed_at.v is null and s.outcome.source = {p2(m.index)}",
                    "outcome",
                    "s.outcome.v",
                    "a won or lost deal needs a close date: this file has no close date column and the deal "
                    "has none yet",
                    "Add the close date column to this export (and to the mapping), or import the close dates first.",
                    params=p2,
                    table_sql=f"(select s.*, s.outcome.row_n as {ROW} from {state} as s) as s",
                )
        self._first_touch_after_close(state, sources)
        self.deal_state = state

    def _first_touch_after_close(self, state: str, sources: list[Mapped]) -> None:
        """A won or lost deal whose account's first touch came after its close: no touch counts for it."""
        touches = [
            m for m in self.mapped if m.target == "touchpoints" and m.written("occurred_at") and m.written("account_id")
        ]
        firsts = " union all ".join(
            ["select account_id, occurred_at from touchpoints"]
            + [f"select account_id, occurred_at from {self.good(t)}" for t in touches]
        )
        for m in sources:
            p = Params()
            self._emit(
                m,
                f"s.outcome.v in ('won', 'lost') and f.first_touch > s.closed_at.v "
                f"and s.last_row.source = {p(m.index)}",
                "closed_at",
                "strftime(s.closed_at.v, '%Y-%m-%d %H:%M')",
                "",
                "Nothing to fix if both dates are right: touches after the close never count, so this deal "
                "shows under 'No touchpoint'. Otherwise correct the close date or the touches' dates.",
                severity="warning",
                params=p,
                problem_sql=(
                    "'the deal closed (' || strftime(s.closed_at.v, '%Y-%m-%d') || ') before the first touch of "
                    "account ' || s.account_id.v || ' (' || strftime(f.first_touch, '%Y-%m-%d') || "
                    "'): no touch counts for it'"
                ),
                table_sql=(
                    f"(select s.*, s.last_row.row_n as {ROW} from {state} as s) as s join "
                    f"(select account_id, min(occurred_at) as first_touch from ({firsts}) "
                    f"where account_id in (select account_id.v from {state}) group by account_id) as f "
                    f"on f.account_id = s.account_id.v"
                ),
            )

    def _touches_after_close(self) -> None:
        touches = [
            m for m in self.mapped if m.target == "touchpoints" and m.written("occurred_at") and m.written("account_id")
        ]
        if not touches:
            return
        deal_sources = [
            m
            for m in self.mapped
            if m.target == "deals"
            and m.source.mode == "upsert"
            and all(m.written(c) for c in ("deal_id", "account_id", "closed_at", "outcome"))
        ]
        imported = (
            # each deal as the run leaves it, when several files (or the database) hold its halves
            f"select deal_id, account_id.v as account_id, closed_at.v as closed_at, outcome.v as outcome "
            f"from {self.deal_state}"
            if self.deal_state
            else " union all ".join(
                f"select deal_id, account_id, closed_at, outcome from {self.good(m)}" for m in deal_sources
            )
            or "select null::varchar as deal_id, null::varchar as account_id, null::timestamp as closed_at, "
            "null::varchar as outcome where false"
        )
        acct = f"{self.prefix}_acct"
        self.temp_tables.append(acct)
        self.con.execute(
            f"""
            create or replace temp table {acct} as
            with imported as ({imported}),
            all_deals as (
                select * from imported
                union all
                select deal_id, account_id, closed_at, outcome from deals
                where deal_id not in (select deal_id from imported where deal_id is not null)
            )
            select account_id, count(*) filter (where outcome = 'open') as open_deals,
                   max(closed_at) as last_close
            from all_deals where account_id is not null group by account_id
            """
        )
        for m in touches:
            self._emit(
                m,
                "a.open_deals = 0 and t.occurred_at > a.last_close",
                m.specs["occurred_at"].label(),
                "strftime(t.occurred_at, '%Y-%m-%d %H:%M')",
                "",
                "Nothing to fix if the touch is real: touches after the close never count.",
                severity="warning",
                problem_sql=(
                    "'after the last deal of account ' || t.account_id || ' closed (' "
                    "|| strftime(a.last_close, '%Y-%m-%d') || '): kept, but no deal counts it'"
                ),
                table_sql=f"{self.good(m)} as t join {acct} as a on a.account_id = t.account_id",
            )
