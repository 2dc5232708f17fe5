"""The run's first stage: staging each file as a table (readers.py does the reading)."""

from __future__ import annotations

from closedloop.importer.errors import Problem, UnreadableFile
from closedloop.importer.mapping import Source
from closedloop.importer.readers import InputFile, StagedTable, stage_file
from closedloop.importer.stages.base import RunState


class Staging(RunState):
    """Stage 1: read every file into a staged table."""

    def _stage_all(self, inputs: list[InputFile]) -> None:
        hints = [set(s.signature) for s in self.mapping.primaries() if s.signature]
        sizes = [max(i.path.stat().st_size, 1) for i in inputs]
        done, total = 0, sum(sizes) or 1
        for n, (inp, size) in enumerate(zip(inputs, sizes, strict=True)):
            if self.mapping.ignores(inp.name):
                self.ignored.append(inp.name)
                continue
            base, share = 0.5 * done / total, 0.5 * size / total

            def tick(f: float, base: float = base, share: float = share, name: str = inp.name) -> None:
                self.progress(base + share * f, f"Reading {name}")

            tick(0.0)
            try:
                for staged in stage_file(self.con, inp, f"{self.prefix}_f{n}", hints, tick, self.limit, defer=True):
                    self.temp_tables += [f"{staged.table}_raw", staged.table]
                    idx = len(self.staged)
                    self.staged.append(staged)
                    for pr in staged.problems:
                        if pr.row is None:
                            self.file_problems.append(pr)
                        else:
                            self.row_problems.append((idx, pr))
            except UnreadableFile as exc:
                self.file_problems.append(Problem("error", inp.name, None, None, None, exc.problem, exc.fix))
            done += size

    def _choose(self, staged: StagedTable) -> Source | None:
        header = {c.lower() for c in staged.columns}
        name = staged.input.name if staged.sheet is None else staged.sheet
        primaries = self.mapping.primaries()
        score = {s.name: max(s.name_score(name), s.name_score(staged.input.name)) for s in primaries}
        # the most specific pattern first: "*contact*role*" before "*contact*"
        by_name = sorted((s for s in primaries if score[s.name]), key=lambda s: -score[s.name])
        by_sig = [s for s in primaries if s.signature and {c.lower() for c in s.signature} <= header]
        by_sig.sort(key=lambda s: -len(s.signature))
        if by_name:
            both = sorted((s for s in by_name if s in by_sig), key=lambda s: (-score[s.name], -len(s.signature)))
            if both:
                return both[0]
            if by_sig and not any(s.signature and {c.lower() for c in s.signature} & header for s in by_name):
                self.file_problems.append(
                    Problem.of_file(
                        "error",
                        staged.file,
                        f"the file is named like {by_name[0].label} but its columns are those of {by_sig[0].label}",
                        f"Check that you picked the right file; if it is {by_sig[0].label}, "
                        f"rename it to match {' or '.join(by_sig[0].files) or 'that export'}.",
                        by_name[0].table,
                    )
                )
                return None
            return by_name[0]
        if by_sig:
            return by_sig[0]
        if staged.sheet is not None and len([s for s in self.staged if s.input == staged.input]) > 1:
            self.ignored.append(staged.file)
            return None
        known = "; ".join(
            f"{s.label} ({', '.join(s.files) or 'any name'}; columns {', '.join(s.signature)})" for s in primaries
        )
        one_col = len(staged.columns) == 1 and staged.format == "csv"
        self.file_problems.append(
            Problem.of_file(
                "error",
                staged.file,
                "can't tell which kind of export this is"
                + (
                    f": its header was read as one column '{staged.columns[0]}'"
                    if one_col
                    else f" from its name or its columns ({', '.join(staged.columns[:12])})"
                ),
                ("Save it with commas, semicolons, tabs or | between values. " if one_col else "")
                + f"Mapping '{self.mapping.name}' reads: {known}. Rename the file or pick another mapping.",
            )
        )
        return None
