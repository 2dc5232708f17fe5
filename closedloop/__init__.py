"""Closed Loop: closed-loop attribution of marketing and sales touchpoints to CRM deals.

The core package. It never imports Streamlit; the dashboard (`dashboard.py`,
`views/`) is a thin layer on top of it.
"""

__version__ = "0.1.0"
