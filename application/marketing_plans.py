"""MarketingPlan commands of the back office (DOMAIN.md, MarketingPlan).

One plan a fiscal year: the draft is saved with its year's key (`MarketingPlanYear`, a
uuid5 of the year) in one `save()`, so of two racing drafts for a year one wins and the
other, decided again, is refused `duplicate_plan`. See `domain/marketing_plan.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from domain.marketing_plan import MarketingPlan, MarketingPlanYear
from domain.values import Cause

if TYPE_CHECKING:
    from application.backoffice import Backoffice, Decision, Outcome, Request


class MarketingPlanCommands:
    """The MarketingPlan commands; a part of `Backoffice`, whose machinery they use."""

    def draft_marketing_plan(
        self: Backoffice,
        request: Request,
        *,
        fiscal_year: int,
        strategies: Mapping[str, Any] | None = None,
        targets: list[Mapping[str, Any]] | None = None,
    ) -> Outcome:
        """Draft the plan of a fiscal year; a second one for the year is refused."""

        def decide(cause: Cause) -> Decision:
            plan = MarketingPlan.draft(
                cause,
                id=uuid4(),
                fiscal_year=fiscal_year,
                strategies=strategies,
                targets=targets,
            )
            held = self._find_key(MarketingPlanYear.id_for(fiscal_year))
            return plan, [MarketingPlanYear.claim(cause, fiscal_year, plan.id, held)], {}

        return self._run(request, "marketing_plan.draft", decide, created=True)

    def amend_marketing_plan(
        self: Backoffice,
        request: Request,
        plan_id: UUID,
        *,
        strategies: Mapping[str, Any] | None = None,
        targets: list[Mapping[str, Any]] | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "marketing_plan.amend",
            plan_id,
            MarketingPlan,
            lambda p, cause: p.amend(cause, strategies=strategies, targets=targets),
        )

    def submit_marketing_plan(self: Backoffice, request: Request, plan_id: UUID) -> Outcome:
        return self._change(
            request, "marketing_plan.submit", plan_id, MarketingPlan, lambda p, c: p.submit(c)
        )

    def approve_marketing_plan(self: Backoffice, request: Request, plan_id: UUID) -> Outcome:
        return self._change(
            request, "marketing_plan.approve", plan_id, MarketingPlan, lambda p, c: p.approve(c)
        )

    def return_marketing_plan(
        self: Backoffice, request: Request, plan_id: UUID, comments: str
    ) -> Outcome:
        return self._change(
            request,
            "marketing_plan.return",
            plan_id,
            MarketingPlan,
            lambda p, cause: p.return_(cause, comments),
        )

    def revise_marketing_plan(self: Backoffice, request: Request, plan_id: UUID) -> Outcome:
        return self._change(
            request, "marketing_plan.revise", plan_id, MarketingPlan, lambda p, c: p.revise(c)
        )

    def record_plan_measurement(
        self: Backoffice,
        request: Request,
        plan_id: UUID,
        *,
        metric: str,
        period: str,
        value: Decimal | str | int,
        source: str,
        method: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        """Record a measured market share or brand awareness of a quarter of the plan."""
        return self._change(
            request,
            "marketing_plan.measurement",
            plan_id,
            MarketingPlan,
            lambda p, cause: p.record_measurement(
                cause,
                metric=metric,
                period=period,
                value=value,
                source=source,
                method=method,
                occurred_at=occurred_at,
            ),
        )
