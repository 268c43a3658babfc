"""Campaign: marketing and promotion, with its money drawn from the budget.

Rulebook: 市場推廣, 促銷活動, 推廣效果評估.

Decisions where DOMAIN.md is silent:

- The campaign draws on its budget's `promotion` line of `budget_period`. Approval
  commits `budget_amount` there with the campaign's id as reference.
- A result's spend is booked on the budget as an expense of type `advertising`, with
  the campaign's id as reference (so it consumes the commitment first); the expense
  standards apply as to any expense. A result without spend books nothing.
- A result names one of the campaign's channels.
- Completing releases what is left of the commitment, as cancelling does: an
  accountant expects money no longer needed to be available again.
- Approving and rejecting are refused to the owner and to whoever submitted.
- Commands that "marketing (the owner, or a sales_manager)" may issue are refused
  `forbidden` to anyone else holding the role; drafting for another owner too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypedDict
from uuid import UUID

from domain.base import MopsAggregate
from domain.budget import ZERO, Budget, choice, positive
from domain.errors import FieldError, Forbidden, InvalidState, SegregationOfDuties, ValidationFailed
from domain.values import (
    MAX_COUNT,
    CampaignChannel,
    CampaignStatus,
    Cause,
    Quarter,
    count,
    money,
    required_text,
    same_subject,
)

CATEGORY = "promotion"
SPEND_EXPENSE_TYPE = "advertising"
CountTarget = Literal["impressions", "leads", "conversions"]
COUNT_TARGETS: tuple[CountTarget, ...] = ("impressions", "leads", "conversions")


class CampaignTargets(TypedDict, total=False):
    """What a campaign aims at; a target not set is left out."""

    impressions: int
    leads: int
    conversions: int
    revenue: Decimal


class Evaluation(TypedDict):
    """The judgement of a completed campaign (推廣效果評估)."""

    summary: str
    rating: int


def _channels(channels: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for index, channel in enumerate(channels):
        value = choice(CampaignChannel, channel, f"channels.{index}")
        if value not in cleaned:
            cleaned.append(value)
    if not cleaned:
        raise ValidationFailed.of("channels", "a campaign uses at least one channel")
    return cleaned


# A target's name given as text, as the key of the targets record it names.
_COUNT_TARGET_NAMED: dict[str, CountTarget] = {name: name for name in COUNT_TARGETS}


def _targets(targets: Mapping[str, Any] | None) -> CampaignTargets:
    cleaned: CampaignTargets = {}
    errors: list[FieldError] = []
    for key, value in (targets or {}).items():
        if value is None:
            continue
        count_target = _COUNT_TARGET_NAMED.get(key)
        if count_target is not None:
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
                errors.append(
                    FieldError(f"targets.{key}", f"must be a count from 0 to {MAX_COUNT}")
                )
            cleaned[count_target] = value
        elif key == "revenue":
            amount = money(value, "targets.revenue")
            if amount < 0:
                errors.append(FieldError("targets.revenue", "may not be negative"))
            cleaned["revenue"] = amount
        else:
            errors.append(FieldError(f"targets.{key}", "is not a target of a campaign"))
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _count(value: int | None, field: str) -> int:
    return 0 if value is None else count(value, field)


def _spend_and_revenue(
    spend: Decimal, attributed_revenue: Decimal | None
) -> tuple[Decimal, Decimal]:
    """A result's spend and attributed revenue as money, neither negative."""
    checked_spend = money(spend, "spend")
    revenue = money(attributed_revenue or 0, "attributed_revenue")
    errors: list[FieldError] = []
    if checked_spend < 0:
        errors.append(FieldError("spend", "may not be negative"))
    if revenue < 0:
        errors.append(FieldError("attributed_revenue", "may not be negative"))
    if errors:
        raise ValidationFailed(errors)
    return checked_spend, revenue


def _dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise ValidationFailed.of("ends_on", "may not lie before starts_on")


class Campaign(MopsAggregate):
    """A marketing campaign: its plan, approval, results and evaluation."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        name: str
        objective: str
        channels: list[str]
        starts_on: date
        ends_on: date
        budget_amount: Decimal
        budget_id: UUID
        budget_period: str
        targets: CampaignTargets
        owner_id: str
        status: str
        submitted_by: str | None
        approved_by: str | None
        rejection: str | None
        committed: Decimal
        released: Decimal
        spend: Decimal
        results: int
        impressions: int
        clicks: int
        leads: int
        conversions: int
        attributed_revenue: Decimal
        evaluation: Evaluation | None
        cancel_reason: str | None

    class Drafted(MopsAggregate.Created):
        name: str
        objective: str
        channels: list[str]
        starts_on: date
        ends_on: date
        budget_amount: Decimal
        budget_id: UUID
        budget_period: str
        targets: CampaignTargets
        owner_id: str

        def apply(self, campaign: Campaign) -> None:
            campaign.name = self.name
            campaign.objective = self.objective
            campaign.channels = self.channels
            campaign.starts_on = self.starts_on
            campaign.ends_on = self.ends_on
            campaign.budget_amount = self.budget_amount
            campaign.budget_id = self.budget_id
            campaign.budget_period = self.budget_period
            campaign.targets = self.targets
            campaign.owner_id = self.owner_id
            campaign.status = CampaignStatus.DRAFT.value
            campaign.submitted_by = None
            campaign.approved_by = None
            campaign.rejection = None
            campaign.committed = ZERO
            campaign.released = ZERO
            campaign.spend = ZERO
            campaign.results = 0
            campaign.impressions = 0
            campaign.clicks = 0
            campaign.leads = 0
            campaign.conversions = 0
            campaign.attributed_revenue = ZERO
            campaign.evaluation = None
            campaign.cancel_reason = None

    class Amended(MopsAggregate.Event):
        """Fields of a draft changed: `changed` names them, in order; the others are None."""

        class_version = 2
        changed: list[str]
        name: str | None = None
        objective: str | None = None
        channels: list[str] | None = None
        starts_on: date | None = None
        ends_on: date | None = None
        budget_amount: Decimal | None = None
        budget_id: UUID | None = None
        budget_period: str | None = None
        targets: CampaignTargets | None = None
        owner_id: str | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 carried `changes: {field: value}`."""
            changes = state.pop("changes")
            state["changed"] = list(changes)
            state.update(changes)

        @property
        def changes(self) -> dict[str, Any]:
            """The changed fields and their values (what v1 stored), for the read models."""
            return {name: getattr(self, name) for name in self.changed}

        def apply(self, campaign: Campaign) -> None:
            # A changed field is never None (amend leaves None out), so None means unchanged.
            if self.name is not None:
                campaign.name = self.name
            if self.objective is not None:
                campaign.objective = self.objective
            if self.channels is not None:
                campaign.channels = self.channels
            if self.starts_on is not None:
                campaign.starts_on = self.starts_on
            if self.ends_on is not None:
                campaign.ends_on = self.ends_on
            if self.budget_amount is not None:
                campaign.budget_amount = self.budget_amount
            if self.budget_id is not None:
                campaign.budget_id = self.budget_id
            if self.budget_period is not None:
                campaign.budget_period = self.budget_period
            if self.targets is not None:
                campaign.targets = self.targets
            if self.owner_id is not None:
                campaign.owner_id = self.owner_id

    class Submitted(MopsAggregate.Event):
        def apply(self, campaign: Campaign) -> None:
            campaign.status = CampaignStatus.PENDING_APPROVAL.value
            campaign.submitted_by = self.actor

    class Approved(MopsAggregate.Event):
        # What approval committed on the budget line.
        committed: Decimal

        def apply(self, campaign: Campaign) -> None:
            campaign.status = CampaignStatus.APPROVED.value
            campaign.approved_by = self.actor
            campaign.committed = self.committed
            campaign.rejection = None

    class Rejected(MopsAggregate.Event):
        reasons: str

        def apply(self, campaign: Campaign) -> None:
            campaign.status = CampaignStatus.DRAFT.value
            campaign.rejection = self.reasons

    class Launched(MopsAggregate.Event):
        def apply(self, campaign: Campaign) -> None:
            campaign.status = CampaignStatus.RUNNING.value

    class ResultRecorded(MopsAggregate.Event):
        channel: str
        spend: Decimal
        impressions: int
        clicks: int
        leads: int
        conversions: int
        attributed_revenue: Decimal
        feedback: str | None

        def apply(self, campaign: Campaign) -> None:
            campaign.results += 1
            campaign.spend += self.spend
            campaign.impressions += self.impressions
            campaign.clicks += self.clicks
            campaign.leads += self.leads
            campaign.conversions += self.conversions
            campaign.attributed_revenue += self.attributed_revenue

    class Completed(MopsAggregate.Event):
        # What was released of the commitment.
        released: Decimal

        def apply(self, campaign: Campaign) -> None:
            campaign.status = CampaignStatus.COMPLETED.value
            campaign.released = self.released

    class Evaluated(MopsAggregate.Event):
        summary: str
        rating: int

        def apply(self, campaign: Campaign) -> None:
            campaign.status = CampaignStatus.EVALUATED.value
            campaign.evaluation = {"summary": self.summary, "rating": self.rating}

    class Cancelled(MopsAggregate.Event):
        reason: str
        released: Decimal

        def apply(self, campaign: Campaign) -> None:
            campaign.status = CampaignStatus.CANCELLED.value
            campaign.cancel_reason = self.reason
            campaign.released = self.released

    @classmethod
    def draft(
        cls,
        cause: Cause,
        *,
        id: UUID,
        name: str,
        objective: str,
        channels: Iterable[str],
        starts_on: date,
        ends_on: date,
        budget_amount: Decimal,
        budget_id: UUID,
        budget_period: str,
        targets: Mapping[str, Any] | None = None,
        owner_id: str | None = None,
        may_act_for_others: bool = False,
    ) -> Campaign:
        """Draft a campaign; the drafting actor owns it unless an owner is named."""
        owner = (owner_id or "").strip() or cause.actor
        name = required_text(name, "name", 200)
        objective = required_text(objective, "objective", 5000)
        cleaned_channels = _channels(channels)
        budget_amount = positive(budget_amount, "budget_amount")
        budget_period = choice(Quarter, budget_period, "budget_period")
        cleaned_targets = _targets(targets)
        _dates(starts_on, ends_on)
        if not same_subject(owner, cause.actor) and not may_act_for_others:
            raise Forbidden("only a sales_manager may draft a campaign for another owner")
        return cls._start(
            cls.Drafted,
            cause,
            id=id,
            owner_id=owner,
            name=name,
            objective=objective,
            channels=cleaned_channels,
            starts_on=starts_on,
            ends_on=ends_on,
            budget_amount=budget_amount,
            budget_id=budget_id,
            budget_period=budget_period,
            targets=cleaned_targets,
        )

    def _act_as_owner(self, cause: Cause, may_act_for_others: bool, what: str) -> None:
        if not same_subject(cause.actor, self.owner_id) and not may_act_for_others:
            raise Forbidden(
                f"only the campaign's owner or a sales_manager may {what} it",
                owner_id=self.owner_id,
            )

    def amend(self, cause: Cause, *, may_act_for_others: bool = False, **changes: Any) -> None:
        """Change any field of the draft (a rejected campaign comes back as a draft)."""
        cleaned: dict[str, Any] = {}
        for field, value in changes.items():
            if value is None:
                continue
            if field in ("name",):
                cleaned[field] = required_text(value, field, 200)
            elif field == "objective":
                cleaned[field] = required_text(value, field, 5000)
            elif field == "channels":
                cleaned[field] = _channels(value)
            elif field in ("starts_on", "ends_on", "budget_id"):
                cleaned[field] = value
            elif field == "budget_amount":
                cleaned[field] = positive(value, field)
            elif field == "budget_period":
                cleaned[field] = choice(Quarter, value, field)
            elif field == "targets":
                cleaned[field] = _targets(value)
            elif field == "owner_id":
                cleaned[field] = required_text(value, field, 200)
            else:
                raise ValidationFailed.of(field, "is not a field of a campaign")
        if not cleaned:
            raise ValidationFailed.of("body", "names no field to change")
        _dates(cleaned.get("starts_on", self.starts_on), cleaned.get("ends_on", self.ends_on))
        if self.status != CampaignStatus.DRAFT:
            raise InvalidState("amend", self.status)
        self._act_as_owner(cause, may_act_for_others, "amend")
        moved = not same_subject(cleaned.get("owner_id", self.owner_id), self.owner_id)
        if moved and not may_act_for_others:
            raise Forbidden("only a sales_manager may hand a campaign to another owner")
        self._record(self.Amended, cause, changed=list(cleaned), **cleaned)

    def submit(self, cause: Cause, *, may_act_for_others: bool = False) -> None:
        """Put the draft up for approval."""
        if self.status != CampaignStatus.DRAFT:
            raise InvalidState("submit", self.status)
        self._act_as_owner(cause, may_act_for_others, "submit")
        self._record(self.Submitted, cause)

    def _decide_as_other(self, cause: Cause, what: str) -> None:
        if same_subject(cause.actor, self.owner_id) or same_subject(cause.actor, self.submitted_by):
            raise SegregationOfDuties(
                f"the campaign's owner or submitter may not {what} it",
                owner_id=self.owner_id,
                submitted_by=self.submitted_by,
            )

    def approve(self, cause: Cause, budget: Budget) -> None:
        """Approve the campaign and commit its budget on the budget's promotion line.

        The budget is changed too; both are saved in one transaction, or neither.
        """
        if self.status != CampaignStatus.PENDING_APPROVAL:
            raise InvalidState("approve", self.status)
        self._decide_as_other(cause, "approve")
        budget.commit(
            cause,
            category=CATEGORY,
            period=self.budget_period,
            amount=self.budget_amount,
            reference=str(self.id),
        )
        self._record(self.Approved, cause, committed=self.budget_amount)

    def reject(self, cause: Cause, reasons: str) -> None:
        """Send the campaign back to draft, with the reasons."""
        reasons = required_text(reasons, "reasons", 5000)
        if self.status != CampaignStatus.PENDING_APPROVAL:
            raise InvalidState("reject", self.status)
        self._decide_as_other(cause, "reject")
        self._record(self.Rejected, cause, reasons=reasons)

    def launch(self, cause: Cause, *, may_act_for_others: bool = False) -> None:
        """Start running the approved campaign."""
        if self.status != CampaignStatus.APPROVED:
            raise InvalidState("launch", self.status)
        self._act_as_owner(cause, may_act_for_others, "launch")
        self._record(self.Launched, cause)

    def record_result(
        self,
        cause: Cause,
        budget: Budget,
        standards: Mapping[str, Decimal],
        *,
        channel: str,
        spend: Decimal,
        impressions: int | None = None,
        clicks: int | None = None,
        leads: int | None = None,
        conversions: int | None = None,
        attributed_revenue: Decimal | None = None,
        feedback: str | None = None,
        occurred_at: datetime | None = None,
        may_act_for_others: bool = False,
    ) -> None:
        """Record what a channel achieved; its spend is booked on the budget at once."""
        channel = choice(CampaignChannel, channel, "channel")
        spend, revenue = _spend_and_revenue(spend, attributed_revenue)
        counts = {
            "impressions": _count(impressions, "impressions"),
            "clicks": _count(clicks, "clicks"),
            "leads": _count(leads, "leads"),
            "conversions": _count(conversions, "conversions"),
        }
        feedback = (feedback or "").strip() or None
        occurred = cause.occurred(occurred_at)
        if channel not in self.channels:
            raise ValidationFailed.of("channel", "is not a channel of this campaign")
        if self.status != CampaignStatus.RUNNING:
            raise InvalidState("results", self.status)
        self._act_as_owner(cause, may_act_for_others, "record results of")
        if spend > 0:
            budget.record_expense(
                cause,
                standards,
                category=CATEGORY,
                period=self.budget_period,
                amount=spend,
                expense_type=SPEND_EXPENSE_TYPE,
                reference=str(self.id),
                description=f"campaign {self.name}: {channel}",
                occurred_at=occurred,
            )
        self._record(
            self.ResultRecorded,
            cause,
            occurred_at=occurred,
            channel=channel,
            spend=spend,
            attributed_revenue=revenue,
            feedback=feedback,
            **counts,
        )

    def _release_rest(self, cause: Cause, budget: Budget) -> Decimal:
        rest = budget.open_commitment(str(self.id))
        if rest > 0:
            budget.release_commitment(cause, str(self.id))
        return rest

    def complete(self, cause: Cause, budget: Budget, *, may_act_for_others: bool = False) -> None:
        """End the running campaign; what is left of its commitment is released."""
        if self.status != CampaignStatus.RUNNING:
            raise InvalidState("complete", self.status)
        self._act_as_owner(cause, may_act_for_others, "complete")
        released = self._release_rest(cause, budget)
        self._record(self.Completed, cause, released=released)

    def evaluate(
        self, cause: Cause, summary: str, rating: int, *, may_act_for_others: bool = False
    ) -> None:
        """Judge the completed campaign (推廣效果評估); the ROI comes from the read model."""
        summary = required_text(summary, "summary", 5000)
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise ValidationFailed.of("rating", "must be between 1 and 5")
        if self.status != CampaignStatus.COMPLETED:
            raise InvalidState("evaluate", self.status)
        self._act_as_owner(cause, may_act_for_others, "evaluate")
        self._record(self.Evaluated, cause, summary=summary, rating=rating)

    def cancel(
        self, cause: Cause, budget: Budget, reason: str, *, may_act_for_others: bool = False
    ) -> None:
        """Call the campaign off; what is left of its commitment is released."""
        reason = required_text(reason, "reason", 5000)
        if self.status not in (
            CampaignStatus.DRAFT,
            CampaignStatus.PENDING_APPROVAL,
            CampaignStatus.APPROVED,
            CampaignStatus.RUNNING,
        ):
            raise InvalidState("cancel", self.status)
        self._act_as_owner(cause, may_act_for_others, "cancel")
        released = self._release_rest(cause, budget)
        self._record(self.Cancelled, cause, reason=reason, released=released)
