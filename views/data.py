"""Data: bring CRM and marketing exports in, see exactly what was rejected and why, check data quality."""

import streamlit as st

from closedloop import importer
from closedloop.engine import journey_tables as derived
from closedloop.pages import data as data_status
from ui import common

st.title("Data")
st.caption(
    "Import exports from Salesforce, HubSpot or your own CSVs into this database — validated first, "
    "in one transaction, safe to re-run — and check the data's quality."
)

presets = {p.name: p for p in importer.list_presets()}
# the tab is in the URL (?tab=...), and only the open tab runs its queries: the quality checks
# read every row (about 5 s at 10M touchpoints), so they run when their tab is opened
tab_import, tab_quality, tab_history = st.tabs(
    ["Import", "Data quality", "Import history"], key="tab", on_change="rerun", bind="query-params"
)

with tab_import:
    st.markdown(f"Database: {common.md(common.db_path())}")
    common.from_url("d_mapping", "mapping", "canonical", allowed=presets)
    name = st.selectbox(
        "Mapping", list(presets), key="d_mapping", format_func=lambda n: f"{n} — {presets[n].description}"
    )
    common.to_url(mapping=name)
    preset_text = presets[name].path.read_text(encoding="utf-8")
    with st.expander("View or edit the mapping (TOML)"):
        st.caption(
            "Column renames, date formats and time zones, value maps, constants and derived ids. "
            "Edits apply to this import only; save a copy as a .toml file to reuse it from the CLI "
            "(`--mapping path/to/file.toml`). See docs/import.md."
        )
        text = st.text_area("Mapping", preset_text, height=300, key=f"d_text_{name}", label_visibility="collapsed")
    try:
        mapping = importer.parse_mapping(text) if text != preset_text else importer.load_mapping(name)
    except importer.MappingError as exc:
        st.error(f"The edited mapping can't be used: {common.md(exc)}")
        st.stop()

    files = st.file_uploader(
        "Export files (CSV, TSV, Parquet or Excel .xlsx)",
        accept_multiple_files=True,
        type=["csv", "tsv", "txt", "parquet", "xlsx"],
        key="d_files",
    )
    if not files:
        st.info(
            "Upload one or more files to preview and validate them. With the `canonical` mapping, name each "
            "file after its table (accounts.csv, deals.csv, touchpoints.csv …)."
        )
    else:
        st.subheader("Preview")
        for tab, f in zip(st.tabs([common.md(f.name) for f in files]), files, strict=True):
            with tab:
                try:
                    common.grid(importer.read_preview(f, mapping, limit=20))
                except importer.ImportFailed as exc:
                    st.error(common.md(exc))

        st.subheader("Validate and import")
        on_error = st.radio(
            "When some rows have errors",
            ["fail", "quarantine"],
            horizontal=True,
            key="d_on_error",
            format_func={
                "fail": "Import nothing (fix and retry)",
                "quarantine": "Import the good rows, quarantine the bad ones",
            }.get,
        )
        report = common.validated(files, mapping, text)
        c = st.columns(5)
        c[0].metric("Rows read", f"{report.rows_read:,}")
        c[1].metric("Errors", f"{report.errors:,}")
        c[2].metric("Warnings", f"{report.warnings:,}")
        c[3].metric("Rows that would be rejected", f"{report.rows_rejected:,}")
        c[4].metric(
            "Rows skipped by the mapping",
            f"{report.rows_skipped:,}",
            help="Counted per table, each with its reason in the table below (skipped_why).",
        )
        common.grid(report.counts)
        if report.total_problems:
            st.warning(
                f"{report.total_problems:,} problem(s) found. Each names the file, row (the header is row 1), "
                "column and value, and says how to fix it."
            )
            common.grid(report.problems)
            common.download(report.problems, "import_problems.csv", label="Download the problems as CSV")
        else:
            st.success("No problems found: the files are ready to import.")
        if st.button("Import", type="primary", disabled=not report.can_import(on_error), key="d_import"):
            bar = st.progress(0.0, text="Importing…")
            # one transaction on a cursor of the shared connection: the other sessions keep
            # reading the old data until it commits
            result, problem = common.attempt(
                importer.import_files,
                files=files,
                mapping=mapping,
                on_error=on_error,
                progress=lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0), text=message),
            )
            if problem:
                st.error(f"Nothing was imported: {common.md(problem.splitlines()[0])}")
            else:
                (st.success if result.ok else st.error)(common.md(result.summary()))
                common.grid(result.tables)
        elif not report.can_import(on_error):
            st.caption("Fix the errors above and upload again, or choose to quarantine the bad rows.")

with tab_quality:
    if tab_quality.open:
        with st.spinner("Checking every row of every table…"):
            checks = common.call(importer.data_quality)
        titles = {
            "rows_per_table": "Rows in all tables",
            "orphans": "Rows pointing at a missing account, contact, deal or campaign",
            "touches_after_close": "Touches after their deal's close (never counted)",
            "deals_without_touchpoints": "Deals with no touchpoint in their window",
            "deals_without_account": "Deals with no account",
            "duplicate_touches": "Duplicate-looking touches (same account, type and time)",
            "date_ranges": "Dates in the future or before 1990",
            "closed_before_created": "Deals closed before they were created",
            "won_before_first_touch": "Won deals closed before their account's first touch",
        }
        for key, title in titles.items():
            if key not in checks:
                continue
            count, sample = checks[key]
            with st.expander(f"{title}: **{count:,}**", expanded=key == "rows_per_table"):
                if sample.empty:
                    st.caption("None.")
                else:
                    common.grid(sample)
                    common.download(sample, f"data_quality_{key}.csv")
        built = common.call(derived.status).set_index("key")["value"]
        if common.call(derived.usable):
            st.caption(
                f"Derived tables (docs/performance.md): built {built['built_at'][:16]} UTC for the default "
                "matching and up to date; the models read them."
            )
        else:
            st.caption(
                "Derived tables (docs/performance.md): missing or out of date, so the models read the source "
                "tables (slower, same figures). Rebuild them with `python -m closedloop refresh`."
            )

with tab_history:
    history = common.call(data_status.import_history)
    if history.empty:
        st.info("No import has run on this database yet.")
    else:
        common.grid(history)
        common.download(history, "import_history.csv")
        rejects = common.call(data_status.recent_rejects)
        st.subheader("Quarantined rows")
        if rejects.empty:
            st.caption("No row has been quarantined.")
        else:
            common.grid(rejects)
            common.download(rejects, "import_rejects.csv")
