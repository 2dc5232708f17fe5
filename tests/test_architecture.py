"""Architecture rules that a test can hold: the core never loads Streamlit; the CLI is documented."""

from __future__ import annotations

import argparse
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import closedloop
from closedloop import cli

ROOT = Path(__file__).resolve().parent.parent


def test_core_does_not_import_streamlit():
    modules = [
        m.name for m in pkgutil.walk_packages(closedloop.__path__, "closedloop.") if not m.name.endswith("__main__")
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert len(modules) >= 4


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_cli_command_and_option_is_documented():
    docs = (ROOT / "README.md").read_text() + "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    missing = []
    for name, sub in _subcommands().items():
        if f"python -m closedloop {name}" not in docs:
            missing.append(name)
        for action in sub._actions:
            for opt in action.option_strings:
                if opt.startswith("--") and opt != "--help" and not re.search(re.escape(opt) + r"\b", docs):
                    missing.append(f"{name} {opt}")
    assert not missing, f"undocumented in README.md or docs/: {missing}"


def test_every_makefile_setting_is_documented():
    readme = (ROOT / "README.md").read_text()
    for setting in ("CLOSEDLOOP_DB", "PORT", "PYTHON", "CLOSEDLOOP_CHROMIUM"):
        assert setting in readme, setting


def test_pages_hold_no_sql():
    for p in (ROOT / "views").glob("*.py"):
        text = p.read_text()
        assert "duckdb" not in text and ".execute(" not in text, p.name
        assert not re.search(r"\bselect\b.+\bfrom\b", text, re.I), p.name


def test_every_cli_command_has_a_row_in_the_readme_command_table():
    readme = (ROOT / "README.md").read_text()
    rows = {m.group(1) for m in re.finditer(r"^\| `python -m closedloop ([\w-]+)` \|", readme, re.M)}
    assert rows == set(_subcommands()), "README.md's command table and `python -m closedloop --help` differ"


def test_every_module_of_the_core_sits_in_a_layer():
    """pyproject.toml's layer contract (lint-imports, make test) names each top-level module and
    package of the core, so a new one cannot sit outside the layers unnoticed."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    named = {m.strip() for layer in layers for m in re.split(r"[|:]", layer)}
    top = {f"closedloop.{m.name}" for m in pkgutil.iter_modules(closedloop.__path__) if m.name not in ("__main__",)}
    assert top - named == set(), "add these to a layer of [tool.importlinter] and to docs/architecture.md"
    assert {"views", "ui", "closedloop.pages", "closedloop.engine", "closedloop.db"} <= named


def test_a_command_loads_only_its_own_modules():
    """`import`, `sample` and `export` never load statsmodels (about 2 s of every run when the CLI
    imported every command's module up front): a command's module loads when it runs."""
    code = (
        "import sys\n"
        "from closedloop.cli import main\n"
        "for command in ('import', 'sample', 'export', 'refresh'):\n"
        "    try:\n"
        "        main([command, '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in ('statsmodels', 'scipy', 'altair', 'pyspark') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
