"""
Suite-wide pytest configuration.

Under CI=true a skipped real-client or packaging test is a failure: those
tests skip on a developer machine that lacks rclone, s3cmd, aws-cli or the
Debian toolchain, but CI installs all of them, so a skip there means a
broken install step that would otherwise pass silently. (Other tests may
skip for a reason CI shares, such as a feature an older library lacks.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest


MUST_RUN = ("e2e", "packaging")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    outcome = yield
    report = outcome.get_result()
    must_run = Path(str(item.fspath)).parent.name in MUST_RUN
    if (report.skipped and must_run and os.environ.get("CI") == "true"
            and not hasattr(report, "wasxfail")):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under CI=true, which is a failure: {reason}"
