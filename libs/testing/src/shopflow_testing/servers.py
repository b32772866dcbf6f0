"""An app under test: in process with its lifespan running, or served over real HTTP.

- `app_client(app)`: an HTTP client on the app, its lifespan (database, background
  jobs) started before and stopped after;
- `running_server(app)`: the app served by uvicorn on a free loopback port;
- `serving(server)`: any uvicorn server started in a task (a port of the test's choice).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from fastapi import FastAPI


@asynccontextmanager
async def app_client(
    app: FastAPI, base_url: str = "http://service"
) -> AsyncIterator[httpx.AsyncClient]:
    """Starts the app's lifespan (database, background jobs) and stops it afterwards;
    `httpx.ASGITransport` alone does not."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


@asynccontextmanager
async def running_server(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 and a free port; yields its base URL."""
    server = uvicorn.Server(
        # proxy_headers off, as the kit's `serve`: the app itself decides whom to believe.
        uvicorn.Config(
            app, host="127.0.0.1", port=0, log_config=None, lifespan="on", proxy_headers=False
        )
    )
    task = await serving(server)
    try:
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def serving(server: uvicorn.Server) -> asyncio.Task[None]:
    """`server` serving in a task, once it has started; why it could not, raised."""
    task = asyncio.create_task(_serve(server))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return task


async def _serve(server: uvicorn.Server) -> None:
    # uvicorn says it could not start (port taken, lifespan failed) with SystemExit, and a
    # BaseException escaping a task stops the event loop: every later test on it would fail.
    try:
        await server.serve()
    except SystemExit as exit:
        raise RuntimeError(f"uvicorn could not start (exit {exit.code}): see its log") from None
