"""`python -m shopflow_kit.messaging.outbox_command`: outbox rows set aside, and putting them back.

    list     --service order
    put-back --service order --id 6f1c0b4e-... [--id ...]
    put-back --service order --all

The relay sets a row aside when Kafka refuses it for good or its topic stays missing
(ADR 0020). Put it back once the cause is fixed (the topic created, the row's headers or
envelope repaired in psql): the relay publishes it again, ahead of its key's rows still
waiting. Later rows of its key that were published meanwhile stay published before it:
`put-back` names how many. The database is `--database-url`, else $<SERVICE>_DATABASE_URL
(`make outbox` passes the local stack's). See docs/runbooks/outbox-rows-set-aside.md.
"""

import argparse
import asyncio
import os
import sys
import uuid
from collections.abc import Sequence

from sqlalchemy import MetaData, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from shopflow_kit.messaging.outbox import OUTBOX, OUTBOX_CHANNEL
from shopflow_kit.text import plain_table

_COLUMNS = ("ID", "TYPE", "TOPIC", "KEY", "WRITTEN", "SET ASIDE", "LATER ROWS OUT", "ERROR")
_MAX_ERROR_CHARS = 100

# With each row: how many later rows of its key went out without it (published since).
_SET_ASIDE = text("""
    SELECT aside.id, aside.type, aside.topic, aside.key, aside.created_at, aside.set_aside_at,
           aside.last_error,
           (SELECT count(*) FROM outbox AS later
            WHERE later.key = aside.key AND later.seq > aside.seq
              AND later.published_at IS NOT NULL) AS later_published
    FROM outbox AS aside
    WHERE aside.set_aside_at IS NOT NULL AND aside.published_at IS NULL
    ORDER BY aside.seq
""")

_OUTBOX = OUTBOX.declare(MetaData())


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    variable = f"{args.service.upper().replace('-', '_')}_DATABASE_URL" if args.service else None
    url = args.database_url or (os.environ.get(variable) if variable else None)
    if not url:
        parser.error(
            f"pass --database-url, or --service NAME with ${variable or 'NAME_DATABASE_URL'} set"
        )
    try:
        return asyncio.run(_run(args, url))
    except (SQLAlchemyError, OSError) as error:
        print(f"error: cannot reach the outbox: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shopflow_kit.messaging.outbox_command")
    parser.add_argument("command", choices=["list", "put-back"])
    parser.add_argument("--service", help="read the database URL from $<SERVICE>_DATABASE_URL")
    parser.add_argument("--database-url")
    parser.add_argument("--id", dest="ids", action="append", type=uuid.UUID, default=[])
    parser.add_argument("--all", action="store_true", help="put back every row set aside")
    return parser


async def _run(args: argparse.Namespace, url: str) -> int:
    if args.command == "put-back" and bool(args.ids) == args.all:
        print("error: put-back needs --id ID (once or more) or --all", file=sys.stderr)
        return 2
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            if args.command == "list":
                rows = await set_aside_rows(connection)
                print(plain_table(_COLUMNS, rows) if rows else "no outbox row is set aside")
                return 0
            before = {row[0]: row[6] for row in await set_aside_rows(connection)}
            put_back = await put_back_rows(connection, args.ids, every=args.all)
    finally:
        await engine.dispose()
    unknown = set(args.ids) - set(put_back)
    if args.all and not put_back:
        print("no outbox row is set aside")
    for row_id in put_back:
        print(f"put back {row_id}; later rows of its key already published: {before[str(row_id)]}")
    for row_id in sorted(unknown, key=str):
        print(f"error: {row_id} is not an outbox row set aside", file=sys.stderr)
    return 1 if unknown else 0


async def set_aside_rows(connection: AsyncConnection) -> list[tuple[str, ...]]:
    """The rows set aside, oldest first, as the table prints them."""
    return [
        (
            str(row.id),
            row.type,
            row.topic,
            row.key,
            f"{row.created_at:%F %T}",
            f"{row.set_aside_at:%F %T}",
            str(row.later_published),
            _shortened(row.last_error or ""),
        )
        for row in await connection.execute(_SET_ASIDE)
    ]


async def put_back_rows(
    connection: AsyncConnection, ids: Sequence[uuid.UUID], *, every: bool = False
) -> list[uuid.UUID]:
    """Give rows set aside (those of `ids`, or `every` one) back to the relays, and wake
    them; return the ids put back."""
    statement = (
        update(_OUTBOX)
        .where(_OUTBOX.c.set_aside_at.is_not(None), _OUTBOX.c.published_at.is_(None))
        .values(set_aside_at=None, failing_since=None, last_error=None)
        .returning(_OUTBOX.c.id)
    )
    if not every:
        statement = statement.where(_OUTBOX.c.id.in_(ids))
    put_back = list(await connection.scalars(statement))
    if put_back:  # delivered on commit, as add_to_outbox's
        await connection.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
    return put_back


def _shortened(error: str) -> str:
    line = error.splitlines()[0] if error else ""
    return line if len(line) <= _MAX_ERROR_CHARS else line[: _MAX_ERROR_CHARS - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
