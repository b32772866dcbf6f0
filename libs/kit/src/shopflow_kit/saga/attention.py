"""`python -m shopflow_kit.saga.attention`: the sagas waiting for an operator.

    python -m shopflow_kit.saga.attention --database-url postgresql+asyncpg://...

A saga asks for attention when its stored data no longer reads (set aside by the
deadline sweeper, so it cannot stop the others) or when nobody confirmed an undo or its
last step after `max_resends_unanswerable` sends. Either way its order stays PENDING; a
late reply still moves it on. The database is `--database-url`, else $ORDER_DATABASE_URL
(`make sagas` passes the local stack's). See docs/runbooks/sagas-need-attention.md.
"""

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from shopflow_kit.text import plain_table

DATABASE_ENV = "ORDER_DATABASE_URL"
_QUERY = text("""
    SELECT id, definition, status, step, updated_at, attention
    FROM sagas WHERE attention IS NOT NULL ORDER BY updated_at
""")
_COLUMNS = ("SAGA ID", "DEFINITION", "STATUS", "STEP", "SINCE", "WHY")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopflow_kit.saga.attention")
    parser.add_argument("--database-url", default=os.environ.get(DATABASE_ENV))
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error(f"pass --database-url or set {DATABASE_ENV}")
    try:
        rows = asyncio.run(_read(args.database_url))
    except (SQLAlchemyError, OSError) as error:
        print(f"error: cannot read the sagas: {error}", file=sys.stderr)
        return 1
    print(format_rows(rows) if rows else "no saga needs attention")
    return 0


async def _read(url: str) -> list[tuple[str, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(_QUERY)
            return [
                (
                    str(r.id),
                    r.definition,
                    r.status,
                    str(r.step),
                    f"{r.updated_at:%F %T}",
                    r.attention,
                )
                for r in result
            ]
    finally:
        await engine.dispose()


def format_rows(rows: Sequence[tuple[str, ...]]) -> str:
    return plain_table(_COLUMNS, rows)


if __name__ == "__main__":
    sys.exit(main())
