"""The dashboard's pages, in navigation order. The router and the tests both read this list."""

from __future__ import annotations

from typing import NamedTuple


class PageSpec(NamedTuple):
    path: str
    title: str
    icon: str
    url_path: str
    section: str


PAGES: list[PageSpec] = [
    PageSpec("pages/review.py", "Closed-loop review", ":material/fact_check:", "closed-loop-review", "Review"),
    PageSpec("pages/review_meeting.py", "Review meeting", ":material/groups:", "meeting", "Review"),
    PageSpec("pages/journeys.py", "Journeys", ":material/route:", "paths", "Review"),
    PageSpec("pages/lift.py", "Touchpoint lift", ":material/compare_arrows:", "win-rate-lift", "Review"),
    PageSpec("pages/attribution.py", "Attribution", ":material/pie_chart:", "credit", "Marketing"),
    PageSpec("pages/pipeline_influence.py", "Pipeline influence", ":material/trending_up:", "pipeline", "Marketing"),
    PageSpec("pages/handoff.py", "Handoff & SLA", ":material/timer:", "sla", "Sales"),
    PageSpec("pages/deal_explorer.py", "Deal explorer", ":material/timeline:", "deal", "Sales"),
    PageSpec("pages/data.py", "Data", ":material/upload_file:", "import-data", "Data"),
]
