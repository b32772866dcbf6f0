"""`python -m shopflow_kit.messaging.dlq_command`: list a topic's dead letters, replay chosen ones.

    list   --topic shopflow.inventory.commands
    replay --topic shopflow.inventory.commands --message-id 6f1c0b4e-... [--message-id ...]
    replay --topic shopflow.inventory.commands --offset 3 [--offset 7]
    replay --topic shopflow.inventory.commands --all

The broker is `--bootstrap`, else $SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS. Replaying leaves the
dead letter in place (a topic is a log); replaying it twice is harmless, as the inbox
keeps each message id single.
"""

import argparse
import asyncio
import os
import sys
import uuid
from collections.abc import Mapping, Sequence
from typing import TypeVar

from aiokafka.errors import KafkaError

from shopflow_kit.messaging.dead_letters import (
    DeadLetter,
    MissingTopicError,
    read_dead_letters,
    replay_dead_letters,
)
from shopflow_kit.text import plain_table

BOOTSTRAP_ENV = "SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS"
_COLUMNS = ("OFFSET", "MESSAGE ID", "TYPE", "CORRELATION ID", "ATTEMPTS", "FAILED AT", "ERROR")
_MAX_ERROR_CHARS = 80

K = TypeVar("K")


class NoSuchDeadLetterError(LookupError):
    """A message id or offset asked for that names no dead letter of the topic."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    bootstrap = args.bootstrap or os.environ.get(BOOTSTRAP_ENV)
    if not bootstrap:
        parser.error(f"pass --bootstrap or set {BOOTSTRAP_ENV}")
    try:
        return asyncio.run(_run(args, bootstrap))
    except (MissingTopicError, NoSuchDeadLetterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KafkaError as error:
        print(f"error: Kafka at {bootstrap}: {error}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, bootstrap: str) -> int:
    letters = await read_dead_letters(bootstrap, args.topic)
    if args.command == "list":
        print(format_dead_letters(letters) if letters else "no dead letters")
        return 0
    chosen = choose(letters, message_ids=args.message_id or (), offsets=args.offset or ())
    await replay_dead_letters(bootstrap, args.topic, chosen)
    print(f"replayed {len(chosen)} dead letter(s) onto {args.topic}")
    if chosen:
        print(format_dead_letters(chosen))
    return 0


def choose(
    letters: Sequence[DeadLetter],
    *,
    message_ids: Sequence[uuid.UUID] = (),
    offsets: Sequence[int] = (),
) -> list[DeadLetter]:
    """The dead letters to replay: by DLQ offset, by message id, or (neither) every message.

    A message id names its latest dead letter (it may have failed again after a replay);
    every message means the latest dead letter of each, leaving out records that are not
    envelopes at all, which could only fail again.
    """
    latest = {letter.message_id: letter for letter in letters if letter.message_id}
    if offsets:
        by_offset = {letter.dlq_offset: letter for letter in letters}
        return [_pick(by_offset, offset, "offset") for offset in offsets]
    if message_ids:
        return [_pick(latest, message_id, "message id") for message_id in message_ids]
    return sorted(latest.values(), key=lambda letter: letter.dlq_offset)


def format_dead_letters(letters: Sequence[DeadLetter]) -> str:
    """A plain-text table, one dead letter a line, columns aligned."""
    return plain_table(_COLUMNS, [_row(letter) for letter in letters])


def _row(letter: DeadLetter) -> tuple[str, ...]:
    envelope = letter.envelope
    error = f"{letter.error_class}: {letter.error_message.splitlines()[0]}"
    if len(error) > _MAX_ERROR_CHARS:
        error = error[: _MAX_ERROR_CHARS - 1] + "…"
    return (
        str(letter.dlq_offset),
        str(envelope.message_id) if envelope else "-",
        envelope.type if envelope else "-",
        envelope.correlation_id if envelope else "-",
        str(letter.attempts),
        letter.failed_at.isoformat(timespec="seconds"),
        error,
    )


def _pick(letters: Mapping[K, DeadLetter], key: K, what: str) -> DeadLetter:
    try:
        return letters[key]
    except KeyError:
        raise NoSuchDeadLetterError(f"no dead letter with {what} {key}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shopflow_kit.messaging.dlq_command",
        description="List a topic's dead letters, or replay chosen ones onto the topic.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    list_command = commands.add_parser("list", help="show a topic's dead letters, oldest first")
    replay = commands.add_parser("replay", help="publish dead letters back onto their topic")
    for command in (list_command, replay):
        command.add_argument("--topic", required=True, help="the topic (not its .dlq)")
        command.add_argument(
            "--bootstrap", help=f"Kafka bootstrap servers (default: ${BOOTSTRAP_ENV})"
        )
    chosen = replay.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--message-id", type=uuid.UUID, action="append", help="repeatable")
    chosen.add_argument("--offset", type=int, action="append", help="a DLQ offset; repeatable")
    chosen.add_argument("--all", action="store_true", help="the latest dead letter of each message")
    return parser


if __name__ == "__main__":
    sys.exit(main())
