"""What the parts of the demo share: the back office, the seeded dice, the people."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from rich.console import Console

from application.backoffice import Backoffice, Request
from application.permissions import Caller


@dataclass
class DemoCompany:
    """The demo's state as its parts write it: each part may use what earlier ones made."""

    app: Backoffice
    rng: random.Random
    now: datetime
    reach: timedelta
    console: Console
    sales_people: list[str] = field(default_factory=lambda: [f"emp-sales-{n}" for n in range(1, 6)])
    customers: list[UUID] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    # Staff role -> the employee ids (strings) of the people in it, in hiring order.
    staff: dict[str, list[str]] = field(default_factory=dict)
    # How many customers the demo will register (targets are set before they exist).
    planned_customers: int = 300

    def person(self, role: str, n: int = 0) -> str:
        """The employee id of the n-th person hired in a staff role (the demo's subjects)."""
        people = self.staff.get(role, [])
        if n >= len(people):
            raise LookupError(f"the demo staff has no {role} number {n + 1}; write the staff first")
        return people[n]

    @staticmethod
    def as_(subject: str, *roles: str) -> Request:
        """A request from a subject with roles."""
        return Request(Caller(subject, frozenset(roles)))
