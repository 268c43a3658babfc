"""Which roles may issue which command (DOMAIN.md, per command). `admin` may issue all."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import Forbidden

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

COMMAND_ROLES: dict[str, frozenset[str]] = {
    "customer.register": frozenset({"sales", "sales_manager", "marketing"}),
    "customer.profile": frozenset({"sales", "sales_manager", "marketing"}),
    "customer.owner": frozenset({"sales_manager"}),
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
}

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

    def may_read_audit(self) -> bool:
        """True for the roles that may read the global event log."""
        return bool(self.roles & AUDIT_READERS)
