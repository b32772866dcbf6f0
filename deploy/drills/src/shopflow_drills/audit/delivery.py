"""Invariant 5: every outbox row published, every dead letter reported.

Dead letters stay on their topic for good (a replay copies them back, it does not remove
them), so an audit counts those that failed since a moment it is given, usually the start
of the run it judges, and only mentions how many came before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from shopflow_drills.audit.violations import Violation
from shopflow_drills.audit.world import UnpublishedMessage
from shopflow_drills.deployment import Deployment
from shopflow_kit.messaging.dead_letters import (
    MissingTopicError,
    dead_letter_topic,
    read_dead_letters,
)


@dataclass(frozen=True)
class DeadLetterSeen:
    topic: str  # where the message was meant to be handled
    dlq_offset: int
    message_id: str | None
    type: str | None
    key: str | None  # the order id
    error: str
    consumer_group: str
    failed_at: datetime


async def dead_letters(deployment: Deployment) -> tuple[list[DeadLetterSeen], list[str]]:
    """Every dead letter of the deployment's topics, and what could not be read."""
    seen: list[DeadLetterSeen] = []
    problems: list[str] = []
    every = deployment.topics.all()
    for topic in (t for t in every if dead_letter_topic(t) in every):
        try:
            letters = await read_dead_letters(deployment.kafka_bootstrap_servers, topic)
        except MissingTopicError as missing:
            problems.append(str(missing))
            continue
        except Exception as error:  # aiokafka's errors share no base class worth naming
            problems.append(f"dead letters of {topic} unreadable: {error!r}")
            continue
        seen += [
            DeadLetterSeen(
                topic=topic,
                dlq_offset=letter.dlq_offset,
                message_id=str(letter.message_id) if letter.message_id else None,
                type=letter.envelope.type if letter.envelope else None,
                key=letter.key.decode(errors="replace") if letter.key else None,
                error=f"{letter.error_class}: {letter.error_message}"[:300],
                consumer_group=letter.consumer_group,
                failed_at=letter.failed_at,
            )
            for letter in letters
        ]
    return seen, problems


def delivery_violations(
    unpublished: Iterable[UnpublishedMessage],
    letters: Iterable[DeadLetterSeen],
    problems: Iterable[str],
) -> Iterator[Violation]:
    for message in unpublished:
        why = (
            "never published"
            if message.set_aside is None
            else f"set aside by the relay ({message.set_aside}; make outbox)"
        )
        detail = (
            f"{message.database}'s outbox: {message.type} {message.id} for {message.topic} "
            f"(key {message.key}), written {message.created_at:%H:%M:%S}, {why}"
        )
        yield Violation("5", "unpublished-message", detail, (message.id, message.key))
    for letter in letters:
        detail = (
            f"{letter.topic} offset {letter.dlq_offset} in its dead-letter topic: "
            f"{letter.type or 'not an envelope'} {letter.message_id or ''} (key {letter.key}), "
            f"given up by {letter.consumer_group} at {letter.failed_at:%H:%M:%S}: {letter.error}"
        )
        ids = tuple(i for i in (letter.message_id, letter.key) if i)
        yield Violation("5", "dead-letter", detail, ids)
    for problem in problems:
        yield Violation("5", "audit-incomplete", f"dead letters not checked: {problem}")
