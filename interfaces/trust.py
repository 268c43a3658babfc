"""What an auditor asks of the log itself: verify the chain, seal its head, export, import.

The chain is described in projections/chain.py. A seal is the head (position, hash, time)
signed with the deployment's Ed25519 key (MOPS_SIGNING_KEY); API.md gives its JSON. An export
is the log as JSON lines with each event's link, which an import into an empty database
verifies in full before it writes anything.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from projections.chain import GENESIS, Link, StoredRow, Verdict, link_hash, verify
from projections.chain_store import ChainStore

EXPORT_FORMAT = "mops-log"
EXPORT_VERSION = 1


class TrustError(Exception):
    """A seal, key or export that cannot be used; its message is one line for a person."""


# ---------------------------------------------------------------- keys and seals


def load_signing_key(text: str) -> Ed25519PrivateKey:
    """MOPS_SIGNING_KEY: a PEM private key, or the base64 of its 32 raw bytes."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise TrustError("MOPS_SIGNING_KEY is a PEM key, but not an Ed25519 one")
            return key
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error) as error:
        raise TrustError(f"MOPS_SIGNING_KEY is not an Ed25519 private key: {error}") from None


def new_signing_key() -> str:
    """A fresh key, as MOPS_SIGNING_KEY takes it (base64 of the raw bytes)."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(raw).decode()


def public_key_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _signed_bytes(position: int, digest_hex: str, sealed_at: str) -> bytes:
    body = {"hash": digest_hex, "position": position, "sealed_at": sealed_at}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def seal(store: ChainStore, key: Ed25519PrivateKey, now: datetime | None = None) -> dict[str, Any]:
    """The signed head of the chain (API.md, `GET /audit/seal`)."""
    head = store.head()
    position, digest = (head.position, head.hash.hex()) if head else (0, GENESIS.hex())
    sealed_at = (now or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    signature = key.sign(_signed_bytes(position, digest, sealed_at))
    return {
        "position": position,
        "hash": digest,
        "sealed_at": sealed_at,
        "public_key": public_key_text(key),
        "signature": base64.b64encode(signature).decode(),
    }


def seal_problem(
    store: ChainStore, kept: dict[str, Any], trusted: Ed25519PrivateKey | None
) -> str | None:
    """Why a seal kept earlier does not hold for this log, or None when it does.

    The signature proves the seal was made with the key it names; when this deployment
    has a key, the seal must name that one. Then the link at the sealed position must
    still have the sealed hash: a chain recomputed after an edit has another.
    """
    try:
        position, digest, sealed_at = kept["position"], kept["hash"], kept["sealed_at"]
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(kept["public_key"]))
        public.verify(
            base64.b64decode(kept["signature"]), _signed_bytes(position, digest, sealed_at)
        )
    except InvalidSignature:
        return "the seal's signature does not match its contents"
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        return f"the seal is not a seal of mops ({type(error).__name__}: {error})"
    if trusted is not None and kept["public_key"] != public_key_text(trusted):
        return "the seal was signed with a key other than this deployment's"
    link = store.link_at(position) if position else None
    actual = link.hash.hex() if link else GENESIS.hex()
    if position and link is None:
        return f"position {position}, sealed at {sealed_at}, has no link in the log"
    if actual != digest:
        return (
            f"position {position} was sealed at {sealed_at} with hash {digest}; the log now "
            f"has {actual} there: the chain before it was rewritten"
        )
    return None


def verify_store(store: ChainStore, progress: Callable[[int], None] | None = None) -> Verdict:
    """Recompute the whole chain of a database, up to what was stored when it began."""
    stop = store.bounds()
    return verify(store.events(0, stop), store.links(0, stop), progress)


# ---------------------------------------------------------------- export and import


def export_lines(
    store: ChainStore,
    subject_keys: Iterable[dict[str, Any]] = (),
    secrets: Iterable[dict[str, Any]] = (),
) -> Iterator[str]:
    """The log as JSON lines: a header, one line an event with its link, then the keys of
    the living data subjects and the deployment's secrets (the identities' HMAC key)."""
    stop = store.bounds()
    yield json.dumps({"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "stop": stop})
    links = store.links(0, stop)
    for event in store.events(0, stop):
        link = next(links, None)
        yield json.dumps(
            {
                "position": event.position,
                "aggregate_id": str(event.aggregate_id),
                "version": event.version,
                "topic": event.topic,
                "state": base64.b64encode(event.state).decode(),
                "previous": link.previous if link and link.position == event.position else None,
                "hash": link.hash.hex() if link and link.position == event.position else None,
            },
            separators=(",", ":"),
        )
    for key in subject_keys:
        yield json.dumps({"subject_key": key}, separators=(",", ":"))
    for secret in secrets:
        yield json.dumps({"deployment_secret": secret}, separators=(",", ":"))


@dataclass
class ImportFile:
    """An export, read and checked: its events with their links, and the subject keys."""

    events: list[StoredRow]
    links: list[Link]
    subject_keys: list[dict[str, Any]]
    secrets: list[dict[str, Any]]


def _event_line(number: int, line: dict[str, Any]) -> tuple[StoredRow, Link]:
    try:
        event = StoredRow(
            int(line["position"]),
            UUID(line["aggregate_id"]),
            int(line["version"]),
            str(line["topic"]),
            base64.b64decode(line["state"], validate=True),
        )
        link = Link(event.position, int(line["previous"]), bytes.fromhex(line["hash"]))
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise TrustError(f"line {number}: not an event of an export ({error})") from None
    return event, link


def read_export(source: TextIO) -> ImportFile:
    """Every line of an export, its chain recomputed; TrustError naming the first bad line."""
    header_line = source.readline()
    try:
        header = json.loads(header_line)
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != EXPORT_FORMAT:
        raise TrustError("line 1: not an export of mops (no mops-log header)")
    read = ImportFile([], [], [], [])
    last_position, last_hash = 0, GENESIS
    for number, text in enumerate(source, start=2):
        try:
            line = json.loads(text)
        except json.JSONDecodeError as error:
            raise TrustError(f"line {number}: not JSON ({error})") from None
        if isinstance(line, dict) and "subject_key" in line:
            read.subject_keys.append(line["subject_key"])
            continue
        if isinstance(line, dict) and "deployment_secret" in line:
            read.secrets.append(line["deployment_secret"])
            continue
        if read.subject_keys or read.secrets:
            raise TrustError(f"line {number}: an event after the keys")
        event, link = _event_line(number, line if isinstance(line, dict) else {})
        if link.previous != last_position or link_hash(last_hash, event) != link.hash:
            raise TrustError(
                f"line {number}: position {event.position} does not match the chain "
                "(changed, missing or inserted)"
            )
        read.events.append(event)
        read.links.append(link)
        last_position, last_hash = event.position, link.hash
    return read


# ---------------------------------------------------------------- snapshots


def _snapshotted_ids(app: Any) -> list[UUID]:
    """The aggregates that have a snapshot (read from the snapshots table itself)."""
    recorder = app.snapshots.recorder
    datastore = recorder.datastore
    table = recorder.events_table_name
    schema = getattr(datastore, "schema", None)
    name = f'"{schema}"."{table}"' if schema else table
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT DISTINCT originator_id FROM {name}")
        rows = cursor.fetchall()
    return [UUID(str(row["originator_id"] if isinstance(row, dict) else row[0])) for row in rows]


def snapshot_problems(app: Any) -> Iterator[str]:
    """Each snapshot whose state is not the state replayed from the events it stands for.

    Snapshots are not chained (they are a cache the repository may read instead of the
    events): a forged one would show a forged current state. This replays the events up to
    each snapshot's version and compares the states.
    """
    if app.snapshots is None:
        return
    for aggregate_id in _snapshotted_ids(app):
        try:
            snapshots = list(app.snapshots.get(aggregate_id))
        except Exception as error:
            yield f"{aggregate_id}: a snapshot cannot be read ({type(error).__name__})"
            continue
        for snapshot in snapshots:
            aggregate = None
            for event in app.events.get(aggregate_id, lte=snapshot.originator_version):
                aggregate = event.mutate(aggregate)
            replayed = type(snapshot).take(aggregate).state if aggregate is not None else None
            if replayed != snapshot.state:
                fields = sorted(
                    k
                    for k in set(replayed or {}) | set(snapshot.state)
                    if (replayed or {}).get(k) != snapshot.state.get(k)
                )
                yield (
                    f"{aggregate_id} at version {snapshot.originator_version}: the snapshot "
                    f"differs from its events in {', '.join(fields) or 'its shape'}"
                )
