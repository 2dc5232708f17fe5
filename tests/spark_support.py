"""Helpers of the Spark tests: is Spark runnable here, and are two results equal to 1e-9?"""

from __future__ import annotations

import math
import os
import shutil

import pandas as pd
import pytest

# Tiny data, 2 shared cores: compiling generated code and the JVM's optimizing compiler cost more
# than they save (measured: a fixture query 3-4x faster). Tests only; the app keeps Spark's defaults.
TEST_CONF = (
    ("spark.sql.shuffle.partitions", "1"),
    ("spark.sql.codegen.wholeStage", "false"),
    ("spark.sql.adaptive.enabled", "false"),
    ("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"),
)


def spark_missing() -> str | None:
    """Why Spark cannot run here, or None when PySpark and Java are both present."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install -r requirements.txt)"
    java_home = os.environ.get("JAVA_HOME")
    if not (shutil.which("java") or (java_home and os.path.exists(os.path.join(java_home, "bin", "java")))):
        return "no Java found (make test installs OpenJDK 17 where it can; or set JAVA_HOME)"
    return None


def require_spark() -> None:
    """Skip without Spark, except under CI=true where the Spark tests must run."""
    why = spark_missing()
    if why is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"Spark tests must run on CI: {why}.")
    pytest.skip(f"Spark tests skipped: {why}.")


def _plain(value):
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple) or (hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0):
        return [_plain(v) for v in list(value)]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def assert_same(spark: pd.DataFrame, duck: pd.DataFrame, tol: float = 1e-9) -> None:
    """The same columns, rows in the same order and values (numbers to `tol`, relative to the value
    above 1: a sum of millions added in another order differs in its last bits, 1e-16 of it)."""
    assert list(spark.columns) == list(duck.columns)
    assert len(spark) == len(duck), f"{len(spark)} rows on Spark, {len(duck)} on DuckDB"
    for col in duck.columns:
        left = [_plain(v) for v in spark[col].tolist()]
        right = [_plain(v) for v in duck[col].tolist()]
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            if isinstance(a, list) and isinstance(b, list):
                assert len(a) == len(b) and all(
                    abs(x - y) <= tol * max(1.0, abs(y)) if isinstance(x, float) and isinstance(y, float) else x == y
                    for x, y in zip(a, b, strict=True)
                ), f"{col} row {i}: Spark {a!r}, DuckDB {b!r}"
            elif isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
                assert abs(a - b) <= tol * max(1.0, abs(b)), f"{col} row {i}: Spark {a!r}, DuckDB {b!r}"
            else:
                assert a == b, f"{col} row {i}: Spark {a!r}, DuckDB {b!r}"
