"""Handlers of the Customer commands: `(command, context) -> Decision` each."""

from __future__ import annotations

from uuid import UUID, uuid4

from application.commands.customers import (
    AssessCredit,
    AssignCustomerOwner,
    AwardPoints,
    EnrollMembership,
    EraseCustomer,
    MarkCustomerLost,
    PlaceCreditHold,
    QualifyCustomer,
    RecordFollowUp,
    RecordSatisfaction,
    RedeemPoints,
    RegisterGuarantee,
    RegisterLead,
    ReleaseCreditHold,
    ReleaseGuarantee,
    ReopenCustomer,
    UpdateProfile,
)
from application.context import Context
from application.handlers import Handlers
from application.messages import Decision
from domain.campaign import Campaign
from domain.customer import Customer, CustomerIdentity
from domain.errors import ValidationFailed


def customer_named(ctx: Context, customer_id: UUID) -> Customer:
    """The customer a command's body names; `validation_error` on `customer_id` if none."""
    customer = ctx.find(customer_id)
    if not isinstance(customer, Customer):
        raise ValidationFailed.of("customer_id", f"no customer {customer_id}")
    return customer


def _claim_identities(
    ctx: Context, customer: Customer, held_before: set[str]
) -> tuple[CustomerIdentity, ...]:
    """The identity keys a customer takes and gives up, to save with it."""
    held_now = _digests(ctx, customer.identity_keys)
    changed = [
        CustomerIdentity.claim(
            ctx.cause, key, customer.id, ctx.find_key(CustomerIdentity.id_for(key))
        )
        for key in sorted(held_now - held_before)
    ]
    for key in sorted(held_before - held_now):
        identity = ctx.find_key(CustomerIdentity.id_for(key))
        if identity is not None and identity.customer_id == customer.id:
            identity.release(ctx.cause)
            changed.append(identity)
    return tuple(changed)


def _digests(ctx: Context, keys: set[str]) -> set[str]:
    """Identity keys as stored: keyed digests, never the names, phones and emails."""
    return {ctx.pseudonym(key) for key in keys}


def register_lead(cmd: RegisterLead, ctx: Context) -> Decision:
    """A lead sourced from a campaign names a campaign of any status (leads keep arriving)."""
    if cmd.campaign_id is not None and not isinstance(ctx.find(cmd.campaign_id), Campaign):
        raise ValidationFailed.of("campaign_id", f"no campaign {cmd.campaign_id}")
    customer = Customer.register(
        ctx.cause,
        id=uuid4(),
        name=cmd.name,
        kind=cmd.kind,
        source=cmd.source,
        contacts=cmd.contacts,
        industry=cmd.industry,
        region=cmd.region,
        campaign_id=cmd.campaign_id,
        owner_id=cmd.owner_id,
        tags=cmd.tags,
    )
    return Decision(customer, _claim_identities(ctx, customer, set()))


def update_profile(cmd: UpdateProfile, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    held_before = _digests(ctx, customer.identity_keys)
    customer.update_profile(ctx.cause, **cmd.changes)
    return Decision(customer, _claim_identities(ctx, customer, held_before))


def erase_customer(cmd: EraseCustomer, ctx: Context) -> Decision:
    """The erasure gives up the customer's identities: the person may be registered anew."""
    customer = ctx.addressed(cmd.customer_id, Customer)
    held_before = _digests(ctx, customer.identity_keys)
    customer.erase(ctx.cause, cmd.reason)
    return Decision(customer, _claim_identities(ctx, customer, held_before))


def assign_customer_owner(cmd: AssignCustomerOwner, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    customer.assign_owner(ctx.cause, cmd.owner_id)
    return Decision(customer)


def qualify_customer(cmd: QualifyCustomer, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    customer.qualify(ctx.cause)
    return Decision(customer)


def mark_customer_lost(cmd: MarkCustomerLost, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    customer.mark_lost(ctx.cause, cmd.reason)
    return Decision(customer)


def reopen_customer(cmd: ReopenCustomer, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    customer.reopen(ctx.cause)
    return Decision(customer)


def record_follow_up(cmd: RecordFollowUp, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    customer.record_follow_up(
        ctx.cause,
        kind=cmd.kind,
        notes=cmd.notes,
        occurred_at=cmd.occurred_at,
        next_follow_up_on=cmd.next_follow_up_on,
    )
    return Decision(customer)


def assess_credit(cmd: AssessCredit, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    customer.assess_credit(
        ctx.cause,
        rating=cmd.rating,
        score=cmd.score,
        credit_limit=cmd.credit_limit,
        max_payment_term_days=cmd.max_payment_term_days,
        guarantee_required=cmd.guarantee_required,
        valid_until=cmd.valid_until,
        basis=cmd.basis,
    )
    return Decision(customer)


def place_credit_hold(cmd: PlaceCreditHold, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    customer.place_credit_hold(ctx.cause, cmd.reason)
    return Decision(customer)


def release_credit_hold(cmd: ReleaseCreditHold, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    customer.release_credit_hold(ctx.cause)
    return Decision(customer)


def register_guarantee(cmd: RegisterGuarantee, ctx: Context) -> Decision:
    """The answer names the new guarantee (`guarantee_id`)."""
    customer = ctx.addressed(cmd.customer_id, Customer)
    guarantee_id = uuid4()
    customer.register_guarantee(
        ctx.cause,
        guarantee_id=guarantee_id,
        amount=cmd.amount,
        kind=cmd.kind,
        expires_on=cmd.expires_on,
    )
    return Decision(customer, extra={"guarantee_id": str(guarantee_id)})


def release_guarantee(cmd: ReleaseGuarantee, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    customer.release_guarantee(ctx.cause, cmd.guarantee_id)
    return Decision(customer)


def enroll_membership(cmd: EnrollMembership, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    customer.enroll_membership(ctx.cause, cmd.tier)
    return Decision(customer)


def award_points(cmd: AwardPoints, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    customer.award_points(ctx.cause, cmd.points, cmd.reason)
    return Decision(customer)


def redeem_points(cmd: RedeemPoints, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    customer.redeem_points(ctx.cause, cmd.points, cmd.reward)
    return Decision(customer)


def record_satisfaction(cmd: RecordSatisfaction, ctx: Context) -> Decision:
    customer = ctx.addressed(cmd.customer_id, Customer)
    customer.record_satisfaction(ctx.cause, cmd.score, cmd.source)
    return Decision(customer)


HANDLERS: Handlers = {
    RegisterLead: register_lead,
    UpdateProfile: update_profile,
    EraseCustomer: erase_customer,
    AssignCustomerOwner: assign_customer_owner,
    QualifyCustomer: qualify_customer,
    MarkCustomerLost: mark_customer_lost,
    ReopenCustomer: reopen_customer,
    RecordFollowUp: record_follow_up,
    AssessCredit: assess_credit,
    PlaceCreditHold: place_credit_hold,
    ReleaseCreditHold: release_credit_hold,
    RegisterGuarantee: register_guarantee,
    ReleaseGuarantee: release_guarantee,
    EnrollMembership: enroll_membership,
    AwardPoints: award_points,
    RedeemPoints: redeem_points,
    RecordSatisfaction: record_satisfaction,
}
