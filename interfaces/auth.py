"""Bearer tokens: HS256 JWTs with `sub`, `roles` and `exp`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from application.permissions import ROLES, Caller
from domain.errors import DomainError


class Unauthenticated(DomainError):
    """No token, a bad one, or an expired one."""

    code = "unauthenticated"
    title = "Unauthenticated"


def mint(secret: str, subject: str, roles: list[str], ttl: timedelta) -> str:
    """A signed token for a subject holding the given roles."""
    unknown = sorted(set(roles) - ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {', '.join(unknown)}")
    now = datetime.now(UTC)
    claims = {"sub": subject, "roles": sorted(set(roles)), "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


def caller_from(authorization: str | None, secret: str) -> Caller:
    """The caller named by an `Authorization: Bearer …` header."""
    if not authorization:
        raise Unauthenticated("a bearer token is required")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    try:
        claims = jwt.decode(
            token.strip(), secret, algorithms=["HS256"], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired") from None
    except jwt.PyJWTError as error:
        raise Unauthenticated(f"the token is not valid: {error}") from None
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Unauthenticated("the token's roles claim must be a list of role names")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.strip():
        raise Unauthenticated("the token's sub claim must name the subject")
    return Caller(subject, frozenset(roles) & ROLES)
