"""Domain errors. Each carries the error code of the spec and the facts a client needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


class DomainError(Exception):
    """A command was refused; nothing was written."""

    code = "domain_error"
    title = "Command refused"

    def __init__(self, detail: str, **facts: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.facts = facts


class FieldError(dict[str, str]):
    """One field's complaint inside a validation error: {field, message}."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field=field, message=message)


class ValidationFailed(DomainError):
    """Malformed or out-of-range input."""

    code = "validation_error"
    title = "Validation failed"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        detail = detail or "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        super().__init__(detail)
        self.errors = errors

    @classmethod
    def of(cls, field: str, message: str) -> ValidationFailed:
        """A validation error about a single field."""
        return cls([FieldError(field, message)])


def run_checks(
    errors: list[FieldError], checks: Iterable[tuple[str, Callable[[], Any]]]
) -> dict[str, Any]:
    """The value of every check that passed, by name; a failing one's complaints join `errors`.

    Every check runs, so that a client hears of all its malformed fields at once.
    """
    checked: dict[str, Any] = {}
    for name, check in checks:
        try:
            checked[name] = check()
        except ValidationFailed as error:
            errors.extend(error.errors)
    return checked


class InvalidState(DomainError):
    """The command is not allowed in the aggregate's current state."""

    code = "invalid_state"
    title = "Not allowed in the current state"

    def __init__(self, command: str, state: str, detail: str | None = None) -> None:
        super().__init__(detail or f"'{command}' is not allowed in state '{state}'", state=state)


class NotFound(DomainError):
    """An id names nothing that exists."""

    code = "not_found"
    title = "Not found"


class Forbidden(DomainError):
    """The subject may not act in that capacity."""

    code = "forbidden"
    title = "Forbidden"


class VersionConflict(DomainError):
    """The aggregate moved on since the version the client based its command on."""

    code = "version_conflict"
    title = "Version conflict"


class IdempotencyKeyReused(DomainError):
    """An idempotency key came back with a different request."""

    code = "idempotency_key_reused"
    title = "Idempotency key reused"


class DuplicateCustomer(DomainError):
    """Same normalised name and same phone or email as an existing customer."""

    code = "duplicate_customer"
    title = "Duplicate customer"


class InsufficientPoints(DomainError):
    """Membership points may never go negative."""

    code = "insufficient_points"
    title = "Insufficient points"


class SegregationOfDuties(DomainError):
    """Whoever submitted, requested or owns something may not approve or review it."""

    code = "segregation_of_duties"
    title = "Segregation of duties"


class BusinessRuleBroken(DomainError):
    """A business rule of DOMAIN.md refused the command; `code` names the rule."""

    title = "Business rule broken"


def _rule(code: str, title: str) -> type[BusinessRuleBroken]:
    return type(
        "".join(part.title() for part in code.split("_")),
        (BusinessRuleBroken,),
        {"code": code, "title": title, "__module__": __name__},
    )


# Contract (DOMAIN.md, Contract).
CreditAssessmentMissing = _rule("credit_assessment_missing", "No valid credit assessment")
CreditHold = _rule("credit_hold", "Customer on credit hold")
PaymentTermExceeded = _rule("payment_term_exceeded", "Payment term beyond the assessment")
GuaranteeRequired = _rule("guarantee_required", "Guarantee required")
CreditLimitExceeded = _rule("credit_limit_exceeded", "Credit limit exceeded")
OverDelivery = _rule("over_delivery", "More delivered than ordered")
OverInvoicing = _rule("over_invoicing", "More invoiced than the contract total")
OverPayment = _rule("over_payment", "More paid than invoiced")
DuplicatePayment = _rule("duplicate_payment", "Payment reference already recorded")
NothingOverdue = _rule("nothing_overdue", "No invoice is overdue")
OverWriteOff = _rule("over_write_off", "More written off than outstanding")
ReviewNotRequired = _rule("review_not_required", "The contract needs no such review")

# Budget and Campaign (DOMAIN.md, Budget and Campaign).
BudgetExceeded = _rule("budget_exceeded", "Budget exceeded")
ExpenseStandardExceeded = _rule("expense_standard_exceeded", "Expense standard exceeded")
DuplicateBudget = _rule("duplicate_budget", "A budget for that fiscal year exists")

# Complaint and Employee (DOMAIN.md, Complaint and Employee).
ReopenWindowClosed = _rule("reopen_window_closed", "Reopened more than 30 days after resolution")
HiringIncomplete = _rule("hiring_incomplete", "Interview or background check not passed")
DuplicateEvaluation = _rule("duplicate_evaluation", "That evaluator has evaluated already")
EvaluationIncomplete = _rule("evaluation_incomplete", "No superior evaluation")
ImprovementPlanNotAllowed = _rule(
    "improvement_plan_not_allowed", "Latest finalised rating is not C or D"
)

# Opportunity and PriceList (DOMAIN.md, Opportunity and PriceList).
CustomerLost = _rule("customer_lost", "The customer is lost")
NoListPrice = _rule("no_list_price", "No active list price for the sku")
QuoteExpired = _rule("quote_expired", "The quote has expired")
PriceListOverlap = _rule("price_list_overlap", "Another published list prices the sku then")

# MarketingPlan and ExpenseClaim (DOMAIN.md, MarketingPlan and ExpenseClaim).
DuplicatePlan = _rule("duplicate_plan", "A marketing plan for that fiscal year exists")
DuplicateClaim = _rule("duplicate_claim", "Receipt already claimed")

# TrainingProgram and ResearchReport (DOMAIN.md, TrainingProgram and ResearchReport).
AlreadyEnrolled = _rule("already_enrolled", "The employee is enrolled already")
EvaluationTooEarly = _rule("evaluation_too_early", "The quarter after completion has not ended")
NoApprovedPlan = _rule("no_approved_plan", "No approved marketing plan for that year")

# Department and StaffingPlan (DOMAIN.md, Department and StaffingPlan).
HeadcountExceeded = _rule("headcount_exceeded", "No free place in the approved staffing plan")
