"""Budget and Campaign commands of the back office.

A campaign's approval, results, completion and cancellation change its Budget too: both
aggregates are saved in one transaction, or neither. The Budget is the hot aggregate of
the company (every commitment, expense and campaign result appends to it): a command
that loses a race on it is decided again on fresh state (`Backoffice._run`).

Within one process, the commands on one budget also take turns (`budget_lock`): racing
threads would otherwise lose most races to each other (eight clients on one line lost
about five races per accepted commitment, and some answered 409 after twelve). Other
processes still race, optimistically.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from domain.budget import Budget, BudgetYear
from domain.campaign import Campaign
from domain.errors import ValidationFailed
from domain.values import Cause

if TYPE_CHECKING:
    from application.backoffice import Decision, Outcome, Policy, Request

# Roles that may act on a campaign someone else owns.
ACTING_FOR_OWNERS = frozenset({"sales_manager", "admin"})


def _for_others(request: Request) -> bool:
    return bool(request.caller.roles & ACTING_FOR_OWNERS)


_LOCKS_GUARD = threading.Lock()
_LOCKS: dict[UUID, threading.Lock] = {}


@contextmanager
def budget_lock(budget_id: UUID) -> Iterator[None]:
    """Hold the in-process turn of one budget: its commands take turns."""
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(budget_id, threading.Lock())
    with lock:
        yield


class BudgetCommands:
    """The Budget and Campaign commands; a part of `Backoffice`, whose machinery they use."""

    if TYPE_CHECKING:
        policy: Policy

        def _run(
            self,
            request: Request,
            command: str,
            decide: Callable[[Cause], Decision],
            *,
            created: bool = False,
        ) -> Outcome: ...

        def _change(
            self,
            request: Request,
            command: str,
            aggregate_id: UUID,
            kind: type,
            act: Callable[[Any, Cause], Any],
        ) -> Outcome: ...

        def _load(self, aggregate_id: UUID, kind: type) -> Any: ...

        def _find(self, aggregate_id: UUID) -> Any | None: ...

        def _find_key(self, aggregate_id: UUID) -> Any | None: ...

    # Budget.

    def _change_budget(
        self, request: Request, command: str, budget_id: UUID, act: Callable[[Any, Cause], Any]
    ) -> Outcome:
        """A command on one budget, taking its in-process turn."""
        with budget_lock(budget_id):
            return self._change(request, command, budget_id, Budget, act)

    def draft_budget(
        self,
        request: Request,
        *,
        fiscal_year: int,
        lines: list[dict[str, Any]],
        name: str | None = None,
        targets: list[dict[str, Any]] | None = None,
    ) -> Outcome:
        """Draft the budget of a fiscal year; a second one for the year is refused."""

        def decide(cause: Cause) -> Decision:
            budget = Budget.draft(
                cause,
                id=uuid4(),
                fiscal_year=fiscal_year,
                name=name,
                lines=lines,
                targets=targets or (),
            )
            held = self._find_key(BudgetYear.id_for(fiscal_year))
            return budget, [BudgetYear.claim(cause, fiscal_year, budget.id, held)], {}

        return self._run(request, "budget.draft", decide, created=True)

    def amend_budget(self, request: Request, budget_id: UUID, **changes: Any) -> Outcome:
        return self._change_budget(
            request,
            "budget.amend",
            budget_id,
            lambda b, cause: b.amend(cause, **changes),
        )

    def submit_budget(self, request: Request, budget_id: UUID) -> Outcome:
        return self._change_budget(
            request, "budget.submit", budget_id, lambda b, cause: b.submit(cause)
        )

    def approve_budget(self, request: Request, budget_id: UUID) -> Outcome:
        return self._change_budget(
            request, "budget.approve", budget_id, lambda b, cause: b.approve(cause)
        )

    def reject_budget(self, request: Request, budget_id: UUID, reasons: str) -> Outcome:
        return self._change_budget(
            request,
            "budget.reject",
            budget_id,
            lambda b, cause: b.reject(cause, reasons),
        )

    def close_budget(self, request: Request, budget_id: UUID) -> Outcome:
        return self._change_budget(
            request, "budget.close", budget_id, lambda b, cause: b.close(cause)
        )

    def commit_budget(
        self,
        request: Request,
        budget_id: UUID,
        *,
        category: str,
        period: str,
        amount: Decimal,
        reference: str,
    ) -> Outcome:
        return self._change_budget(
            request,
            "budget.commit",
            budget_id,
            lambda b, cause: b.commit(
                cause, category=category, period=period, amount=amount, reference=reference
            ),
        )

    def release_commitment(self, request: Request, budget_id: UUID, reference: str) -> Outcome:
        return self._change_budget(
            request,
            "budget.release_commitment",
            budget_id,
            lambda b, cause: b.release_commitment(cause, reference),
        )

    def record_expense(
        self,
        request: Request,
        budget_id: UUID,
        *,
        category: str,
        period: str,
        amount: Decimal,
        expense_type: str,
        description: str,
        reference: str | None = None,
        overrun_id: UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        """Book an expense under the expense standards of the settings."""
        return self._change_budget(
            request,
            "budget.expense",
            budget_id,
            lambda b, cause: b.record_expense(
                cause,
                self.policy.expense_standards,
                category=category,
                period=period,
                amount=amount,
                expense_type=expense_type,
                description=description,
                reference=reference,
                overrun_id=overrun_id,
                occurred_at=occurred_at,
            ),
        )

    def request_overrun(
        self,
        request: Request,
        budget_id: UUID,
        *,
        category: str,
        period: str,
        amount: Decimal,
        justification: str,
    ) -> Outcome:
        """Ask for an overrun; the answer's extra `overrun_id` names it."""
        overrun_id = uuid4()

        def act(budget: Budget, cause: Cause) -> tuple[list, dict]:
            budget.request_overrun(
                cause,
                overrun_id=overrun_id,
                category=category,
                period=period,
                amount=amount,
                justification=justification,
            )
            return [], {"overrun_id": str(overrun_id)}

        return self._change_budget(request, "budget.overrun_request", budget_id, act)

    def approve_overrun(self, request: Request, budget_id: UUID, overrun_id: UUID) -> Outcome:
        return self._change_budget(
            request,
            "budget.overrun_approve",
            budget_id,
            lambda b, cause: b.approve_overrun(cause, overrun_id),
        )

    def reject_overrun(
        self, request: Request, budget_id: UUID, overrun_id: UUID, reasons: str
    ) -> Outcome:
        return self._change_budget(
            request,
            "budget.overrun_reject",
            budget_id,
            lambda b, cause: b.reject_overrun(cause, overrun_id, reasons),
        )

    def reallocate_budget(
        self,
        request: Request,
        budget_id: UUID,
        *,
        from_category: str,
        from_period: str,
        to_category: str,
        to_period: str,
        amount: Decimal,
        reason: str,
    ) -> Outcome:
        return self._change_budget(
            request,
            "budget.reallocate",
            budget_id,
            lambda b, cause: b.reallocate(
                cause,
                from_category=from_category,
                from_period=from_period,
                to_category=to_category,
                to_period=to_period,
                amount=amount,
                reason=reason,
            ),
        )

    # Campaign.

    def _budget_of_body(self, budget_id: UUID) -> None:
        if not isinstance(self._find(budget_id), Budget):
            raise ValidationFailed.of("budget_id", "names no budget")

    def draft_campaign(
        self,
        request: Request,
        *,
        name: str,
        objective: str,
        channels: list[str],
        starts_on: date,
        ends_on: date,
        budget_amount: Decimal,
        budget_id: UUID,
        budget_period: str,
        targets: dict[str, Any] | None = None,
        owner_id: str | None = None,
    ) -> Outcome:
        """Draft a campaign drawing on a budget's promotion line."""

        def decide(cause: Cause) -> Decision:
            campaign = Campaign.draft(
                cause,
                id=uuid4(),
                name=name,
                objective=objective,
                channels=channels,
                starts_on=starts_on,
                ends_on=ends_on,
                budget_amount=budget_amount,
                budget_id=budget_id,
                budget_period=budget_period,
                targets=targets,
                owner_id=owner_id,
                may_act_for_others=_for_others(request),
            )
            self._budget_of_body(budget_id)
            return campaign, [], {}

        return self._run(request, "campaign.draft", decide, created=True)

    def amend_campaign(self, request: Request, campaign_id: UUID, **changes: Any) -> Outcome:
        def act(campaign: Campaign, cause: Cause) -> None:
            campaign.amend(cause, may_act_for_others=_for_others(request), **changes)
            if changes.get("budget_id") is not None:
                self._budget_of_body(changes["budget_id"])

        return self._change(request, "campaign.amend", campaign_id, Campaign, act)

    def submit_campaign(self, request: Request, campaign_id: UUID) -> Outcome:
        return self._change(
            request,
            "campaign.submit",
            campaign_id,
            Campaign,
            lambda c, cause: c.submit(cause, may_act_for_others=_for_others(request)),
        )

    def _change_with_budget(
        self,
        request: Request,
        command: str,
        campaign_id: UUID,
        act: Callable[[Campaign, Budget, Cause], None],
    ) -> Outcome:
        """A campaign command that changes the campaign's budget in the same transaction."""

        def both(campaign: Campaign, cause: Cause) -> tuple[list, dict]:
            budget = self._load(campaign.budget_id, Budget)
            act(campaign, budget, cause)
            return [budget], {}

        # Once submitted, a campaign's budget no longer changes: the one read here is the
        # one the command will change.
        campaign = self._find(campaign_id)
        if not isinstance(campaign, Campaign):
            return self._change(request, command, campaign_id, Campaign, both)
        with budget_lock(campaign.budget_id):
            return self._change(request, command, campaign_id, Campaign, both)

    def approve_campaign(self, request: Request, campaign_id: UUID) -> Outcome:
        """Approve a campaign and commit its budget amount, in one transaction."""
        return self._change_with_budget(
            request,
            "campaign.approve",
            campaign_id,
            lambda c, budget, cause: c.approve(cause, budget),
        )

    def reject_campaign(self, request: Request, campaign_id: UUID, reasons: str) -> Outcome:
        return self._change(
            request,
            "campaign.reject",
            campaign_id,
            Campaign,
            lambda c, cause: c.reject(cause, reasons),
        )

    def launch_campaign(self, request: Request, campaign_id: UUID) -> Outcome:
        return self._change(
            request,
            "campaign.launch",
            campaign_id,
            Campaign,
            lambda c, cause: c.launch(cause, may_act_for_others=_for_others(request)),
        )

    def record_campaign_result(self, request: Request, campaign_id: UUID, **result: Any) -> Outcome:
        """Record a result; its spend is booked as an expense on the budget, in one transaction."""
        return self._change_with_budget(
            request,
            "campaign.result",
            campaign_id,
            (
                lambda c, budget, cause: c.record_result(
                    cause,
                    budget,
                    self.policy.expense_standards,
                    may_act_for_others=_for_others(request),
                    **result,
                )
            ),
        )

    def complete_campaign(self, request: Request, campaign_id: UUID) -> Outcome:
        """Complete a campaign and release the rest of its commitment, in one transaction."""
        return self._change_with_budget(
            request,
            "campaign.complete",
            campaign_id,
            (
                lambda c, budget, cause: c.complete(
                    cause, budget, may_act_for_others=_for_others(request)
                )
            ),
        )

    def evaluate_campaign(
        self, request: Request, campaign_id: UUID, summary: str, rating: int
    ) -> Outcome:
        return self._change(
            request,
            "campaign.evaluate",
            campaign_id,
            Campaign,
            lambda c, cause: c.evaluate(
                cause, summary, rating, may_act_for_others=_for_others(request)
            ),
        )

    def cancel_campaign(self, request: Request, campaign_id: UUID, reason: str) -> Outcome:
        """Cancel a campaign and release the rest of its commitment, in one transaction."""
        return self._change_with_budget(
            request,
            "campaign.cancel",
            campaign_id,
            (
                lambda c, budget, cause: c.cancel(
                    cause, budget, reason, may_act_for_others=_for_others(request)
                )
            ),
        )
