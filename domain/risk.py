"""Risk: an entry of the risk register, from identification through mitigation to closure.

Rulebook: 風險識別, 風險評估, 風險應對 (DOMAIN.md, Risk).

`identified --Assess--> assessed --AddAction--> mitigating --Close--> closed`, and
`closed --Reopen--> mitigating | assessed`. Decisions where DOMAIN.md is silent:

- `Identify` takes a category (`market`, `credit`, `operational`, `legal`), a title, a
  description and an owner; the owner defaults to whoever identifies the risk and, like
  every other owner id, is not checked against the employees.
- `Assess(likelihood 1-5, impact 1-5, rationale)` is allowed while the risk is open
  (`identified`, `assessed`, `mitigating`); the first moves `identified` to `assessed`, a
  reassessment keeps the state. Every assessment is kept. Its level is decided when
  assessed and stored in the event (`low` <= 4, `medium` <= 9, `high` <= 16, `critical`
  above, from likelihood x impact), so a later change of the bands never rewrites history.
- `AddAction(description, owner, due_on)` is allowed in `assessed` and `mitigating` (a
  risk is assessed before it is treated) and moves `assessed` to `mitigating`. The
  action's owner defaults to the risk's owner, who answers for its treatment. `due_on`
  looks ahead and is free: no back-dating window applies to it.
- `CompleteAction(action_id, outcome)` is allowed while the risk is `assessed` or
  `mitigating`; an unknown action is `not_found`, a completed one `invalid_state`.
  Completing the last open action leaves the risk `mitigating`: closing it is a
  decision of its own.
- `Close(reason)` only from `mitigating`, as the diagram draws it; open actions may
  remain (they show again when the risk is reopened). `Reopen(reason)` only from
  `closed`: back to `mitigating` when an action is still open, else to `assessed`; the
  state reached is decided then and stored in the event.
- Every command takes an optional `occurred_at` (business time; API.md gives the risk
  bodies none: an addition, as for complaints), since the register is often written up
  after the meeting that assessed or closed a risk. It lies within the back-dating
  window, and on or after every earlier step of the same risk, so the register as of
  any date reads each risk's steps in the order they happened.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypedDict
from uuid import UUID

from domain.base import MopsAggregate
from domain.budget import choice
from domain.errors import InvalidState, NotFound, ValidationFailed
from domain.values import Cause, required_text


class RiskStatus(StrEnum):
    IDENTIFIED = "identified"
    ASSESSED = "assessed"
    MITIGATING = "mitigating"
    CLOSED = "closed"


OPEN_STATUSES = frozenset({RiskStatus.IDENTIFIED, RiskStatus.ASSESSED, RiskStatus.MITIGATING})


class RiskCategory(StrEnum):
    MARKET = "market"
    CREDIT = "credit"
    OPERATIONAL = "operational"
    LEGAL = "legal"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


SCALE = range(1, 6)


class Assessment(TypedDict):
    """One assessment of a risk, with the level decided when it was made."""

    likelihood: int
    impact: int
    level: str
    rationale: str
    assessed_at: datetime
    assessed_by: str


class Action(TypedDict):
    """An action treating a risk; `completed_at` and `outcome` are None while it is open."""

    action_id: UUID
    description: str
    owner_id: str
    due_on: date
    added_at: datetime
    completed_at: datetime | None
    outcome: str | None


class Reopening(TypedDict):
    """A reopening of a closed risk, and why."""

    reason: str
    occurred_at: datetime


def level_of(likelihood: int, impact: int) -> str:
    """The level of a likelihood x impact score: low <= 4, medium <= 9, high <= 16, critical."""
    score = likelihood * impact
    if score <= 4:
        return RiskLevel.LOW.value
    if score <= 9:
        return RiskLevel.MEDIUM.value
    if score <= 16:
        return RiskLevel.HIGH.value
    return RiskLevel.CRITICAL.value


def _on_scale(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
        raise ValidationFailed.of(field, "must be a whole number from 1 to 5")
    return value


class Risk(MopsAggregate):
    """A risk of the register: identified, assessed (again and again), treated, closed."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        category: str
        title: str
        description: str
        owner_id: str
        status: str
        identified_at: datetime
        # The business time of the latest step: no later step may lie before it.
        last_step_at: datetime
        assessments: list[Assessment]
        # By str(action_id), in the order added.
        actions: dict[str, Action]
        closed_at: datetime | None
        close_reason: str | None
        reopens: list[Reopening]

    class Identified(MopsAggregate.Created):
        category: str
        title: str
        description: str
        owner_id: str

        def apply(self, risk: Risk) -> None:
            risk.category = self.category
            risk.title = self.title
            risk.description = self.description
            risk.owner_id = self.owner_id
            risk.status = RiskStatus.IDENTIFIED.value
            risk.identified_at = self.occurred_at
            risk.last_step_at = self.occurred_at
            risk.assessments = []
            risk.actions = {}
            risk.closed_at = None
            risk.close_reason = None
            risk.reopens = []

    class Assessed(MopsAggregate.Event):
        likelihood: int
        impact: int
        level: str
        rationale: str

        def apply(self, risk: Risk) -> None:
            if risk.status == RiskStatus.IDENTIFIED:
                risk.status = RiskStatus.ASSESSED.value
            risk.assessments = [
                *risk.assessments,
                Assessment(
                    likelihood=self.likelihood,
                    impact=self.impact,
                    level=self.level,
                    rationale=self.rationale,
                    assessed_at=self.occurred_at,
                    assessed_by=self.actor,
                ),
            ]
            risk.last_step_at = self.occurred_at

    class ActionAdded(MopsAggregate.Event):
        action_id: UUID
        description: str
        owner_id: str
        due_on: date

        def apply(self, risk: Risk) -> None:
            risk.status = RiskStatus.MITIGATING.value
            action = Action(
                action_id=self.action_id,
                description=self.description,
                owner_id=self.owner_id,
                due_on=self.due_on,
                added_at=self.occurred_at,
                completed_at=None,
                outcome=None,
            )
            risk.actions = {**risk.actions, str(self.action_id): action}
            risk.last_step_at = self.occurred_at

    class ActionCompleted(MopsAggregate.Event):
        action_id: UUID
        outcome: str

        def apply(self, risk: Risk) -> None:
            key = str(self.action_id)
            done = risk.actions[key].copy()
            done["completed_at"] = self.occurred_at
            done["outcome"] = self.outcome
            risk.actions = {**risk.actions, key: done}
            risk.last_step_at = self.occurred_at

    class Closed(MopsAggregate.Event):
        reason: str

        def apply(self, risk: Risk) -> None:
            risk.status = RiskStatus.CLOSED.value
            risk.closed_at = self.occurred_at
            risk.close_reason = self.reason
            risk.last_step_at = self.occurred_at

    class Reopened(MopsAggregate.Event):
        reason: str
        status: str

        def apply(self, risk: Risk) -> None:
            risk.status = self.status
            reopening = Reopening(reason=self.reason, occurred_at=self.occurred_at)
            risk.reopens = [*risk.reopens, reopening]
            risk.closed_at = None
            risk.close_reason = None
            risk.last_step_at = self.occurred_at

    # Identifying.

    @classmethod
    def identify(
        cls,
        cause: Cause,
        *,
        id: UUID,
        category: str,
        title: str,
        description: str,
        owner_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Risk:
        """Enter a risk in the register; its owner is whoever identifies it unless named."""
        fields = {
            "category": choice(RiskCategory, category, "category"),
            "title": required_text(title, "title", 200),
            "description": required_text(description, "description", 5000),
            "owner_id": required_text(
                cause.actor if owner_id is None else owner_id, "owner_id", 200
            ),
        }
        at = cause.occurred(occurred_at)
        return cls._start(cls.Identified, cause, id=id, occurred_at=at, **fields)

    # Reading the state.

    @property
    def is_open(self) -> bool:
        """Whether the risk is still in the register's open states."""
        return self.status in OPEN_STATUSES

    @property
    def current_assessment(self) -> Assessment | None:
        """The latest assessment, None before the first."""
        return self.assessments[-1] if self.assessments else None

    @property
    def open_actions(self) -> list[Action]:
        """The actions not yet completed, in the order added."""
        return [a for a in self.actions.values() if a["completed_at"] is None]

    # Rules shared by the commands.

    def _require(self, command: str, *statuses: RiskStatus) -> None:
        if self.status not in statuses:
            raise InvalidState(command, self.status)

    def _after_last_step(self, at: datetime) -> datetime:
        if at < self.last_step_at:
            raise ValidationFailed.of(
                "occurred_at",
                "may not lie before the previous step of the risk "
                f"({self.last_step_at.isoformat()})",
            )
        return at

    # Commands.

    def assess(
        self,
        cause: Cause,
        *,
        likelihood: int,
        impact: int,
        rationale: str,
        occurred_at: datetime | None = None,
    ) -> None:
        """Assess (or reassess) the open risk: its likelihood and impact give its level."""
        likelihood = _on_scale(likelihood, "likelihood")
        impact = _on_scale(impact, "impact")
        rationale = required_text(rationale, "rationale", 5000)
        at = cause.occurred(occurred_at)
        self._require("assess", *OPEN_STATUSES)
        self._after_last_step(at)
        self._record(
            self.Assessed,
            cause,
            occurred_at=at,
            likelihood=likelihood,
            impact=impact,
            level=level_of(likelihood, impact),
            rationale=rationale,
        )

    def add_action(
        self,
        cause: Cause,
        *,
        action_id: UUID,
        description: str,
        due_on: date,
        owner_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """Plan an action treating the assessed risk; the risk is then being mitigated."""
        description = required_text(description, "description", 5000)
        owner = required_text(self.owner_id if owner_id is None else owner_id, "owner_id", 200)
        if not isinstance(due_on, date) or isinstance(due_on, datetime):
            raise ValidationFailed.of("due_on", "must be a date")
        at = cause.occurred(occurred_at)
        if self.status == RiskStatus.IDENTIFIED:
            raise InvalidState("actions", self.status, "assess the risk before planning actions")
        self._require("actions", RiskStatus.ASSESSED, RiskStatus.MITIGATING)
        self._after_last_step(at)
        self._record(
            self.ActionAdded,
            cause,
            occurred_at=at,
            action_id=action_id,
            description=description,
            owner_id=owner,
            due_on=due_on,
        )

    def complete_action(
        self,
        cause: Cause,
        *,
        action_id: UUID,
        outcome: str,
        occurred_at: datetime | None = None,
    ) -> None:
        """Record an action of the risk as done, with its outcome."""
        action = self.actions.get(str(action_id))
        if action is None:
            raise NotFound(f"action {action_id} not found for this risk")
        outcome = required_text(outcome, "outcome", 5000)
        at = cause.occurred(occurred_at)
        self._require("actions/complete", RiskStatus.ASSESSED, RiskStatus.MITIGATING)
        if action["completed_at"] is not None:
            raise InvalidState("actions/complete", "completed", "the action is completed already")
        self._after_last_step(at)
        self._record(
            self.ActionCompleted, cause, occurred_at=at, action_id=action_id, outcome=outcome
        )

    def close(self, cause: Cause, reason: str, occurred_at: datetime | None = None) -> None:
        """Close the risk being mitigated, saying why."""
        reason = required_text(reason, "reason", 5000)
        at = cause.occurred(occurred_at)
        self._require("close", RiskStatus.MITIGATING)
        self._after_last_step(at)
        self._record(self.Closed, cause, occurred_at=at, reason=reason)

    def reopen(self, cause: Cause, reason: str, occurred_at: datetime | None = None) -> None:
        """Reopen a closed risk: mitigating while an action is open, else assessed."""
        reason = required_text(reason, "reason", 5000)
        at = cause.occurred(occurred_at)
        self._require("reopen", RiskStatus.CLOSED)
        self._after_last_step(at)
        status = RiskStatus.MITIGATING if self.open_actions else RiskStatus.ASSESSED
        self._record(self.Reopened, cause, occurred_at=at, reason=reason, status=status.value)
