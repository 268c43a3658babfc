"""ResearchReport commands (DOMAIN.md, ResearchReport): draft, submit, accept or return.

Accepting publishes the report and records its market measurements on the marketing
plans of their years in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.commands import Command


@dataclass(frozen=True)
class DraftResearchReport(Command):
    """Draft a research report; `fields` holds the fields of API.md's create body."""

    permission = "research_report.draft"
    creates = True
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class AmendResearchReport(Command):
    """Change fields of a draft report; `changes` holds the fields the body names."""

    permission = "research_report.amend"
    report_id: UUID
    changes: Mapping[str, Any]


@dataclass(frozen=True)
class SubmitResearchReport(Command):
    """Put the draft up for acceptance."""

    permission = "research_report.submit"
    report_id: UUID


@dataclass(frozen=True)
class AcceptResearchReport(Command):
    """Publish the report, recording its measurements on the marketing plans."""

    permission = "research_report.accept"
    report_id: UUID


@dataclass(frozen=True)
class ReturnResearchReport(Command):
    """Send the report back to draft with comments."""

    permission = "research_report.return"
    report_id: UUID
    comments: str
