"""What a meeting pack is (MeetingPack, its tables and deal sections), as plain values html and pdf draw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import altair as alt
import pandas as pd

CHART_WIDTH_PX = 720
# A pack lists every deal of its agenda in the agenda table, but writes a page (timeline, credit,
# notes) for at most this many, in agenda order: a page takes about half a second to build and
# draw, and nobody reads thousands. `report --max-deal-pages N` changes it (docs/review-meeting.md).
DEFAULT_MAX_DEAL_PAGES = 50

# progress(done, total, what): called as the pack is built and drawn ("Deal pages", 3, 50).
Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, what: str) -> None:
    return None


# --- what the pack holds, independent of its format -----------------------------------------------


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()  # right-aligned columns
    widths: tuple[float, ...] | None = None  # relative column widths in the PDF


@dataclass(frozen=True)
class DealSection:
    position: int
    heading: str
    facts: str
    timeline: alt.TopLevelMixin
    whole_deal: str
    touches_title: str
    touches: Table
    notes: Table | None


@dataclass(frozen=True)
class MeetingPack:
    title: str
    subtitle: list[str]
    kpis: list[tuple[str, str]]
    agenda: Table
    attribution_chart: alt.TopLevelMixin | None
    attribution_caption: str
    lift_chart: alt.TopLevelMixin | None
    lift_caption: str
    deals: list[DealSection]
    summary_headline: str
    agreement_chart: alt.TopLevelMixin | None
    agreement_table: Table | None
    talking_points: Table | None
    notes: pd.DataFrame  # every note of the review (review_notes): the CSV export
    deal_pages_note: str = ""  # said when the agenda has more deals than get a page
    # where the lift adjusted for the account disagrees with the raw lift (closedloop.pages.lift_adjusted)
    lift_adjusted_notes: list[str] = field(default_factory=list)
    spend: Table | None = None  # spend and return per channel (closedloop.engine.spend), when spend is recorded
    spend_caption: str = ""
    # won vs lost deals by days from first touch to close and by touches to close (path_reports)
    time_lag: Table | None = None
    path_length: Table | None = None
    paths_caption: str = ""
    generated_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))

    @property
    def deal_names(self) -> list[str]:
        return [d.heading for d in self.deals]
