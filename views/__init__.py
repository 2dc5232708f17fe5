"""The dashboard's pages: thin Streamlit scripts (ui/nav.py lists them), each drawing the dataclass
of its page model in closedloop/pages/ of the same name (docs/architecture.md)."""
