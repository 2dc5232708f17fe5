"""Closed Loop dashboard: the router. Run with `make run` (or `streamlit run dashboard.py`)."""

import streamlit as st

from ui.nav import PAGES

st.set_page_config(page_title="Closed Loop", page_icon=":material/all_inclusive:", layout="wide")

sections: dict[str, list] = {}
for spec in PAGES:
    sections.setdefault(spec.section, []).append(
        st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path)
    )
pg = st.navigation(sections)
pg.run()
