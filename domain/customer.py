"""Customer: development, profile, credit management and relationship care.

Rulebook: 客戶開發, 客戶檔案, 信用管理, 客戶關係維護.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypedDict
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import MopsAggregate
from domain.errors import (
    CreditAssessmentMissing,
    CreditHold,
    CreditLimitExceeded,
    DuplicateCustomer,
    FieldError,
    GuaranteeRequired,
    InsufficientPoints,
    InvalidState,
    NotFound,
    PaymentTermExceeded,
    ValidationFailed,
)
from domain.values import (
    MAX_COUNT,
    MAX_TERM_DAYS,
    Cause,
    CreditRating,
    CustomerKind,
    CustomerStatus,
    FollowUpKind,
    GuaranteeKind,
    SourceChannel,
    count,
    money,
    normalise_name,
    phone_digits,
    required_text,
)

# A contact person as a command gives it: name, phone and email, any of them missing,
# untrimmed; `_contacts` checks it and keeps a `ContactRecord`.
Contact = Mapping[str, Any]


class ContactRecord(TypedDict):
    """A contact person of a customer, trimmed: a name, and a phone or an email or neither."""

    name: str
    phone: str | None
    email: str | None


class CreditStanding(TypedDict):
    """The customer's credit assessment in force, and who made it when."""

    rating: str
    score: int
    credit_limit: Decimal
    max_payment_term_days: int
    guarantee_required: bool
    valid_until: date
    basis: str
    assessed_at: datetime
    assessed_by: str


class Guarantee(TypedDict):
    """A guarantee the customer gave, counting towards its limit until released or expired."""

    id: UUID
    amount: Decimal
    kind: str
    expires_on: date
    released: bool


# The profile fields `update_profile` may change, in the order it records them.
PROFILE_FIELDS = ("name", "industry", "region", "contacts", "tags")

# What every read shows for a personal field once its data subject was erased.
ERASED = "[erased]"

# Personal fields (DOMAIN.md, Principles) of the customer's events and state: dotted
# paths, `*` for each item of a list. A contact's name, phone and email always; the
# customer's own name when it is a person (`PERSON_FIELDS`: the event or state says
# `kind` is "person", or, for an event without `kind`, the customer registered as one).
# The data subject is the customer: its id names the key that encrypts them in the
# store. Notes and comments are not personal fields.
CONTACT_FIELDS = ("contacts.*.name", "contacts.*.phone", "contacts.*.email")
PERSON_FIELDS = ("name",)


def erased_contacts(contacts: Iterable[ContactRecord]) -> list[ContactRecord]:
    """Contacts as they read once erased: each field given shows ERASED."""
    return [
        {
            "name": ERASED,
            "phone": None if contact["phone"] is None else ERASED,
            "email": None if contact["email"] is None else ERASED,
        }
        for contact in contacts
    ]


def _choice(enum: type[StrEnum], value: Any, field: str) -> str:
    try:
        return enum(value).value
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ValidationFailed.of(field, f"must be one of {allowed}") from None


def _contacts(contacts: Iterable[Contact]) -> list[ContactRecord]:
    cleaned: list[ContactRecord] = []
    errors: list[FieldError] = []
    for index, contact in enumerate(contacts):
        name = (contact.get("name") or "").strip()
        phone = (contact.get("phone") or "").strip() or None
        email = (contact.get("email") or "").strip() or None
        if not name:
            errors.append(FieldError(f"contacts.{index}.name", "is required"))
        if email is not None and "@" not in email:
            errors.append(FieldError(f"contacts.{index}.email", "is not an email address"))
        if phone is not None and not phone_digits(phone):
            errors.append(FieldError(f"contacts.{index}.phone", "has no digits"))
        cleaned.append({"name": name, "phone": phone, "email": email})
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _tags(tags: Iterable[str]) -> list[str]:
    return sorted({tag.strip() for tag in tags if tag.strip()})


def identity_keys(name: str, contacts: Iterable[Contact]) -> set[str]:
    """The identities a customer claims: its normalised name with each phone and email."""
    base = normalise_name(name)
    keys: set[str] = set()
    for contact in contacts:
        phone, email = contact.get("phone"), contact.get("email")
        if phone:
            keys.add(f"{base}|phone:{phone_digits(phone)}")
        if email:
            keys.add(f"{base}|email:{email.strip().casefold()}")
    return keys


class Customer(MopsAggregate):
    """A lead, prospect or customer of the company, with its credit and loyalty standing."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        name: str
        kind: str
        industry: str | None
        region: str | None
        source: str
        campaign_id: UUID | None
        contacts: list[ContactRecord]
        owner_id: str
        tags: list[str]
        status: str
        lost_reason: str | None
        last_contact_at: datetime | None
        next_follow_up_on: date | None
        follow_ups: int
        credit: CreditStanding | None
        on_hold: bool
        hold_reason: str | None
        guarantees: dict[str, Guarantee]
        tier: str | None
        points: int
        satisfaction_count: int
        satisfaction_total: int
        last_satisfaction: int | None
        signed_contracts: tuple[UUID, ...]
        erased: bool

    # The contracts signed for this customer, in order; a class default so that
    # snapshots taken before contracts existed still load.
    signed_contracts = ()
    # Whether its personal data was erased; a class default for the same reason.
    erased = False
    # The personal fields of the state a snapshot stores (see CONTACT_FIELDS).
    personal_fields = CONTACT_FIELDS
    person_fields = PERSON_FIELDS

    class Registered(MopsAggregate.Created):
        personal_fields = CONTACT_FIELDS
        person_fields = PERSON_FIELDS

        name: str
        kind: str
        industry: str | None
        region: str | None
        source: str
        campaign_id: UUID | None
        contacts: list[ContactRecord]
        owner_id: str
        tags: list[str]

        def apply(self, customer: Customer) -> None:
            customer.name = self.name
            customer.kind = self.kind
            customer.industry = self.industry
            customer.region = self.region
            customer.source = self.source
            customer.campaign_id = self.campaign_id
            customer.contacts = self.contacts
            customer.owner_id = self.owner_id
            customer.tags = self.tags
            customer.status = CustomerStatus.LEAD.value
            customer.lost_reason = None
            customer.last_contact_at = None
            customer.next_follow_up_on = None
            customer.follow_ups = 0
            customer.credit = None
            customer.on_hold = False
            customer.hold_reason = None
            customer.guarantees = {}
            customer.tier = None
            customer.points = 0
            customer.satisfaction_count = 0
            customer.satisfaction_total = 0
            customer.last_satisfaction = None

    class ProfileUpdated(MopsAggregate.Event):
        """Profile fields changed: `changed` names them, in order; the others are None."""

        class_version = 2
        personal_fields = CONTACT_FIELDS
        person_fields = PERSON_FIELDS

        changed: list[str]
        name: str | None = None
        industry: str | None = None
        region: str | None = None
        contacts: list[ContactRecord] | None = None
        tags: list[str] | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 carried `changes: {field: value}`."""
            changes = state.pop("changes")
            state["changed"] = list(changes)
            state.update(dict.fromkeys(PROFILE_FIELDS), **changes)

        @property
        def changes(self) -> dict[str, Any]:
            """The changed fields and their values (what v1 stored), for the read models."""
            return {field: getattr(self, field) for field in self.changed}

        def apply(self, customer: Customer) -> None:
            # A name, contacts or tags are never None when changed; industry and region
            # may be changed to None, so `changed` says whether they were.
            if self.name is not None:
                customer.name = self.name
            if "industry" in self.changed:
                customer.industry = self.industry
            if "region" in self.changed:
                customer.region = self.region
            if self.contacts is not None:
                customer.contacts = self.contacts
            if self.tags is not None:
                customer.tags = self.tags

    class OwnerAssigned(MopsAggregate.Event):
        owner_id: str

        def apply(self, customer: Customer) -> None:
            customer.owner_id = self.owner_id

    class Qualified(MopsAggregate.Event):
        def apply(self, customer: Customer) -> None:
            customer.status = CustomerStatus.PROSPECT.value

    class MarkedLost(MopsAggregate.Event):
        reason: str

        def apply(self, customer: Customer) -> None:
            customer.status = CustomerStatus.LOST.value
            customer.lost_reason = self.reason

    class Reopened(MopsAggregate.Event):
        def apply(self, customer: Customer) -> None:
            customer.status = CustomerStatus.LEAD.value
            customer.lost_reason = None

    class FollowUpRecorded(MopsAggregate.Event):
        kind: str
        notes: str
        next_follow_up_on: date | None

        def apply(self, customer: Customer) -> None:
            customer.follow_ups += 1
            # The latest follow-up by business time sets the last contact and the next
            # date; one back-dated behind a later one leaves both as they were.
            if customer.last_contact_at is None or self.occurred_at >= customer.last_contact_at:
                customer.last_contact_at = self.occurred_at
                customer.next_follow_up_on = self.next_follow_up_on

    class CreditAssessed(MopsAggregate.Event):
        rating: str
        score: int
        credit_limit: Decimal
        max_payment_term_days: int
        guarantee_required: bool
        valid_until: date
        basis: str

        def apply(self, customer: Customer) -> None:
            customer.credit = {
                "rating": self.rating,
                "score": self.score,
                "credit_limit": self.credit_limit,
                "max_payment_term_days": self.max_payment_term_days,
                "guarantee_required": self.guarantee_required,
                "valid_until": self.valid_until,
                "basis": self.basis,
                "assessed_at": self.timestamp,
                "assessed_by": self.actor,
            }

    class CreditHoldPlaced(MopsAggregate.Event):
        reason: str

        def apply(self, customer: Customer) -> None:
            customer.on_hold = True
            customer.hold_reason = self.reason

    class CreditHoldReleased(MopsAggregate.Event):
        def apply(self, customer: Customer) -> None:
            customer.on_hold = False
            customer.hold_reason = None

    class GuaranteeRegistered(MopsAggregate.Event):
        guarantee_id: UUID
        amount: Decimal
        kind: str
        expires_on: date

        def apply(self, customer: Customer) -> None:
            customer.guarantees[str(self.guarantee_id)] = {
                "id": self.guarantee_id,
                "amount": self.amount,
                "kind": self.kind,
                "expires_on": self.expires_on,
                "released": False,
            }

    class GuaranteeReleased(MopsAggregate.Event):
        guarantee_id: UUID

        def apply(self, customer: Customer) -> None:
            customer.guarantees[str(self.guarantee_id)]["released"] = True

    class MembershipEnrolled(MopsAggregate.Event):
        tier: str

        def apply(self, customer: Customer) -> None:
            customer.tier = self.tier

    class PointsAwarded(MopsAggregate.Event):
        points: int
        reason: str

        def apply(self, customer: Customer) -> None:
            customer.points += self.points

    class PointsRedeemed(MopsAggregate.Event):
        points: int
        reward: str

        def apply(self, customer: Customer) -> None:
            customer.points -= self.points

    class SatisfactionRecorded(MopsAggregate.Event):
        score: int
        source: str

        def apply(self, customer: Customer) -> None:
            customer.satisfaction_count += 1
            customer.satisfaction_total += self.score
            customer.last_satisfaction = self.score

    class CreditReserved(MopsAggregate.Event):
        """A contract was signed against this customer's credit (its exposure grew)."""

        contract_id: UUID
        amount: Decimal
        exposure: Decimal
        limit: Decimal

        def apply(self, customer: Customer) -> None:
            customer.signed_contracts = (*customer.signed_contracts, self.contract_id)

    class Converted(MopsAggregate.Event):
        """The first signed contract made the lead or prospect a customer."""

        contract_id: UUID

        def apply(self, customer: Customer) -> None:
            customer.status = CustomerStatus.CUSTOMER.value
            customer.lost_reason = None

    class Erased(MopsAggregate.Event):
        """The customer's personal data was erased (its key destroyed); it cannot be undone.

        `kind` is the customer's, so readers of the log know whether its name was one.
        """

        reason: str
        kind: str

        def apply(self, customer: Customer) -> None:
            customer.erased = True
            if self.kind == CustomerKind.PERSON:
                customer.name = ERASED
            customer.contacts = erased_contacts(customer.contacts)

    @classmethod
    def register(
        cls,
        cause: Cause,
        *,
        id: UUID,
        name: str,
        kind: str,
        source: str,
        contacts: Iterable[Contact] = (),
        industry: str | None = None,
        region: str | None = None,
        campaign_id: UUID | None = None,
        owner_id: str | None = None,
        tags: Iterable[str] = (),
    ) -> Customer:
        """Register a new lead; the registering actor owns it unless an owner is named."""
        source = _choice(SourceChannel, source, "source")
        if source == SourceChannel.CAMPAIGN and campaign_id is None:
            raise ValidationFailed.of("campaign_id", "is required when the source is a campaign")
        if source != SourceChannel.CAMPAIGN and campaign_id is not None:
            raise ValidationFailed.of("campaign_id", "is only for leads sourced from a campaign")
        return cls._start(
            cls.Registered,
            cause,
            id=id,
            name=required_text(name, "name", 200),
            kind=_choice(CustomerKind, kind, "kind"),
            industry=(industry or "").strip() or None,
            region=(region or "").strip() or None,
            source=source,
            campaign_id=campaign_id,
            contacts=_contacts(contacts),
            owner_id=(owner_id or "").strip() or cause.actor,
            tags=_tags(tags),
        )

    @property
    def identity_keys(self) -> set[str]:
        """The identities this customer holds for duplicate detection (none once erased)."""
        if self.erased:
            return set()
        return identity_keys(self.name, self.contacts)

    def update_profile(
        self,
        cause: Cause,
        *,
        name: str | None = None,
        industry: str | None = None,
        region: str | None = None,
        contacts: Iterable[Contact] | None = None,
        tags: Iterable[str] | None = None,
    ) -> None:
        """Change any of name, industry, region, contacts and tags."""
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = required_text(name, "name", 200)
        if industry is not None:
            changes["industry"] = industry.strip() or None
        if region is not None:
            changes["region"] = region.strip() or None
        if contacts is not None:
            changes["contacts"] = _contacts(contacts)
        if tags is not None:
            changes["tags"] = _tags(tags)
        if not changes:
            raise ValidationFailed.of("body", "names no field to change")
        if self.erased and ("contacts" in changes or (self._is_person and "name" in changes)):
            raise InvalidState(
                "profile", "erased", "the customer's personal data was erased for good"
            )
        self._record(self.ProfileUpdated, cause, changed=list(changes), **changes)

    @property
    def _is_person(self) -> bool:
        return self.kind == CustomerKind.PERSON

    def erase(self, cause: Cause, reason: str) -> None:
        """Erase the personal data (PIPL, GDPR): its key is destroyed; no undoing it."""
        reason = required_text(reason, "reason")
        if self.erased:
            raise InvalidState("erase", "erased", "the customer's personal data was erased already")
        self._record(self.Erased, cause, reason=reason, kind=self.kind)

    def assign_owner(self, cause: Cause, owner_id: str) -> None:
        """Hand the customer to another employee."""
        self._record(self.OwnerAssigned, cause, owner_id=required_text(owner_id, "owner_id"))

    def qualify(self, cause: Cause) -> None:
        """A lead shows real interest and becomes a prospect."""
        if self.status != CustomerStatus.LEAD:
            raise InvalidState("qualify", self.status)
        self._record(self.Qualified, cause)

    def mark_lost(self, cause: Cause, reason: str) -> None:
        """Give up on a lead or prospect."""
        reason = required_text(reason, "reason")
        if self.status not in (CustomerStatus.LEAD, CustomerStatus.PROSPECT):
            raise InvalidState("lost", self.status)
        self._record(self.MarkedLost, cause, reason=reason)

    def reopen(self, cause: Cause) -> None:
        """Bring a lost customer back as a lead."""
        if self.status != CustomerStatus.LOST:
            raise InvalidState("reopen", self.status)
        self._record(self.Reopened, cause)

    def record_follow_up(
        self,
        cause: Cause,
        *,
        kind: str,
        notes: str,
        occurred_at: datetime | None = None,
        next_follow_up_on: date | None = None,
    ) -> None:
        """Log a call, visit, email or meeting, and when to follow up next (回訪)."""
        kind = _choice(FollowUpKind, kind, "kind")
        occurred = cause.occurred(occurred_at)
        if next_follow_up_on is not None and next_follow_up_on < occurred.date():
            raise ValidationFailed.of(
                "next_follow_up_on", "may not lie before the follow-up itself"
            )
        self._record(
            self.FollowUpRecorded,
            cause,
            occurred_at=occurred,
            kind=kind,
            notes=required_text(notes, "notes", 5000),
            next_follow_up_on=next_follow_up_on,
        )

    def assess_credit(
        self,
        cause: Cause,
        *,
        rating: str,
        score: int,
        credit_limit: Decimal,
        max_payment_term_days: int,
        guarantee_required: bool,
        valid_until: date,
        basis: str,
    ) -> None:
        """Replace the credit assessment; history keeps every earlier one."""
        errors: list[FieldError] = []
        if not 0 <= score <= 100:
            errors.append(FieldError("score", "must be between 0 and 100"))
        limit = money(credit_limit, "credit_limit")
        if limit < 0:
            errors.append(FieldError("credit_limit", "may not be negative"))
        if max_payment_term_days < 0:
            errors.append(FieldError("max_payment_term_days", "may not be negative"))
        elif max_payment_term_days > MAX_TERM_DAYS:
            errors.append(
                FieldError("max_payment_term_days", f"may not exceed {MAX_TERM_DAYS} days")
            )
        if valid_until < cause.now.date():
            errors.append(FieldError("valid_until", "an assessment must be valid today"))
        if errors:
            raise ValidationFailed(errors)
        self._record(
            self.CreditAssessed,
            cause,
            rating=_choice(CreditRating, rating, "rating"),
            score=score,
            credit_limit=limit,
            max_payment_term_days=max_payment_term_days,
            guarantee_required=guarantee_required,
            valid_until=valid_until,
            basis=required_text(basis, "basis", 5000),
        )

    def place_credit_hold(self, cause: Cause, reason: str) -> None:
        """Stop new credit for this customer (動態監控)."""
        reason = required_text(reason, "reason")
        if self.on_hold:
            raise InvalidState("credit-hold", "on_hold", "the customer is already on credit hold")
        self._record(self.CreditHoldPlaced, cause, reason=reason)

    def release_credit_hold(self, cause: Cause) -> None:
        """Lift the credit hold."""
        if not self.on_hold:
            raise InvalidState(
                "credit-hold/release", "not_on_hold", "the customer is not on credit hold"
            )
        self._record(self.CreditHoldReleased, cause)

    def register_guarantee(
        self,
        cause: Cause,
        *,
        guarantee_id: UUID,
        amount: Decimal,
        kind: str,
        expires_on: date,
    ) -> None:
        """Record a guarantee that extends what the customer may owe."""
        amount = money(amount)
        if amount <= 0:
            raise ValidationFailed.of("amount", "must be greater than zero")
        if expires_on < cause.now.date():
            raise ValidationFailed.of("expires_on", "the guarantee has already expired")
        self._record(
            self.GuaranteeRegistered,
            cause,
            guarantee_id=guarantee_id,
            amount=amount,
            kind=_choice(GuaranteeKind, kind, "kind"),
            expires_on=expires_on,
        )

    def release_guarantee(self, cause: Cause, guarantee_id: UUID) -> None:
        """Give a guarantee back; it no longer counts towards the limit."""
        guarantee = self.guarantees.get(str(guarantee_id))
        if guarantee is None:
            raise NotFound(f"guarantee {guarantee_id} not found on this customer")
        if guarantee["released"]:
            raise InvalidState("guarantees/release", "released", "the guarantee was released")
        self._record(self.GuaranteeReleased, cause, guarantee_id=guarantee_id)

    def unexpired_guarantees(self, on: date) -> Decimal:
        """The sum of guarantees held and not expired on a day."""
        return sum(
            (
                g["amount"]
                for g in self.guarantees.values()
                if not g["released"] and g["expires_on"] >= on
            ),
            Decimal("0.00"),
        )

    def reserve_credit(
        self,
        cause: Cause,
        *,
        contract_id: UUID,
        amount: Decimal,
        payment_term_days: int,
        exposure: Decimal,
    ) -> None:
        """The credit check of a signing (DOMAIN.md, Contract, Sign), then the reservation.

        `exposure` is what the customer's signed contracts still owe before this one.
        Every signing writes here, so two signings for one customer conflict and the
        second is decided again on the first one's outcome.
        """
        today = cause.now.astimezone(UTC).date()
        credit = self.credit
        if credit is None or credit["valid_until"] < today:
            raise CreditAssessmentMissing(
                "the customer has no valid credit assessment",
                valid_until=None if credit is None else credit["valid_until"].isoformat(),
            )
        if self.on_hold:
            raise CreditHold(
                f"the customer is on credit hold: {self.hold_reason}", reason=self.hold_reason
            )
        if payment_term_days > credit["max_payment_term_days"]:
            raise PaymentTermExceeded(
                f"a payment term of {payment_term_days} days exceeds the "
                f"{credit['max_payment_term_days']} days the assessment allows",
                payment_term_days=payment_term_days,
                max_payment_term_days=credit["max_payment_term_days"],
            )
        guarantees = self.unexpired_guarantees(today)
        if credit["guarantee_required"] and guarantees <= 0:
            raise GuaranteeRequired("the assessment requires a guarantee and none is held")
        limit = credit["credit_limit"] + guarantees
        after = exposure + amount
        if after > limit:
            raise CreditLimitExceeded(
                f"signing would bring the exposure to {after}, above the limit of {limit}",
                exposure=str(after),
                limit=str(limit),
                shortfall=str(after - limit),
            )
        self._record(
            self.CreditReserved,
            cause,
            contract_id=contract_id,
            amount=amount,
            exposure=after,
            limit=limit,
        )
        if self.status != CustomerStatus.CUSTOMER:
            self._record(self.Converted, cause, contract_id=contract_id)

    def enroll_membership(self, cause: Cause, tier: str) -> None:
        """Enrol the customer in the membership programme, or move it to another tier (會員制度)."""
        tier = required_text(tier, "tier", 50)
        if tier == self.tier:
            raise InvalidState("membership", tier, f"the customer is already a {tier} member")
        self._record(self.MembershipEnrolled, cause, tier=tier)

    def award_points(self, cause: Cause, points: int, reason: str) -> None:
        """Credit loyalty points to a member; the balance stays a 32-bit count."""
        points = count(points, "points", least=1)
        reason = required_text(reason, "reason")
        if self.tier is None:
            raise InvalidState("points/award", "not_member", "the customer is not a member")
        if points > MAX_COUNT - self.points:
            raise ValidationFailed.of(
                "points",
                f"would bring the balance of {self.points} above {MAX_COUNT}, the most it holds",
            )
        self._record(self.PointsAwarded, cause, points=points, reason=reason)

    def redeem_points(self, cause: Cause, points: int, reward: str) -> None:
        """Exchange points for a reward (積分兌換); points never go negative."""
        points = count(points, "points", least=1)
        reward = required_text(reward, "reward")
        if self.tier is None:
            raise InvalidState("points/redeem", "not_member", "the customer is not a member")
        if points > self.points:
            raise InsufficientPoints(
                f"redeeming {points} points needs more than the {self.points} held",
                balance=self.points,
                requested=points,
            )
        self._record(self.PointsRedeemed, cause, points=points, reward=reward)

    def record_satisfaction(self, cause: Cause, score: int, source: str) -> None:
        """Record a satisfaction score from 1 to 5."""
        if not 1 <= score <= 5:
            raise ValidationFailed.of("score", "must be between 1 and 5")
        self._record(
            self.SatisfactionRecorded, cause, score=score, source=required_text(source, "source")
        )


IDENTITY_NAMESPACE = uuid5(NAMESPACE_URL, "mops:customer-identity")


class CustomerIdentity(MopsAggregate):
    """One identity (normalised name with a phone or an email) and the customer holding it.

    Its id is derived from the identity, so two registrations of one identity write
    the same aggregate and the event store lets only one of them win.
    """

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        key: str
        customer_id: UUID | None

    class Claimed(MopsAggregate.Created):
        key: str
        customer_id: UUID

        def apply(self, identity: CustomerIdentity) -> None:
            identity.key = self.key
            identity.customer_id = self.customer_id

    class Reclaimed(MopsAggregate.Event):
        customer_id: UUID

        def apply(self, identity: CustomerIdentity) -> None:
            identity.customer_id = self.customer_id

    class Released(MopsAggregate.Event):
        def apply(self, identity: CustomerIdentity) -> None:
            identity.customer_id = None

    @staticmethod
    def id_for(key: str) -> UUID:
        """The aggregate id of an identity."""
        return uuid5(IDENTITY_NAMESPACE, key)

    @classmethod
    def claim(
        cls, cause: Cause, key: str, customer_id: UUID, held: CustomerIdentity | None
    ) -> CustomerIdentity:
        """Claim an identity for a customer, unless another customer holds it."""
        if held is None:
            return cls._start(
                cls.Claimed, cause, id=cls.id_for(key), key=key, customer_id=customer_id
            )
        if held.customer_id is not None and held.customer_id != customer_id:
            raise DuplicateCustomer(
                "a customer with this name and the same phone or email exists",
                existing_id=str(held.customer_id),
            )
        if held.customer_id is None:
            held._record(cls.Reclaimed, cause, customer_id=customer_id)
        return held

    def release(self, cause: Cause) -> None:
        """The customer no longer holds this identity."""
        self._record(self.Released, cause)
