"""Bearer tokens: HS256 JWTs with `sub`, `roles` and `exp`; the secret that signs them."""

from __future__ import annotations

import time
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from application.permissions import ROLES, Caller
from domain.errors import DomainError
from interfaces.bootstrap import DEV_JWT_SECRET

# HS256 is as strong as its key: RFC 7518 asks for a key of at least the hash's size.
MIN_SECRET_BYTES = 32
# API.md, MOPS_TOKEN_MAX_TTL: 12 hours unless a deployment says otherwise.
DEFAULT_MAX_TTL = timedelta(minutes=720)
# Control characters, invisible format characters (bidi overrides, zero-width joiners)
# and line separators: a subject holding one reads as another person in a log.
_UNSEEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


class Unauthenticated(DomainError):
    """No token, a bad one, or an expired one."""

    code = "unauthenticated"
    title = "Unauthenticated"


def secret_problem(secret: str | None) -> str | None:
    """Why a secret may not sign a deployment's tokens, or None when it may."""
    if not secret:
        return "MOPS_JWT_SECRET is required (or run `mops serve --dev`)"
    if secret == DEV_JWT_SECRET:
        return "MOPS_JWT_SECRET is the published development secret; set a secret of your own"
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"MOPS_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long"
    return None


def subject_problem(subject: object) -> str | None:
    """Why a `sub` names nobody mops can tell apart from others, or None when it is fine."""
    if not isinstance(subject, str) or not subject.strip():
        return "the token's sub claim must name the subject"
    if subject != subject.strip():
        return "the token's sub claim may not begin or end with white space"
    if any(unicodedata.category(ch) in _UNSEEN for ch in subject):
        return "the token's sub claim may not hold control characters"
    return None


def mint(secret: str, subject: str, roles: list[str], ttl: timedelta) -> str:
    """A signed token for a subject holding the given roles, living `ttl`.

    It signs what it is given (tests make expired tokens with it); `token_problem` says
    what `mops token` refuses to mint.
    """
    unknown = sorted(set(roles) - ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {', '.join(unknown)}")
    now = datetime.now(UTC)
    claims = {"sub": subject, "roles": sorted(set(roles)), "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


def token_problem(subject: str, ttl: timedelta, max_ttl: timedelta) -> str | None:
    """Why a token for this subject and lifetime would be refused at sign-in, or None."""
    if ttl <= timedelta(0):
        return "a token's lifetime must be above 0 minutes: it would be expired at once"
    if ttl > max_ttl:
        minutes = max_ttl // timedelta(minutes=1)
        return f"a token may live at most {minutes} minutes (MOPS_TOKEN_MAX_TTL)"
    problem = subject_problem(subject)
    return None if problem is None else problem.replace("the token's sub claim", "--sub")


def caller_from(
    authorization: str | None, secret: str, *, max_ttl: timedelta = DEFAULT_MAX_TTL
) -> Caller:
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
    _check_lifetime(claims, max_ttl)
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Unauthenticated("the token's roles claim must be a list of role names")
    problem = subject_problem(claims["sub"])
    if problem is not None:
        raise Unauthenticated(problem)
    return Caller(claims["sub"], frozenset(roles) & ROLES)


def _check_lifetime(claims: dict[str, Any], max_ttl: timedelta) -> None:
    """Refuse a token minted to live longer than MOPS_TOKEN_MAX_TTL.

    Measured from `iat` or, for a token without one or issued ahead of our clock, from
    now: no token reaches further than that. PyJWT has checked that `exp` and `iat` are
    whole numbers (of any size, so they are compared as numbers, never made dates).
    """
    now = time.time()
    issued = claims.get("iat")
    start = now if issued is None else min(int(issued), now)
    if int(claims["exp"]) - start > max_ttl.total_seconds():
        minutes = max_ttl // timedelta(minutes=1)
        raise Unauthenticated(
            f"the token lives longer than the {minutes} minutes allowed (MOPS_TOKEN_MAX_TTL)"
        )
