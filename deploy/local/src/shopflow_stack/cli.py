"""`shopflow-stack up|down|status|logs|env|restart|trace|tool|token|browser`: what the Makefile's
targets call."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shlex
import sys
import time
from pathlib import Path

from shopflow_kit.identity import ADMIN_ROLE, Caller, ServiceTokens
from shopflow_kit.settings import SERVICE_TOKEN_SECRET_VARIABLE
from shopflow_stack import demo, traces
from shopflow_stack.browser import ensure_chromium
from shopflow_stack.config import REPO_ROOT
from shopflow_stack.process import StackError
from shopflow_stack.stack import Stack, StatusRow
from shopflow_stack.tools import ensure_tool, ensure_tools

CUSTOMER_ROLE = "customer"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shopflow-stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("up", "start what is not running"), ("down", "stop what runs")):
        command = commands.add_parser(name, help=text)
        command.add_argument("names", nargs="*", help="only these processes (default: all)")
    commands.add_parser("status", help="each process, its pid, port and health")
    commands.add_parser("clean", help="stop everything and delete the stack's state")
    logs = commands.add_parser("logs", help="follow one process's log")
    logs.add_argument("name")
    logs.add_argument("-n", "--lines", default="100")
    commands.add_parser("env", help="the stack's environment, as shell exports")
    commands.add_parser("demo", help="place a few orders through the gateway, show the outcomes")
    restart = commands.add_parser("restart", help="stop and start one process")
    restart.add_argument("name")
    trace = commands.add_parser("trace", help="an order's trace as a tree, from Jaeger")
    trace.add_argument("order_id")
    tool = commands.add_parser("tool", help="the path of a Go-built tool, building it once")
    tool.add_argument("name", nargs="?", help="a tool of deploy/tools/tools.toml (default: all)")
    token = commands.add_parser(
        "token", help="a service token for calling one service directly (a minute's worth)"
    )
    token.add_argument("service", help="the service it is for: order, inventory, ...")
    token.add_argument("--customer", default="admin", help="who calls (default: admin)")
    token.add_argument("--role", action="append", help="a role (default: customer and admin)")
    browser = commands.add_parser("browser", help="the Chromium the browser tests drive")
    browser.add_argument(
        "--if-possible", action="store_true", help="where none can be had, say so and exit 0"
    )
    args = parser.parse_args(argv)
    # Readiness polling expects refused connections; aiokafka would log each one as an error.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        return _run(Stack(), args)
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _run(stack: Stack, args: argparse.Namespace) -> int:
    if args.command == "up":
        began = time.monotonic()
        started = asyncio.run(stack.up(args.names or None))
        names = ", ".join(p.name for p in started) or "nothing: all was running"
        print(f"started {names} in {time.monotonic() - began:.1f}s")
        return _print_status(stack)
    if args.command == "down":
        held = stack.down(args.names or None)
        if held:
            print(f"stopped ours; still held by other processes: {', '.join(held)}")
            return 1
        print("stopped; no listener left on the stack's ports")
        return 0
    if args.command == "status":
        return _print_status(stack)
    if args.command == "clean":
        held = stack.clean()
        if held:
            print(f"nothing deleted: still held by other processes: {', '.join(held)}")
            return 1
        print(f"stopped; deleted the state in {stack.config.state_dir}")
        return 0
    if args.command == "logs":
        log = stack.get(args.name).log_path
        os.execvp("tail", ["tail", "-n", args.lines, "-F", str(log)])
    if args.command == "env":
        for key, value in stack.config.environment().items():
            print(f"export {key}={shlex.quote(value)}")
        return 0
    if args.command == "demo":
        return demo.main()
    if args.command == "restart":
        asyncio.run(stack.restart(args.name))
        return _print_status(stack)
    if args.command == "trace":
        return traces.print_order_traces(stack.jaeger_url, args.order_id)
    if args.command == "tool":
        if args.name:
            print(ensure_tool(args.name))
        for name, path in {} if args.name else ensure_tools().items():
            print(f"{name}\t{path}")
        return 0
    if args.command == "token":
        # The key the stack's services verify with (an exported one, as they would read it).
        key = (
            os.environ.get(SERVICE_TOKEN_SECRET_VARIABLE)
            or stack.config.environment()[SERVICE_TOKEN_SECRET_VARIABLE]
        )
        roles = frozenset(args.role or (CUSTOMER_ROLE, ADMIN_ROLE))
        tokens = ServiceTokens(key, issuer="shopflow-stack")
        print(tokens.sign(Caller(args.customer, roles), args.service))
        return 0
    if args.command == "browser":
        try:
            print(f"browser tests drive {ensure_chromium()}")
        except StackError as error:  # none here, or installing it failed
            if not args.if_possible:
                raise
            print(f"no Chromium: {error}; the browser tests will be skipped")
        return 0
    raise AssertionError(args.command)


def _print_status(stack: Stack) -> int:
    rows = asyncio.run(stack.status())
    print(format_table(rows))
    print(f"state: {stack.config.state_dir}")
    return 0 if all(row.health == "healthy" for row in rows) else 1


def format_table(rows: list[StatusRow]) -> str:
    header = ("NAME", "KIND", "PID", "PORT", "HEALTH", "LOG")
    lines = [
        (r.name, r.kind, str(r.pid or "-"), str(r.port), r.health, _relative(r.log)) for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *lines]
    )


def _relative(path: str) -> str:
    try:
        return str(Path(path).relative_to(REPO_ROOT))
    except ValueError:
        return path


if __name__ == "__main__":
    sys.exit(main())
