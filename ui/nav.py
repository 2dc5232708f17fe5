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
    PageSpec("views/review.py", "Closed-loop review", ":material/fact_check:", "closed-loop-review", "Review"),
    PageSpec("views/review_meeting.py", "Review meeting", ":material/groups:", "meeting", "Review"),
    PageSpec("views/journeys.py", "Journeys", ":material/route:", "paths", "Review"),
    PageSpec("views/lift.py", "Touchpoint lift", ":material/compare_arrows:", "win-rate-lift", "Review"),
    PageSpec("views/attribution.py", "Attribution", ":material/pie_chart:", "credit", "Marketing"),
    PageSpec("views/spend.py", "Spend & return", ":material/payments:", "spend", "Marketing"),
    PageSpec("views/pipeline_influence.py", "Pipeline influence", ":material/trending_up:", "pipeline", "Marketing"),
    PageSpec("views/handoff.py", "Handoff & SLA", ":material/timer:", "sla", "Sales"),
    PageSpec("views/deal_explorer.py", "Deal explorer", ":material/timeline:", "deal", "Sales"),
    PageSpec("views/data.py", "Data", ":material/upload_file:", "import-data", "Data"),
]
