"""The hash chain over the event log: a log that proves itself (DOMAIN.md, Principles).

Every stored event has a link in the table `<events table>_chain`: its position, the
position of the event before it, and

    hash(n) = SHA-256(hash(n-1) || canonical bytes of event n)

where the canonical bytes are the position (8 bytes, big-endian), the aggregate id (its 16
UUID bytes), the version (8 bytes, big-endian), the topic (4-byte big-endian length, then
UTF-8) and the stored state (4-byte big-endian length, then the bytes as stored), and
hash(0) is 32 zero bytes. The same bytes on SQLite and PostgreSQL, so an export from one
verifies on the other.

The link is written in the same transaction as the event: on PostgreSQL by a trigger on the
events table (so one round trip still commits a batch, and the library's table lock keeps
links in position order); on SQLite by the recorder, after the event's insert and under
SQLite's single writer. Verification walks events and links together by position and names
the first position where an event was changed, removed or inserted.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, NamedTuple
from uuid import UUID

GENESIS = bytes(32)
# How many rows a verification or an export reads at a time.
BATCH = 2000


def chain_table_name(events_table_name: str) -> str:
    return f"{events_table_name}_chain"


_HEAD = struct.Struct(">q16sqi")  # position, aggregate id, version, topic's length
_LENGTH = struct.Struct(">i")


def link_hash(previous_hash: bytes, event: StoredRow) -> bytes:
    """hash(n) from hash(n-1) and event n: SHA-256 of hash(n-1) and the event's canonical
    bytes (the module's docstring), in one call (every command on SQLite links here)."""
    position, aggregate_id, version, topic, state = event
    topic_bytes = topic.encode("utf-8")
    return hashlib.sha256(
        b"".join(
            (
                previous_hash,
                _HEAD.pack(position, aggregate_id.bytes, version, len(topic_bytes)),
                topic_bytes,
                _LENGTH.pack(len(state)),
                state,
            )
        )
    ).digest()


class StoredRow(NamedTuple):
    """An event as stored, with its position (a tuple: one is made for every event
    linked, verified or exported)."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes


@dataclass(frozen=True)
class Link:
    """An event's link in the chain."""

    position: int
    previous: int
    hash: bytes


def links_for(previous: Link | None, events: Iterable[StoredRow]) -> list[Link]:
    """The links of events stored after `previous` (None: the first events of the log)."""
    links: list[Link] = []
    last_position, last_hash = (previous.position, previous.hash) if previous else (0, GENESIS)
    for event in events:
        digest = link_hash(last_hash, event)
        links.append(Link(event.position, last_position, digest))
        last_position, last_hash = event.position, digest
    return links


Problem = Literal["changed", "missing", "inserted"]


@dataclass(frozen=True)
class Verdict:
    """What a verification found: how far the chain holds, and the first break if any."""

    verified_to: int
    head: Link | None
    events: int
    broken_at: int | None = None
    problem: Problem | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None

    def as_json(self) -> dict[str, object]:
        answer: dict[str, object] = {
            "ok": self.ok,
            "verified_to": self.verified_to,
            "head": (
                {"position": self.head.position, "hash": self.head.hash.hex()}
                if self.head
                else {"position": 0, "hash": GENESIS.hex()}
            ),
        }
        if not self.ok:
            answer["broken_at"] = self.broken_at
            answer["problem"] = self.problem
            answer["detail"] = self.detail
        return answer


def _paired(
    events: Iterator[StoredRow], links: Iterator[Link]
) -> Iterator[tuple[int, StoredRow | None, Link | None]]:
    """Events and links side by side in position order, each alone where the other lacks it."""
    event, link = next(events, None), next(links, None)
    while event is not None or link is not None:
        if link is None or (event is not None and event.position < link.position):
            assert event is not None
            yield event.position, event, None
            event = next(events, None)
        elif event is None or link.position < event.position:
            yield link.position, None, link
            link = next(links, None)
        else:
            yield event.position, event, link
            event, link = next(events, None), next(links, None)


def verify(
    events: Iterator[StoredRow],
    links: Iterator[Link],
    progress: Callable[[int], None] | None = None,
) -> Verdict:
    """Recompute the chain over events and links, both in position order."""
    last: Link | None = None
    count = 0
    for position, event, link in _paired(events, links):
        verified_to = last.position if last else 0
        if link is None:
            return Verdict(verified_to, last, count, position, "inserted", "an event with no link")
        if event is None:
            return Verdict(verified_to, last, count, position, "missing", "a linked event is gone")
        if link.previous != verified_to:
            # Linked after a later position: slipped in (the trigger linked it to the head).
            # Linked after one not seen: that one is gone. After an earlier one: the last
            # event seen was slipped in, its link forged.
            problem: Problem
            if link.previous >= position:
                problem, where = "inserted", position
            elif link.previous < verified_to:
                problem, where = "inserted", verified_to
            else:
                problem, where = "missing", link.previous
            detail = (
                f"position {position} was linked after {link.previous}, found after {verified_to}"
            )
            return Verdict(verified_to, last, count, where, problem, detail)
        if link_hash(last.hash if last else GENESIS, event) != link.hash:
            return Verdict(
                verified_to, last, count, position, "changed", "the event does not match its link"
            )
        last = link
        count += 1
        if progress is not None and count % BATCH == 0:
            progress(BATCH)
    if progress is not None:
        progress(count % BATCH)
    return Verdict(last.position if last else 0, last, count)
