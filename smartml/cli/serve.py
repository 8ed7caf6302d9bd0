"""``smartml serve``: Google's ML APIs over gRPC on this machine, answered by smartml,
and a web playground beside it."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer

from smartml.cli._common import BackendOption, chain, err, friendly_errors

if TYPE_CHECKING:
    from smartml.serve.server import MLServer


def serve(
    port: Annotated[int, typer.Option("--port", help="The gRPC port")] = 8085,
    http_port: Annotated[
        int,
        typer.Option("--http-port", min=0, help="The web playground's port (0: no playground)"),
    ] = 8080,
    no_http: Annotated[
        bool, typer.Option("--no-http", help="Serve gRPC only, without the web playground")
    ] = False,
    host: Annotated[
        str, typer.Option("--host", help="The address to bind; beyond loopback needs --token")
    ] = "127.0.0.1",
    backend: str | None = BackendOption,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="SMARTML_SERVE_TOKEN",
            help="Require 'authorization: Bearer TOKEN' on every call",
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Calls answered at once")
    ] = 8,
    queue: Annotated[
        int, typer.Option("--queue", min=0, help="Calls waiting beyond those; more are refused")
    ] = 64,
    max_request_mb: Annotated[
        float, typer.Option("--max-request-mb", min=0.001, help="Largest request accepted")
    ] = 32.0,
    tls: Annotated[
        bool,
        typer.Option(
            "--tls",
            help="TLS on the gRPC port (a self-signed certificate for this machine) and a "
            "service account: apps run unchanged with two environment variables (printed)",
        ),
    ] = False,
) -> None:
    """Serve Google's ML APIs (gRPC) from smartml's backends, until Ctrl+C.

    And a web playground to try them: http://127.0.0.1:8080/ (--http-port, --no-http)."""
    from smartml.serve.run import Options, check, serve
    from smartml.serve.server import Limits
    from smartml.serve.tls import folder

    with friendly_errors():
        limits = Limits(concurrency, queue, int(max_request_mb * 1024 * 1024))
        web = None if no_http or http_port == 0 else http_port
        options = Options(chain(backend), host, port, web, token, limits, folder() if tls else None)
        check(options)

        def ready(server: MLServer, bound: int | None) -> None:
            names = ", ".join(s.name.rsplit(".", 1)[-1] for s in server.services)
            address = f"[{host}]" if ":" in host else host
            page = f"playground on http://{address}:{bound}/; " if bound else ""
            secure = " with TLS" if server.tls else ""
            err.print(
                f"smartml serve: gRPC on {host}:{server.port}{secure} ({names}); {page}"
                f"{'token required; ' if token else ''}Ctrl+C stops",
                soft_wrap=True,
                markup=False,
            )
            if server.tls is not None:
                err.print(recipe(server), soft_wrap=True, markup=False)

        asyncio.run(serve(options, ready))


def recipe(server: MLServer) -> str:
    """What ``--tls`` prints: how apps that set only the endpoint run unchanged."""
    assert server.tls is not None
    return (
        f"Apps unchanged: api_endpoint localhost:{server.port}, and in their environment\n"
        f"  {server.tls.recipe()}\n"
        "(the certificate is self-signed, for this machine only; see docs/serve.md)"
    )
