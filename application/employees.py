"""Employee (candidate to appraisal) commands of the back office."""

from __future__ import annotations


class EmployeeCommands:
    """The Employee commands; a part of `Backoffice`, whose machinery they use."""
