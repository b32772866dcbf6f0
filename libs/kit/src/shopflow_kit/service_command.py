"""`python -m shopflow_<service> [serve|migrate|seed|revision]`, the same for every service.

A service's `__main__.py` declares what it is (`ServiceCommand(...)`) and calls `main()`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from fastapi import FastAPI

from shopflow_kit.app import serve
from shopflow_kit.logging import configure_logging
from shopflow_kit.migrations import new_revision, upgrade
from shopflow_kit.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


@dataclass(frozen=True)
class ServiceCommand(Generic[S]):
    settings: type[S]
    create_app: Callable[[S], FastAPI]
    migrations: Path | None = None
    seed: Callable[[S], Coroutine[Any, Any, None]] | None = None

    def main(self, argv: Sequence[str] | None = None) -> None:
        parser = argparse.ArgumentParser(prog=f"python -m {sys.argv[0]}")
        commands = parser.add_subparsers(dest="command")
        commands.add_parser("serve", help="run the HTTP service (the default)")
        commands.add_parser("migrate", help="bring the database to the latest migration")
        commands.add_parser("seed", help="add the demo data (idempotent)")
        revision = commands.add_parser("revision", help="autogenerate a dated migration")
        revision.add_argument("-m", "--message", required=True)
        args = parser.parse_args(argv)

        settings = self.settings()
        configure_logging(settings.service_name, settings.log_level)
        if args.command in (None, "serve"):
            serve(self.create_app(settings), settings)
        elif args.command == "migrate":
            upgrade(self._migrations(), self._database_url(settings))
        elif args.command == "revision":
            new_revision(self._migrations(), self._database_url(settings), args.message)
        elif args.command == "seed":
            if self.seed is None:
                parser.error(f"{settings.service_name} has no demo data")
            asyncio.run(self.seed(settings))

    def _migrations(self) -> Path:
        if self.migrations is None:
            raise SystemExit("this service has no database migrations")
        return self.migrations

    @staticmethod
    def _database_url(settings: ServiceSettings) -> str:
        url = getattr(settings, "database_url", None)
        if not isinstance(url, str):
            raise SystemExit(f"{settings.service_name} has no database_url setting")
        return url
