"""The failover tests' marker: `-m "not failover"` leaves them out of a quick run."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "failover: starts a pg_auto_failover cluster of its own and kills its primary"
    )
