"""Which roles may issue which command (DOMAIN.md, per command). `admin` may issue all."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import Forbidden
from domain.values import same_subject

ROLES = frozenset(
    {
        "admin",
        "executive",
        "sales",
        "sales_manager",
        "marketing",
        "finance",
        "legal",
        "service",
        "hr",
        "auditor",
    }
)

# The roles whose work spends budget money, and who may ask for an overrun.
SPENDING_ROLES = frozenset(
    {"executive", "sales", "sales_manager", "marketing", "finance", "service", "hr"}
)

# Every role that does the company's work: all but the read-only auditor.
WORKING_ROLES = ROLES - {"auditor"}

# Capacities beyond the commands a role may issue, which handlers hand to the aggregates.
# Act on what another employee owns (a contract, a campaign).
MANAGING_ROLES = frozenset({"sales_manager", "admin"})
# Write off more than the write-off limit.
EXECUTIVE_ROLES = frozenset({"executive", "admin"})
# Act for HR on any employee's record.
HR_ROLES = frozenset({"hr", "admin"})
# Speak for the customer side in an employee's evaluation.
CUSTOMER_SIDE_ROLES = frozenset({"sales", "service", "admin"})
# Decide on any expense claim, besides the claimant's manager.
FINANCE_ROLES = frozenset({"finance", "admin"})

COMMAND_ROLES: dict[str, frozenset[str]] = {
    "customer.register": frozenset({"sales", "sales_manager", "marketing"}),
    "customer.profile": frozenset({"sales", "sales_manager", "marketing"}),
    "customer.owner": frozenset({"sales_manager"}),
    # Personal data (DOMAIN.md, Principles; API.md, erase): admin is implied.
    "customer.erase": frozenset({"legal"}),
    "customer.qualify": frozenset({"sales", "sales_manager"}),
    "customer.lost": frozenset({"sales", "sales_manager"}),
    "customer.reopen": frozenset({"sales", "sales_manager"}),
    "customer.follow_up": frozenset({"sales", "service"}),
    "customer.credit_assessment": frozenset({"finance"}),
    "customer.credit_hold": frozenset({"finance"}),
    "customer.credit_hold_release": frozenset({"finance"}),
    "customer.guarantee": frozenset({"finance"}),
    "customer.guarantee_release": frozenset({"finance"}),
    "customer.membership": frozenset({"service", "sales"}),
    "customer.points_award": frozenset({"service", "sales"}),
    "customer.points_redeem": frozenset({"service", "sales"}),
    "customer.satisfaction": frozenset({"service"}),
    # Contract. Who may act on a particular contract (its owner, a department's
    # reviewer) is checked by the aggregate once the role has passed.
    "contract.draft": frozenset({"sales", "sales_manager"}),
    "contract.amend": frozenset({"sales", "sales_manager"}),
    "contract.submit": frozenset({"sales", "sales_manager"}),
    "contract.review_approve": frozenset({"legal", "finance", "sales_manager", "executive"}),
    "contract.review_reject": frozenset({"legal", "finance", "sales_manager", "executive"}),
    "contract.sign": frozenset({"sales_manager"}),
    "contract.delivery": frozenset({"sales"}),
    "contract.invoice": frozenset({"finance"}),
    "contract.payment": frozenset({"finance"}),
    "contract.reminder": frozenset({"finance", "sales"}),
    "contract.write_off": frozenset({"finance", "executive"}),
    "contract.cancel": frozenset({"sales", "sales_manager"}),
    "contract.terminate": frozenset({"finance", "sales_manager"}),
    "contract.waive_penalty": frozenset({"sales_manager", "executive"}),
    "contract.interest": frozenset({"finance"}),
    # Budget.
    "budget.draft": frozenset({"finance", "executive"}),
    "budget.amend": frozenset({"finance", "executive"}),
    "budget.submit": frozenset({"finance", "executive"}),
    "budget.approve": frozenset({"executive"}),
    "budget.reject": frozenset({"executive"}),
    "budget.commit": frozenset({"finance"}),
    "budget.release_commitment": frozenset({"finance"}),
    "budget.expense": frozenset({"finance"}),
    "budget.overrun_request": SPENDING_ROLES,
    "budget.overrun_approve": frozenset({"executive"}),
    "budget.overrun_reject": frozenset({"executive"}),
    "budget.reallocate": frozenset({"executive"}),
    "budget.close": frozenset({"finance"}),
    # Campaign.
    "campaign.draft": frozenset({"marketing", "sales_manager"}),
    "campaign.amend": frozenset({"marketing", "sales_manager"}),
    "campaign.submit": frozenset({"marketing", "sales_manager"}),
    "campaign.approve": frozenset({"executive", "sales_manager"}),
    "campaign.reject": frozenset({"executive", "sales_manager"}),
    "campaign.launch": frozenset({"marketing", "sales_manager"}),
    "campaign.result": frozenset({"marketing", "sales_manager"}),
    "campaign.complete": frozenset({"marketing", "sales_manager"}),
    "campaign.evaluate": frozenset({"marketing", "sales_manager"}),
    "campaign.cancel": frozenset({"marketing", "sales_manager"}),
    # Complaint.
    **{
        f"complaint.{command}": frozenset({"service", "sales_manager"})
        for command in (
            "receive",
            "assign",
            "respond",
            "progress",
            "escalate",
            "resolve",
            "close",
            "reopen",
        )
    },
    # Employee. Trainings and evaluations are allowed by identity (the employee's
    # manager, the employee, a peer): any working role passes the role check, and the
    # aggregate decides who may act in that capacity.
    "employee.register_candidate": frozenset({"hr"}),
    "employee.erase": frozenset({"legal", "hr"}),
    "employee.interview": frozenset({"hr"}),
    "employee.hire": frozenset({"hr"}),
    "employee.reject_candidate": frozenset({"hr"}),
    "employee.transfer": frozenset({"hr"}),
    "employee.promote": frozenset({"hr"}),
    "employee.terminate": frozenset({"hr"}),
    "employee.targets": frozenset({"sales_manager", "hr"}),
    "employee.training": WORKING_ROLES,
    "employee.appraisal_open": frozenset({"hr"}),
    "employee.evaluation": WORKING_ROLES,
    "employee.appraisal_finalize": frozenset({"hr"}),
    "employee.bonus": frozenset({"hr", "executive"}),
    "employee.honor": frozenset({"hr", "executive"}),
    "employee.improvement_plan": frozenset({"hr", "executive"}),
    "employee.improvement_plan_close": frozenset({"hr", "executive"}),
    # Opportunity: a sales user acts only on the opportunities they own.
    **{
        f"opportunity.{command}": frozenset({"sales", "sales_manager"})
        for command in (
            "open",
            "advance",
            "regress",
            "quote",
            "negotiation",
            "win",
            "lose",
            "reopen",
        )
    },
    # PriceList.
    **{
        f"price_list.{command}": frozenset({"sales_manager", "finance"})
        for command in ("create", "set_price", "retire_price", "publish")
    },
    # MarketingPlan.
    **{
        f"marketing_plan.{command}": frozenset({"marketing", "sales_manager"})
        for command in ("draft", "amend", "submit", "revise")
    },
    "marketing_plan.approve": frozenset({"executive"}),
    "marketing_plan.return": frozenset({"executive"}),
    "marketing_plan.measurement": frozenset({"marketing"}),
    # StaffingPlan and Department rosters (written by the moves; `mops upgrade` as admin).
    **{
        f"staffing_plan.{command}": frozenset({"hr"})
        for command in ("draft", "amend", "submit", "revise")
    },
    "staffing_plan.approve": frozenset({"executive"}),
    "staffing_plan.return": frozenset({"executive"}),
    "department.rebuild_roster": frozenset(),
    # Risk: any role but the read-only auditor.
    **{
        f"risk.{command}": WORKING_ROLES
        for command in ("identify", "assess", "add_action", "complete_action", "close", "reopen")
    },
    # ExpenseClaim: any employee claims for themselves; the claimant's manager (whatever
    # their role) or finance decides, which the aggregate checks once the role has passed.
    "expense_claim.submit": WORKING_ROLES,
    "expense_claim.approve": WORKING_ROLES,
    "expense_claim.reject": WORKING_ROLES,
    "expense_claim.pay": frozenset({"finance"}),
    # Notifications: webhooks are the admin's; a recipient reads and acknowledges.
    "webhook.subscribe": frozenset(),
    "webhook.delete": frozenset(),
    "notification.read": WORKING_ROLES,
    "notification.acknowledge": WORKING_ROLES,
    # TrainingProgram: enrolment also by the employee's manager (the aggregate checks).
    **{
        f"training_program.{command}": frozenset({"hr"})
        for command in ("plan", "amend", "attendance", "assessment", "complete", "evaluate")
    },
    "training_program.enroll": WORKING_ROLES,
    "training_program.approve": frozenset({"executive"}),
    "training_program.cancel": frozenset({"hr", "executive"}),
    # ResearchReport.
    **{
        f"research_report.{command}": frozenset({"marketing", "sales_manager"})
        for command in ("draft", "amend", "submit")
    },
    "research_report.accept": frozenset({"executive"}),
    "research_report.return": frozenset({"executive"}),
}

# Besides the employee and their manager, who may read people data: an employee's
# record, appraisals and KPIs.
PEOPLE_READERS = frozenset({"hr", "executive", "auditor", "admin"})

AUDIT_READERS = frozenset({"auditor", "executive", "admin"})


@dataclass(frozen=True)
class Caller:
    """The authenticated subject behind a request, with its roles."""

    actor: str
    roles: frozenset[str]

    def may(self, command: str) -> bool:
        """True when one of the caller's roles may issue the command."""
        return "admin" in self.roles or bool(self.roles & COMMAND_ROLES[command])

    def require(self, command: str) -> None:
        """Refuse a command none of the caller's roles may issue."""
        if not self.may(command):
            allowed = ", ".join(sorted(COMMAND_ROLES[command] | {"admin"}))
            raise Forbidden(f"'{command}' needs one of the roles: {allowed}")

    def holds(self, capacity: frozenset[str]) -> bool:
        """True when one of the caller's roles gives a capacity (`MANAGING_ROLES`, ...)."""
        return bool(self.roles & capacity)

    def is_subject(self, subject: str | None) -> bool:
        """True when a subject (an employee, owner or manager id) names the caller.

        Subjects compare trimmed and casefolded wherever identity matters (API.md), so a
        token for "ADM-X" is the same person as one for "adm-x".
        """
        return same_subject(self.actor, subject)

    def may_read_people_data(self, employee_id: str, manager_id: str | None) -> bool:
        """True for people-data readers, the employee themself and their manager."""
        return (
            bool(self.roles & PEOPLE_READERS)
            or self.is_subject(employee_id)
            or self.is_subject(manager_id)
        )

    def may_read_audit(self) -> bool:
        """True for the roles that may read the global event log."""
        return bool(self.roles & AUDIT_READERS)
