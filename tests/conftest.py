"""
Suite-wide pytest configuration.

Under CI=true a skipped test is a failure: the real-client and packaging
tests skip on a developer machine that lacks rclone, s3cmd, aws-cli or the
Debian toolchain, but CI installs all of them, so a skip there means a
broken install step that would otherwise pass silently.
"""

from __future__ import annotations

import os
from typing import Any

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") == "true" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under CI=true, which is a failure: {reason}"
