"""Closed Loop dashboard: the router. Run with `make run` (or `streamlit run dashboard.py`)."""

import streamlit as st

from ui.nav import PAGES

st.set_page_config(page_title="Closed Loop", page_icon=":material/all_inclusive:", layout="wide")

# Streamlit serves the default (first) page at "/" and ignores its url_path, so its deep link
# (/closed-loop-review) would say "Page not found". The default page keeps a private url_path and
# a hidden page serves the same view at the deep link.
DEFAULT_URL_PATH = "home"

sections: dict[str, list] = {}
for i, spec in enumerate(PAGES):
    sections.setdefault(spec.section, []).append(
        st.Page(
            spec.path,
            title=spec.title,
            icon=spec.icon,
            url_path=DEFAULT_URL_PATH if i == 0 else spec.url_path,
            default=i == 0,
        )
    )
first = PAGES[0]
sections[first.section].append(
    st.Page(first.path, title=first.title, icon=first.icon, url_path=first.url_path, visibility="hidden")
)
pg = st.navigation(sections)
pg.run()
