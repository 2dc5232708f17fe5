"""The stages of an import run (closedloop/importer/validate.py's Run), one module each:
staging -> matching -> row_checks -> references -> report, on the shared state in base."""
