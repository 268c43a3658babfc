"""The back office application: one event log for every aggregate of mops."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    Repository,
    project_aggregate,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, RecordConflictError, Transcoding
from eventsourcing.utils import strtobool

from application.budgets import BudgetCommands
from application.complaints import ComplaintCommands
from application.contracts import ContractCommands
from application.employees import EmployeeCommands
from application.expense_claims import ExpenseClaimCommands
from application.idempotency import IdempotencyRecord
from application.marketing_plans import MarketingPlanCommands
from application.opportunities import OpportunityCommands
from application.permissions import Caller
from application.price_lists import PriceListCommands
from application.risks import RiskCommands
from domain.budget import Budget
from domain.campaign import Campaign
from domain.customer import Contact, Customer, CustomerIdentity
from domain.errors import IdempotencyKeyReused, NotFound, ValidationFailed, VersionConflict
from domain.values import Cause

# A command racing another writer on the same aggregate is decided again on fresh
# state this many times, after a short random pause that grows with each attempt
# (so racing writers spread out instead of colliding again), before answering 409.
CONFLICT_RETRIES = 12
CONFLICT_PAUSE_SECONDS = 0.002


class DateAsISO(Transcoding):
    """Stored format of `date` values in events: ISO 8601."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def _default_expense_standards() -> dict[str, Decimal]:
    return {
        "entertainment": Decimal("5000.00"),
        "travel": Decimal("20000.00"),
        "office": Decimal("10000.00"),
    }


def _sla_response_hours() -> dict[str, int]:
    return {"critical": 2, "high": 8, "medium": 24, "low": 72}


def _sla_resolution_hours() -> dict[str, int]:
    return {"critical": 24, "high": 72, "medium": 168, "low": 336}


def _appraisal_source_weights() -> dict[str, Decimal]:
    return {
        "superior": Decimal("0.5"),
        "peer": Decimal("0.2"),
        "self": Decimal("0.1"),
        "customer": Decimal("0.2"),
    }


def _appraisal_component_weights() -> dict[str, Decimal]:
    return {"kpi": Decimal("0.6"), "goals": Decimal("0.25"), "attitude": Decimal("0.15")}


def _discount_limits() -> dict[str, Decimal]:
    return {"sales": Decimal("0.10"), "sales_manager": Decimal("0.20")}


def _stage_probabilities() -> dict[str, Decimal]:
    return {
        "qualification": Decimal("0.10"),
        "needs_analysis": Decimal("0.25"),
        "proposal": Decimal("0.50"),
        "negotiation": Decimal("0.75"),
        "won": Decimal("1"),
        "lost": Decimal("0"),
    }


@dataclass(frozen=True)
class Policy:
    """The business settings the domain is given as arguments."""

    backdating: timedelta = timedelta(days=31)
    # Above this a write-off needs an executive; finance may write off up to it.
    write_off_limit: Decimal = Decimal("50000.00")
    # The largest single expense of a type booked without an approved overrun.
    expense_standards: dict[str, Decimal] = field(default_factory=_default_expense_standards)
    # Complaint SLA by severity, in hours from receipt; stamped into each complaint.
    sla_response_hours: dict[str, int] = field(default_factory=_sla_response_hours)
    sla_resolution_hours: dict[str, int] = field(default_factory=_sla_resolution_hours)
    # Appraisal score: the weight of each evaluation source and of each component.
    appraisal_source_weights: dict[str, Decimal] = field(default_factory=_appraisal_source_weights)
    appraisal_component_weights: dict[str, Decimal] = field(
        default_factory=_appraisal_component_weights
    )
    # The largest discount off the list price a role may give without a pricing review.
    discount_limits: dict[str, Decimal] = field(default_factory=_discount_limits)
    # When on, a contract line whose sku has no active list price needs a pricing review.
    require_list_price: bool = False
    # The chance an opportunity in each stage is won: its weighted value in the pipeline.
    stage_probabilities: dict[str, Decimal] = field(default_factory=_stage_probabilities)


@dataclass(frozen=True)
class Request:
    """Who asks, and the request's optimistic-concurrency and idempotency headers."""

    caller: Caller
    expected_version: int | None = None
    idempotency_key: str | None = None
    fingerprint: str = ""


@dataclass(frozen=True)
class Outcome:
    """What a command answers: the aggregate's id and new version, and the log position."""

    id: UUID
    version: int
    position: int | None = None
    created: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_record(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "created": self.created,
            "extra": self.extra,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Outcome:
        return cls(
            id=UUID(record["id"]),
            version=record["version"],
            created=record["created"],
            extra=record["extra"],
        )


Decision = tuple[Aggregate, Iterable[Aggregate], dict[str, Any]]


class CopySafeRepository(Repository[UUID]):
    """The library's repository, with loads of one cached aggregate taking turns.

    In eventsourcing 9.5.6 `Repository.get` fast-forwards a cached aggregate in place
    under a lock, but deep-copies it for the caller after releasing that lock. A thread
    copying while another fast-forwards the same object can fail with "dictionary
    changed size during iteration". Loads through the cache here hold a lock (one of a
    fixed set, chosen by the id) across both steps; historical loads need none.
    """

    STRIPES = 64

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stripes = [threading.Lock() for _ in range(self.STRIPES)]

    def get(self, aggregate_id: UUID, *, version: int | None = None, **kwargs: Any) -> Any:
        if self.cache is None or version is not None:
            return super().get(aggregate_id, version=version, **kwargs)
        with self._stripes[hash(aggregate_id) % self.STRIPES]:
            return super().get(aggregate_id, **kwargs)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Backoffice(
    ContractCommands,
    BudgetCommands,
    ComplaintCommands,
    EmployeeCommands,
    OpportunityCommands,
    PriceListCommands,
    MarketingPlanCommands,
    RiskCommands,
    ExpenseClaimCommands,
    Application[UUID],
):
    """Every command of mops: load, call, save; one transaction per command.

    The commands of each context beyond Customer live in a part of their own
    (`application/contracts.py`, `application/budgets.py`, `application/complaints.py`,
    `application/employees.py`, `application/opportunities.py`,
    `application/price_lists.py`, `application/marketing_plans.py`, `application/risks.py`,
    `application/expense_claims.py`).
    """

    name = "Backoffice"
    snapshotting_intervals = {Customer: 50, Budget: 100}
    # A cached aggregate is fast-forwarded from the store on every load (one read
    # instead of a snapshot read plus an events read), so it is never stale.
    env = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        policy: Policy | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(env)
        self.policy = policy or Policy()
        self.clock = clock

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository as `Application.construct_repository` makes it, copy-safe."""
        cache_maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return CopySafeRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(cache_maxsize) if cache_maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(
                self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")
            ),
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
        )

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # Machinery shared by every command.

    def _cause(self, request: Request) -> Cause:
        return Cause(request.caller.actor, self.clock(), self.policy.backdating)

    def _load(self, aggregate_id: UUID, kind: type[Aggregate]) -> Any:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"{kind.__name__.lower()} {aggregate_id} not found") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"{kind.__name__.lower()} {aggregate_id} not found")
        return aggregate

    def _load_at(self, request: Request, aggregate_id: UUID, kind: type[Aggregate]) -> Any:
        """Load the aggregate a command addresses, at the version the client expects."""
        aggregate = self._load(aggregate_id, kind)
        if request.expected_version is not None and aggregate.version != request.expected_version:
            raise VersionConflict(
                f"expected version {request.expected_version}, "
                f"the aggregate is at version {aggregate.version}",
                current_version=aggregate.version,
            )
        return aggregate

    def _find(self, aggregate_id: UUID) -> Any | None:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _customer_of(self, customer_id: UUID) -> Customer:
        """The customer a command's body names; `validation_error` on `customer_id` if none."""
        customer = self._find(customer_id)
        if not isinstance(customer, Customer):
            raise ValidationFailed.of("customer_id", f"no customer {customer_id}")
        return customer

    def _find_key(self, aggregate_id: UUID) -> Any | None:
        """A key aggregate (identity, idempotency) or None, from its events alone.

        Keys are never snapshotted, so asking the snapshot store first, as the
        repository does, would only add a read to every registration and replay check.
        """
        return project_aggregate(None, self.events.get(aggregate_id))

    def _replay(self, request: Request) -> Outcome | None:
        if request.idempotency_key is None:
            return None
        record = self._find_key(
            IdempotencyRecord.id_for(request.caller.actor, request.idempotency_key)
        )
        if record is None:
            return None
        if record.fingerprint != request.fingerprint:
            raise IdempotencyKeyReused(
                "this idempotency key was used with a different request",
                first_id=record.outcome["id"],
            )
        return Outcome.from_record(record.outcome)

    def _run(
        self,
        request: Request,
        command: str,
        decide: Callable[[Cause], Decision],
        *,
        created: bool = False,
    ) -> Outcome:
        """Decide and save, deciding again on fresh state when another writer got in first."""
        request.caller.require(command)
        for attempt in range(CONFLICT_RETRIES):
            if attempt:
                time.sleep(random.uniform(0, CONFLICT_PAUSE_SECONDS * attempt))
            replayed = self._replay(request)
            if replayed is not None:
                return replayed
            cause = self._cause(request)
            primary, others, extra = decide(cause)
            outcome = Outcome(primary.id, primary.version, created=created, extra=extra)
            pending = [primary, *others]
            if request.idempotency_key is not None:
                pending.append(
                    IdempotencyRecord.record(
                        cause, request.idempotency_key, request.fingerprint, outcome.as_record()
                    )
                )
            try:
                recordings = self.save(*pending)
            except RecordConflictError:
                if request.expected_version is not None:
                    raise VersionConflict(
                        "the aggregate was changed by another command; read it again"
                    ) from None
                continue
            position = max((r.notification.id for r in recordings), default=None)
            return Outcome(outcome.id, outcome.version, position, outcome.created, outcome.extra)
        raise VersionConflict("too many concurrent changes; try again")

    def _change(
        self,
        request: Request,
        command: str,
        aggregate_id: UUID,
        kind: type[Aggregate],
        act: Callable[[Any, Cause], Any],
    ) -> Outcome:
        """Load one aggregate, check the client's version, call the command on it, save."""

        def decide(cause: Cause) -> Decision:
            aggregate = self._load_at(request, aggregate_id, kind)
            result = act(aggregate, cause)
            others, extra = result if isinstance(result, tuple) else ((), {})
            return aggregate, others, extra

        return self._run(request, command, decide)

    # Queries on aggregates (the event store is the authority).

    def exists(self, aggregate_id: UUID, kind: type[Aggregate]) -> bool:
        """True when an aggregate of that kind exists."""
        return isinstance(self._find(aggregate_id), kind)

    def get(
        self,
        aggregate_id: UUID,
        kind: type[Aggregate],
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> Any:
        """An aggregate's current state, or its state at a version or a recording time."""
        if as_of is not None:
            version = self._version_as_of(aggregate_id, as_of)
            if version is None:
                raise NotFound(f"{kind.__name__.lower()} {aggregate_id} did not exist then")
        if version is not None and version < 1:
            raise NotFound(f"{kind.__name__.lower()} {aggregate_id} has no version {version}")
        try:
            aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(f"{kind.__name__.lower()} {aggregate_id} not found") from None
        if not isinstance(aggregate, kind) or (
            version is not None and aggregate.version != version
        ):
            raise NotFound(f"{kind.__name__.lower()} {aggregate_id} has no version {version}")
        return aggregate

    def _version_as_of(self, aggregate_id: UUID, as_of: datetime) -> int | None:
        """The last version recorded by a time: a binary search, one event read a step."""

        def recorded_at(version: int) -> datetime:
            [event] = self.events.get(aggregate_id, gt=version - 1, lte=version)
            return event.timestamp

        newest = list(self.events.get(aggregate_id, desc=True, limit=1))
        if not newest:
            return None
        low, high = 0, newest[0].originator_version  # recorded_at(low) <= as_of, unless 0
        if newest[0].timestamp <= as_of:
            return high
        while high - low > 1:
            middle = (low + high) // 2
            if recorded_at(middle) <= as_of:
                low = middle
            else:
                high = middle
        return low or None

    def max_position(self) -> int:
        """The position of the newest event in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    # Customer.

    def register_lead(
        self,
        request: Request,
        *,
        name: str,
        kind: str,
        source: str,
        contacts: list[Contact],
        industry: str | None = None,
        region: str | None = None,
        campaign_id: UUID | None = None,
        owner_id: str | None = None,
        tags: list[str] | None = None,
    ) -> Outcome:
        """Register a lead, refusing one whose identity another customer holds.

        A lead sourced from a campaign names a campaign that exists (any status: leads
        keep arriving after a campaign ends).
        """

        def decide(cause: Cause) -> Decision:
            if campaign_id is not None and not isinstance(self._find(campaign_id), Campaign):
                raise ValidationFailed.of("campaign_id", f"no campaign {campaign_id}")
            customer = Customer.register(
                cause,
                id=uuid4(),
                name=name,
                kind=kind,
                source=source,
                contacts=contacts,
                industry=industry,
                region=region,
                campaign_id=campaign_id,
                owner_id=owner_id,
                tags=tags or (),
            )
            return customer, self._claim_identities(cause, customer, set()), {}

        return self._run(request, "customer.register", decide, created=True)

    def _claim_identities(
        self, cause: Cause, customer: Customer, held_before: set[str]
    ) -> list[CustomerIdentity]:
        held_now = customer.identity_keys
        changed = [
            CustomerIdentity.claim(
                cause, key, customer.id, self._find_key(CustomerIdentity.id_for(key))
            )
            for key in sorted(held_now - held_before)
        ]
        for key in sorted(held_before - held_now):
            identity = self._find_key(CustomerIdentity.id_for(key))
            if identity is not None and identity.customer_id == customer.id:
                identity.release(cause)
                changed.append(identity)
        return changed

    def update_customer_profile(
        self, request: Request, customer_id: UUID, **changes: Any
    ) -> Outcome:
        """Change a customer's profile; a new name or contact is checked for duplicates."""

        def act(customer: Customer, cause: Cause) -> tuple[list[CustomerIdentity], dict]:
            held_before = customer.identity_keys
            customer.update_profile(cause, **changes)
            return self._claim_identities(cause, customer, held_before), {}

        return self._change(request, "customer.profile", customer_id, Customer, act)

    def assign_customer_owner(self, request: Request, customer_id: UUID, owner_id: str) -> Outcome:
        return self._change(
            request,
            "customer.owner",
            customer_id,
            Customer,
            lambda c, cause: c.assign_owner(cause, owner_id),
        )

    def qualify_customer(self, request: Request, customer_id: UUID) -> Outcome:
        return self._change(
            request, "customer.qualify", customer_id, Customer, lambda c, cause: c.qualify(cause)
        )

    def mark_customer_lost(self, request: Request, customer_id: UUID, reason: str) -> Outcome:
        return self._change(
            request,
            "customer.lost",
            customer_id,
            Customer,
            lambda c, cause: c.mark_lost(cause, reason),
        )

    def reopen_customer(self, request: Request, customer_id: UUID) -> Outcome:
        return self._change(
            request, "customer.reopen", customer_id, Customer, lambda c, cause: c.reopen(cause)
        )

    def record_follow_up(self, request: Request, customer_id: UUID, **follow_up: Any) -> Outcome:
        return self._change(
            request,
            "customer.follow_up",
            customer_id,
            Customer,
            lambda c, cause: c.record_follow_up(cause, **follow_up),
        )

    def assess_credit(self, request: Request, customer_id: UUID, **assessment: Any) -> Outcome:
        return self._change(
            request,
            "customer.credit_assessment",
            customer_id,
            Customer,
            lambda c, cause: c.assess_credit(cause, **assessment),
        )

    def place_credit_hold(self, request: Request, customer_id: UUID, reason: str) -> Outcome:
        return self._change(
            request,
            "customer.credit_hold",
            customer_id,
            Customer,
            lambda c, cause: c.place_credit_hold(cause, reason),
        )

    def release_credit_hold(self, request: Request, customer_id: UUID) -> Outcome:
        return self._change(
            request,
            "customer.credit_hold_release",
            customer_id,
            Customer,
            lambda c, cause: c.release_credit_hold(cause),
        )

    def register_guarantee(
        self, request: Request, customer_id: UUID, *, amount: Decimal, kind: str, expires_on: date
    ) -> Outcome:
        """Record a guarantee; the answer's id is the guarantee's."""
        guarantee_id = uuid4()

        def act(customer: Customer, cause: Cause) -> tuple[list, dict]:
            customer.register_guarantee(
                cause, guarantee_id=guarantee_id, amount=amount, kind=kind, expires_on=expires_on
            )
            return [], {"guarantee_id": str(guarantee_id)}

        return self._change(request, "customer.guarantee", customer_id, Customer, act)

    def release_guarantee(self, request: Request, customer_id: UUID, guarantee_id: UUID) -> Outcome:
        return self._change(
            request,
            "customer.guarantee_release",
            customer_id,
            Customer,
            lambda c, cause: c.release_guarantee(cause, guarantee_id),
        )

    def enroll_membership(self, request: Request, customer_id: UUID, tier: str) -> Outcome:
        return self._change(
            request,
            "customer.membership",
            customer_id,
            Customer,
            lambda c, cause: c.enroll_membership(cause, tier),
        )

    def award_points(
        self, request: Request, customer_id: UUID, points: int, reason: str
    ) -> Outcome:
        return self._change(
            request,
            "customer.points_award",
            customer_id,
            Customer,
            lambda c, cause: c.award_points(cause, points, reason),
        )

    def redeem_points(
        self, request: Request, customer_id: UUID, points: int, reward: str
    ) -> Outcome:
        return self._change(
            request,
            "customer.points_redeem",
            customer_id,
            Customer,
            lambda c, cause: c.redeem_points(cause, points, reward),
        )

    def record_satisfaction(
        self, request: Request, customer_id: UUID, score: int, source: str
    ) -> Outcome:
        return self._change(
            request,
            "customer.satisfaction",
            customer_id,
            Customer,
            lambda c, cause: c.record_satisfaction(cause, score, source),
        )
