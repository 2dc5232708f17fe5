"""The Streamlit layer shared by the pages: connection and result caching, filters, downloads.

Only the dashboard imports this package; the core (`closedloop/`) never does.
"""
