"""How the columns several pages show are titled and formatted (st.column_config), defined once so a
figure reads the same on every page: a closed deal's, a touch's and attributed credit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

NUM = st.column_config.NumberColumn

# a closed deal: the Closed-loop review's deals and the Review meeting's agenda
DEAL: dict[str, Any] = {
    "deal_id": "Deal ID",
    "deal_name": "Deal",
    "account_name": "Account",
    "owner": "Owner",
    "outcome": "Outcome",
    "amount_usd": NUM("Amount (USD)", format="$%,.0f"),
    "closed_on": st.column_config.DateColumn("Closed on"),
    "days_to_close": NUM("Days to close"),
}

# a touch: the Deal explorer's receipt and the Review meeting's touches of a deal
TOUCH: dict[str, Any] = {
    "touch_number": "#",
    "occurred_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD"),
    "team": "Team",
    "channel": "Channel",
    "touchpoint_type": "Touchpoint type",
    "campaign": "Campaign",
    "asset": "Asset",
    "positions": "Positions",
    "days_before_close": NUM("Days before close", format="%.1f"),
}

# a retro note: the Deal explorer's notes of a deal and the Review meeting's
NOTE: dict[str, Any] = {
    "created_at": st.column_config.DatetimeColumn("Noted at", format="YYYY-MM-DD HH:mm"),
    "team": "Team",
    "verdict": "Verdict",
    "touchpoint_type": "Touchpoint type",
    "text": st.column_config.TextColumn("Comment", width="large"),
}

# attributed credit per key: the Attribution page's roll-up and the Spend & return report
CREDIT: dict[str, Any] = {
    "attributed_wins": NUM("Attributed wins", format="%.2f"),
    "attributed_revenue_usd": NUM("Attributed won revenue (USD)", format="dollar"),
    "attributed_pipeline_usd": NUM("Attributed pipeline (USD)", format="dollar"),
}


def numbers(titles: dict[str, str], format: str | None = None) -> dict[str, Any]:
    """Number columns titled `titles` ({column: title}), all in one `format` (None: Streamlit's)."""
    return {name: NUM(title, format=format) for name, title in titles.items()}


def hidden(*names: str) -> dict[str, None]:
    """Columns a table leaves out (a column_config of None hides the column)."""
    return dict.fromkeys(names)


def of(shared: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The shared configuration of just these columns (a table that shows only some of them)."""
    return {name: shared[name] for name in names}
