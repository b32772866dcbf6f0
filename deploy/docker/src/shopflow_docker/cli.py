"""`shopflow-docker engine|images|images-offline|up|demo|down|stats|trace|compose`: what the
Makefile's Docker targets call.

The images are official ones unless SHOPFLOW_IMAGES=offline; SHOPFLOW_COMPOSE_OVERLAYS
adds overlays (expose, observability). `compose ARGS` runs any docker compose command on
this clone's stack: `shopflow-docker compose logs -f order`, `... compose kill kafka`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import replace

import httpx

from shopflow_docker.compose import (
    ComposeStack,
    images_choice,
    overlays_choice,
    print_memory,
    python_image,
)
from shopflow_docker.engine import ensure_engine, find_engine
from shopflow_docker.images import build_images, current_tag
from shopflow_docker.offline import build_offline_images
from shopflow_stack import config, traces
from shopflow_stack.demo import demo
from shopflow_stack.process import StackError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shopflow-docker", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    engine = commands.add_parser("engine", help="install and start a Docker engine if none answers")
    engine.add_argument(
        "--if-possible", action="store_true", help="where none can be had, say so and exit 0"
    )
    images = commands.add_parser(
        "images", help="build ShopFlow's images (only what changed), tag :dev"
    )
    images.add_argument(
        "--also-tag", default="dev", help="the tag given to the six images besides their key's"
    )
    commands.add_parser("images-offline", help="build the stand-ins for the official images")
    up = commands.add_parser("up", help="build what changed, start the stack, wait until healthy")
    up.add_argument("--timeout", type=float, default=600)
    commands.add_parser("demo", help="place the demo's orders through the stack's gateway")
    commands.add_parser("down", help="remove the stack's containers, networks and volumes")
    commands.add_parser("stats", help="each container's memory use")
    trace = commands.add_parser(
        "trace", help="an order's trace as a tree, from the stack's Jaeger (overlays=observability)"
    )
    trace.add_argument("order_id")
    compose = commands.add_parser("compose", help="any docker compose command on this stack")
    compose.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.command == "engine":
        try:
            print(ensure_engine().describe())
        except StackError as error:  # none here, or installing one failed
            if not args.if_possible:
                raise
            print(f"no Docker engine: {error}; the container tests will be skipped")
        return 0
    stack_config = config.load()
    engine = find_engine(build_compose=True)
    images = images_choice()
    if args.command == "images-offline":
        build_offline_images(engine, stack_config)
        return 0
    stack = ComposeStack(engine, stack_config, images=images, overlays=overlays_choice())
    if images == "offline" and args.command in ("images", "up"):
        build_offline_images(engine, stack_config, stack.image_variables())
    if args.command == "images":
        tag = args.also_tag
        built = build_images(engine, stack_config, python_image(images), also_tag=tag)
        print(f"images shopflow/<unit>:{built.tag} (and :{tag}) ready in {built.seconds:.0f}s")
        return 0
    if args.command == "up":
        built = build_images(engine, stack_config, python_image(images))
        stack = replace(stack, image_tag=built.tag)
        seconds = stack.up(args.timeout)
        print(f"{stack.project}: healthy in {seconds:.0f}s; gateway at {stack.gateway_url}")
        if "observability" in stack.overlays:
            print(f"Jaeger at {stack.jaeger_url}, Prometheus at {stack.prometheus_url}")
        return 0
    if args.command == "demo":
        try:
            asyncio.run(demo(stack.gateway_url))
        except httpx.HTTPError as error:
            print(f"demo failed: {error!r}; is the stack up? (make compose-up)", file=sys.stderr)
            return 1
        return 0
    if args.command == "down":
        left = stack.down()
        if left:
            print(f"left behind: {', '.join(left)}", file=sys.stderr)
            return 1
        print(f"compose project {stack.project}: no container, network or volume left")
        return 0
    if args.command == "stats":
        print_memory(stack.memory())
        return 0
    if args.command == "trace":
        try:
            return traces.print_order_traces(stack.jaeger_url, args.order_id)
        except httpx.HTTPError as error:
            print(
                f"no answer from Jaeger at {stack.jaeger_url} ({error!r}): is the stack up "
                "with overlays=observability?",
                file=sys.stderr,
            )
            return 1
    tagged = replace(stack, image_tag=current_tag(engine, python_image(images)))
    os.execvpe(
        tagged.command()[0], tagged.command(*args.args), {**os.environ, **tagged.environment()}
    )
