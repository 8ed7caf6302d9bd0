"""The web playground of ``smartml serve``: one page to try every API by looking, and the
JSON API behind it, answered by the same :class:`~smartml.AsyncSmartML` as the gRPC server.

``GET /`` is the page, ``GET /healthz`` says the server is up; under ``/api/`` (the
bearer token, when the server has one):

- ``POST /api/image``: an image (a multipart ``file``, a data URL, or the raw body) →
  faces (landmarks in pixels too), labels, text and safe search, and the faces drawn
  with sunglasses and a moustache (a PNG, inline and at ``/api/image/overlay/<id>``);
- ``POST /api/text`` ``{text}`` → sentiment per sentence, entities, syntax;
- ``POST /api/audio`` → the transcript with word times, and the spoken language;
- ``POST /api/tts`` ``{text, voice, rate, pitch}`` → ``audio/wav``; ``GET /api/voices``;
- ``POST /api/video`` → shots and labels.

With ``--tls``, ``POST /token`` answers OAuth2 token requests signed with the service
account's key (:mod:`.tls`).

Every answer names its parts' backend, model and time (``ms``); smartml's errors come
back as ``{error, hint}`` with 400 (bad input), 501 (not served by this backend) or 503.
Requests are bounded as the gRPC server's are (:class:`~smartml.serve.server.Limits`):
size (413), calls at once and waiting (503 past the queue).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import io
import math
import secrets
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartml.errors import InvalidInputError, SmartMLError, UnsupportedCapabilityError
from smartml.inputs import Audio, Image, Video
from smartml.inputs._source import MediaT
from smartml.results import FacesResult, Result
from smartml.serve.server import Busy, Gate, Limits, authorized

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute
    from starlette.types import ASGIApp, Message

    from smartml.client import AsyncSmartML
    from smartml.serve.tls import Tls

    Handler = Callable[[Request], Awaitable[Response]]

Answered = dict[str, Result]

#: The page and its script and style sheet.
STATIC = Path(__file__).parent / "static"
#: Overlays kept for ``GET /api/image/overlay/<id>``, the latest ones.
KEPT_OVERLAYS = 16
#: The largest token request taken (an assertion is about 1 KB).
TOKEN_REQUEST_BYTES = 64 * 1024


class Refused(Exception):
    """A request refused before any backend sees it: its status, message and hint."""

    def __init__(self, status: int, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint


def status_of(exc: SmartMLError) -> int:
    """The HTTP status for what smartml raised (as :func:`.server.status_of` for gRPC)."""
    if isinstance(exc, InvalidInputError):
        return 400
    if isinstance(exc, UnsupportedCapabilityError):  # not served here, for the reason given
        return 501
    return 503


def problem(status: int, message: str, hint: str | None = None) -> Response:
    """The JSON answer for a failure: ``{error, hint}``."""
    from starlette.responses import JSONResponse

    return JSONResponse({"error": message, "hint": hint}, status_code=status)


def _millis(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


async def sections(calls: Mapping[str, Awaitable[Result]]) -> tuple[dict[str, Any], Answered]:
    """Run ``calls`` at once: each name's JSON (its result with its time, ``ms``, or its
    error) and the results. When every call fails, the first error is raised: the request
    as a whole failed."""

    async def timed(call: Awaitable[Result]) -> tuple[Result, float]:
        start = time.perf_counter()
        return await call, _millis(start)

    done = await asyncio.gather(*(timed(call) for call in calls.values()), return_exceptions=True)
    answers: dict[str, Any] = {}
    results: Answered = {}
    for name, outcome in zip(calls, done, strict=True):
        if isinstance(outcome, SmartMLError):
            status = status_of(outcome)
            answers[name] = {"error": outcome.message, "hint": outcome.hint, "status": status}
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            results[name], ms = outcome
            answers[name] = {**results[name].model_dump(mode="json"), "ms": ms}
    if not results:
        raise next(e for e in done if isinstance(e, SmartMLError))
    return answers, results


def faces_in_pixels(answer: dict[str, Any], faces: FacesResult, width: int, height: int) -> None:
    """Add pixel positions to a faces answer: ``box_px`` per face, ``px`` per landmark."""
    for face_json, face in zip(answer["faces"], faces.faces, strict=True):
        face_json["box_px"] = list(face.box.to_pixels(width, height))
        for landmark_json, landmark in zip(face_json["landmarks"], face.landmarks, strict=True):
            position = landmark.position
            landmark_json["px"] = [round(position.x * width, 1), round(position.y * height, 1)]


# ---- reading requests ------------------------------------------------------------------
def from_data_url(value: object) -> bytes:
    """The bytes of a base64 ``data:`` URL (a webcam snapshot from a canvas)."""
    header, comma, payload = value.partition(",") if isinstance(value, str) else ("", "", "")
    if not (header.startswith("data:") and header.endswith(";base64") and comma):
        raise InvalidInputError(
            "expected a base64 data URL", hint="send data:image/png;base64,... (canvas.toDataURL)"
        )
    try:
        return base64.b64decode(payload, validate=True)
    except binascii.Error as exc:
        raise InvalidInputError(f"the data URL's base64 is broken: {exc}") from None


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise InvalidInputError(f"the request body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidInputError("the request body must be a JSON object")
    return body


async def upload(request: Request, limit: int) -> tuple[bytes, str, dict[str, str]]:
    """The file of a request, its name, and the form's other fields: a multipart ``file``
    (a file, or a data URL as text), JSON ``{"data_url": ...}``, or the raw body."""
    from starlette.datastructures import UploadFile

    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        async with request.form(max_part_size=limit) as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str) and k != "file"}
            value = form.get("file")
            if isinstance(value, UploadFile):
                return await value.read(), value.filename or "upload", fields
            if value is None:
                raise InvalidInputError("the form has no 'file'", hint="send the file as 'file'")
            return from_data_url(value), "data URL", fields
    if kind.startswith("application/json"):
        body = await json_body(request)
        fields = {k: v for k, v in body.items() if isinstance(v, str) and k != "data_url"}
        return from_data_url(body.get("data_url")), "data URL", fields
    return await request.body(), "request body", {}


def limited(request: Request, limit: int) -> Request:
    """``request`` whose body is refused (413) once past ``limit`` bytes: at once when
    its Content-Length says so, else as it arrives."""
    from starlette.requests import Request

    declared = request.headers.get("content-length", "")
    seen = 0

    async def receive() -> Message:
        nonlocal seen
        if declared.isdigit() and int(declared) > limit:
            raise Refused(413, f"the request has {int(declared)} bytes", _too_large(limit))
        message = await request.receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise Refused(413, f"the request has more than {limit} bytes", _too_large(limit))
        return message

    return Request(request.scope, receive)


def _too_large(limit: int) -> str:
    return f"send at most {limit / 1024 / 1024:.3g} MB (smartml serve --max-request-mb)"


# ---- the playground --------------------------------------------------------------------
class Playground:
    """The routes' handlers, over one client."""

    def __init__(
        self,
        client: AsyncSmartML,
        token: str | None,
        limits: Limits,
        gate: Gate | None = None,
        tls: Tls | None = None,
    ) -> None:
        self.client, self.token, self.limits, self.tls = client, token, limits, tls
        self.gate = gate or Gate(limits)  # shared with the gRPC server when both run
        self.overlays: OrderedDict[str, bytes] = OrderedDict()

    def routes(self) -> list[BaseRoute]:
        from starlette.routing import Mount, Route
        from starlette.staticfiles import StaticFiles

        api = self.api
        return [
            Route("/", self.page),
            Route("/healthz", self.health),
            Route("/api/image", api(self.image), methods=["POST"]),
            Route("/api/image/overlay/{id}", api(self.overlay)),
            Route("/api/text", api(self.text), methods=["POST"]),
            Route("/api/audio", api(self.audio), methods=["POST"]),
            Route("/api/tts", api(self.tts), methods=["POST"]),
            Route("/api/voices", api(self.voices)),
            Route("/api/video", api(self.video), methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            *([Route("/token", self.grant, methods=["POST"])] if self.tls else []),
        ]

    def api(self, handler: Handler) -> Handler:
        """``handler`` behind the token, the size limit and the gate, its failures as JSON."""
        from starlette.exceptions import HTTPException

        async def guarded(request: Request) -> Response:
            try:
                self.check_token(request)
                async with self.gate.admitted():
                    return await handler(limited(request, self.limits.max_request_bytes))
            except Refused as exc:
                return problem(exc.status, exc.message, exc.hint)
            except Busy as exc:
                return problem(503, str(exc), "retry later")
            except SmartMLError as exc:
                return problem(status_of(exc), exc.message, exc.hint)
            except HTTPException as exc:  # a malformed multipart body
                return problem(exc.status_code, exc.detail)

        return guarded

    def check_token(self, request: Request) -> None:
        if self.token is None:
            return
        if not authorized(request.headers.get("authorization", ""), self.token, self.tls):
            raise Refused(
                401,
                "this smartml server needs its token",
                "send the header 'Authorization: Bearer TOKEN' (the page asks for it)",
            )

    async def grant(self, request: Request) -> Response:
        """``POST /token`` (with ``--tls``): an OAuth2 access token for an assertion
        signed with the service account's key (:meth:`.tls.Tls.grant`)."""
        from urllib.parse import parse_qsl

        from starlette.responses import JSONResponse

        from smartml.serve.tls import TokenRefused

        assert self.tls is not None
        try:
            body = await limited(request, TOKEN_REQUEST_BYTES).body()
            form = dict(parse_qsl(body.decode("utf-8", "replace")))
            answer = self.tls.grant(form, audience=str(request.url.replace(query="")))
        except Refused as exc:
            return problem(exc.status, exc.message, exc.hint)
        except TokenRefused as exc:
            failure = {"error": exc.error, "error_description": exc.description}
            return JSONResponse(failure, status_code=400)
        return JSONResponse(answer, headers={"cache-control": "no-store"})

    async def page(self, request: Request) -> Response:
        from starlette.responses import FileResponse

        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def health(self, request: Request) -> Response:
        from starlette.responses import JSONResponse

        backend = ",".join(str(name) for name in self.client.backend)
        return JSONResponse({"status": "ok", "backend": backend, "in_flight": self.gate.in_flight})

    async def media(self, kind: type[MediaT], request: Request) -> tuple[MediaT, dict[str, str]]:
        """The request's file as ``kind`` (checked as the client checks it), and the
        form's other fields."""
        data, name, fields = await upload(request, self.limits.max_request_bytes)
        most = self.client.settings.max_input_bytes
        return await asyncio.to_thread(kind.from_bytes, data, source=name, max_bytes=most), fields

    async def image(self, request: Request) -> Response:
        start = time.perf_counter()
        image, _ = await self.media(Image, request)
        picture = await asyncio.to_thread(image.pil)
        vision = self.client.vision
        answers, results = await sections(
            {
                "faces": vision.faces(image),
                "labels": vision.labels(image),
                "text": vision.text(image),
                "safe_search": vision.safe_search(image),
            }
        )
        faces, overlay = results.get("faces"), None
        if isinstance(faces, FacesResult):
            faces_in_pixels(answers["faces"], faces, picture.width, picture.height)
            overlay = await self.drawn(picture, faces)
        return _answer(answers, start, width=picture.width, height=picture.height, overlay=overlay)

    async def drawn(self, picture: PILImage, faces: FacesResult) -> dict[str, str]:
        """The overlay of ``faces`` on ``picture``: kept for its URL, and inline."""
        from smartml.serve.overlay import overlay

        def png() -> bytes:
            buffer = io.BytesIO()
            overlay(picture, faces).save(buffer, format="PNG", compress_level=3)
            return buffer.getvalue()

        data = await asyncio.to_thread(png)
        key = secrets.token_urlsafe(12)
        self.overlays[key] = data
        while len(self.overlays) > KEPT_OVERLAYS:
            self.overlays.popitem(last=False)
        inline = "data:image/png;base64," + base64.b64encode(data).decode()
        return {"id": key, "url": f"/api/image/overlay/{key}", "data_url": inline}

    async def overlay(self, request: Request) -> Response:
        from starlette.responses import Response

        data = self.overlays.get(request.path_params["id"])
        if data is None:
            raise Refused(404, "no such overlay", f"the latest {KEPT_OVERLAYS} are kept")
        return Response(data, media_type="image/png")

    async def text(self, request: Request) -> Response:
        start = time.perf_counter()
        body = await json_body(request)
        text, language = body.get("text"), body.get("language") or None
        if not isinstance(text, str):
            raise InvalidInputError('send {"text": "..."}')
        language_api = self.client.language
        answers, _ = await sections(
            {
                "sentiment": language_api.sentiment(text, language=language),
                "entities": language_api.entities(text, language=language),
                "syntax": language_api.syntax(text, language=language),
            }
        )
        return _answer(answers, start)

    async def audio(self, request: Request) -> Response:
        start = time.perf_counter()
        audio, fields = await self.media(Audio, request)
        speech = self.client.speech
        answers, _ = await sections(
            {
                "transcript": speech.transcribe(audio, language=fields.get("language") or None),
                "language": speech.detect_language(audio),
            }
        )
        return _answer(answers, start)

    async def tts(self, request: Request) -> Response:
        from starlette.responses import Response

        start = time.perf_counter()
        body = await json_body(request)
        spoken = await self.client.tts.synthesize(
            body.get("text", ""),
            body.get("voice") or None,
            language=body.get("language") or "en-US",
            speaking_rate=_number(body, "rate", 1.0),
            pitch=_number(body, "pitch", 0.0),
        )
        headers = {
            "x-smartml-backend": spoken.backend,
            "x-smartml-model": spoken.model,
            "x-smartml-voice": spoken.voice,
            "x-smartml-ms": str(_millis(start)),
        }
        return Response(spoken.audio, media_type="audio/wav", headers=_ascii(headers))

    async def voices(self, request: Request) -> Response:
        start = time.perf_counter()
        voices = await self.client.tts.voices(request.query_params.get("language") or None)
        listed = {
            "voices": [voice.model_dump(mode="json") for voice in voices],
            "backend": voices[0].backend if voices else "",
            "model": "",
            "ms": _millis(start),
        }
        return _answer({"voices": listed}, start)

    async def video(self, request: Request) -> Response:
        start = time.perf_counter()
        video, _ = await self.media(Video, request)
        answers, _ = await sections(
            {"video": self.client.video.annotate(video, ["shots", "labels"])}
        )
        return _answer(answers, start)


def _answer(answers: dict[str, Any], start: float, **more: Any) -> Response:
    """The JSON answer: each part's, anything ``more``, and the whole time (``ms``)."""
    from starlette.responses import JSONResponse

    return JSONResponse({**answers, **more, "ms": _millis(start)})


def _number(body: Mapping[str, Any], name: str, default: float) -> float:
    value = body.get(name, default)
    try:
        return float(value if value not in (None, "") else default)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be a number, not {value!r}") from None


def _ascii(headers: Mapping[str, str]) -> dict[str, str]:
    """Header values as ASCII (a model or voice name may not be)."""
    return {k: v.encode("ascii", "replace").decode() for k, v in headers.items()}


def app(
    client: AsyncSmartML,
    *,
    token: str | None = None,
    limits: Limits | None = None,
    gate: Gate | None = None,
    tls: Tls | None = None,
) -> Starlette:
    """The playground's ASGI app, answered by ``client``; ``gate`` shares the gRPC
    server's limits (its own otherwise); with ``tls``, ``POST /token`` too."""
    from starlette.applications import Starlette

    limits = limits or (gate.limits if gate else Limits())
    return Starlette(routes=Playground(client, token, limits, gate, tls).routes())


# ---- serving -------------------------------------------------------------------------------
async def serve_http(
    app: ASGIApp,
    host: str,
    port: int,
    stop: asyncio.Event,
    *,
    ready: Callable[[int], None] | None = None,
    grace: float = 5.0,
) -> None:
    """Serve ``app`` with uvicorn on ``host:port`` until ``stop`` is set; ``ready`` gets
    the port bound (a free one for port 0). Requests running get ``grace`` seconds to
    finish. Signals are the caller's: no handler is installed here."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Any:  # the caller stops us through ``stop``
            yield

    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=max(1, math.ceil(grace)),
    )
    server, sock = Server(config), bind(host, port)
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        if ready is not None:
            ready(sock.getsockname()[1])
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        await serving
    finally:
        stopping.cancel()
        serving.cancel()
        sock.close()


async def start_http(
    app: ASGIApp, host: str, port: int, stop: asyncio.Event, *, grace: float = 5.0
) -> tuple[asyncio.Task[None], int]:
    """:func:`serve_http` as a task, once it listens: the task and the port bound. A port
    that can't be had raises here (:class:`InvalidInputError`)."""
    bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve_http(app, host, port, stop, ready=bound.set_result, grace=grace)
    )
    either: set[asyncio.Future[Any]] = {task, bound}
    await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    if not bound.done():
        await task  # it ended before listening: its error
    return task, bound.result()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or a clear error when it can't be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise InvalidInputError(
            f"cannot serve the playground on {host}:{port}: {exc.strerror or exc}",
            hint="choose another --http-port, or --no-http",
        ) from None
