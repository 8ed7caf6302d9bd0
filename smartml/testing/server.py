"""FakeGoogle: a real gRPC server that speaks Google's ML APIs to the official clients.

The server knows nothing about any API: each service module (``language.py``,
``vision.py``, later ``speech.py`` ...) describes its methods as :class:`Method` entries of a
:class:`Service` (request/response proto-plus types plus a default answer), and
:data:`SERVICE_MODULES` lists the modules that :class:`FakeGoogle` loads by default.

Every call goes through the same steps, in this order:

1. it is recorded (``fake.calls``, ``fake.requests(method)``);
2. latency is added (``fake.latency`` for every call, ``fake.delay(method, s)`` per method);
3. a programmed stall holds the call (``fake.stall(method, s)``) until it passes or the
   client gives up;
4. a programmed fault answers with an error status (``fake.fail(method, ...)``);
5. the answer comes from ``fake.on(method, handler)``, else ``fake.respond(method,
   response)``, else the service's default answer;
6. per-item faults (``fake.fail_item``) are applied by methods whose responses carry one
   result per item (vision's batch; an extension point: ``Method.apply_item_faults``).

A streaming method (``Method(..., streaming=True)``, bidirectional like Speech's
``StreamingRecognize``) goes through the same steps once its first request has arrived;
every request message is recorded as it arrives, and its answer (``fake.on``'s handler or
the default) takes the iterator of requests and returns an iterable of responses, sent as
they come. ``fake.respond(method, [responses])`` reads every request, then sends those.
A handler ends any call with an error status by raising :class:`Abort` (a streaming call
that fails first lets the client finish sending, for up to a second, so that the client
reads that status rather than a failed write).

A batch method may also be given one item's answer (``fake.respond("BatchAnnotateImages",
recorded_annotate_image_response)``): every item of each request gets it (an extension
point: ``Method.adapt_answer``).

Methods are named by their short name (``"AnalyzeSentiment"``) when that is unambiguous,
or in full (``"google.cloud.language.v1.LanguageService/AnalyzeSentiment"``).

    with FakeGoogle() as fake:
        fake.fail("AnalyzeSentiment", "UNAVAILABLE", times=2)
        fake.respond("ClassifyText", {"categories": [{"name": "/Sports", "confidence": 0.9}]})
        client = SmartML(backend="google", google_endpoint=fake.endpoint)
        ...
        assert len(fake.requests("AnalyzeSentiment")) == 3
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import grpc

from smartml._grpc import Abort as Abort
from smartml._grpc import Method as Method
from smartml._grpc import Service as Service
from smartml._grpc import generic_handler
from smartml._grpc import status_code as status_code

#: Modules that provide the services FakeGoogle serves by default; each has ``services()``.
SERVICE_MODULES: tuple[str, ...] = (
    "smartml.testing.language",
    "smartml.testing.vision",
    "smartml.testing.operations",
    "smartml.testing.speech",
    "smartml.testing.video",
    "smartml.testing.tts",
    "smartml.testing.translate",
    "smartml.testing.vertex",
)

#: A programmed answer: a proto-plus message, a protobuf message, a dict (snake_case
#: or camelCase) or a JSON string/bytes (e.g. a recorded real response).
Response = Any
Handler = Callable[[Any], Response]

_SERVER_OPTIONS = [
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
]
#: Seconds that calls in flight get to finish when the fake stops: a stop that cancels
#: them sends clients a GOAWAY with an error, which gRPC's C core logs on their stderr.
_STOP_GRACE = 1.0
#: Seconds a streaming call that fails waits for the client to finish sending.
_DRAIN_GRACE = 1.0
#: The project number in the fake's errors, where Google's name the caller's project.
PROJECT_NUMBER = "604418393257"


class Call(NamedTuple):
    """One recorded call: the full method name and the request (a proto-plus message)."""

    method: str
    request: Any


@dataclass
class _Fault:
    code: grpc.StatusCode
    message: str
    details: tuple[Any, ...]
    times: int | None  # None: forever


@dataclass
class _Program:
    """What a test programmed for one method."""

    handler: Handler | None = None
    latency: float = 0.0
    stall: float = 0.0
    faults: list[_Fault] = field(default_factory=list)
    item_faults: dict[int, Any] = field(default_factory=dict)


def load_services(modules: Iterable[str] = SERVICE_MODULES) -> list[Service]:
    """The services of ``modules`` (each module has a ``services()`` function)."""
    services: list[Service] = []
    for name in modules:
        services.extend(importlib.import_module(name).services())
    return services


def to_message(response_type: Any, value: Response) -> Any:
    """Turn a programmed answer into an instance of the proto-plus ``response_type``."""
    if isinstance(value, response_type):
        return value
    if isinstance(value, str | bytes):
        return response_type.from_json(value, ignore_unknown_fields=True)
    if hasattr(value, "SerializeToString"):  # a raw protobuf message
        return response_type.deserialize(value.SerializeToString())
    if isinstance(value, Mapping):
        try:
            return response_type(value)
        except (ValueError, TypeError, KeyError):  # camelCase keys, enum names ...
            return response_type.from_json(json.dumps(value), ignore_unknown_fields=True)
    raise TypeError(f"cannot turn {type(value).__name__} into {response_type.__name__}")


def error_info(
    reason: str, *, domain: str = "googleapis.com", metadata: Mapping[str, str] | None = None
) -> Any:
    """A ``google.rpc.ErrorInfo`` detail, e.g. ``error_info("SERVICE_DISABLED")``."""
    from google.rpc import error_details_pb2  # type: ignore[import-untyped, unused-ignore]

    return error_details_pb2.ErrorInfo(reason=reason, domain=domain, metadata=metadata or {})


def help_link(description: str, url: str) -> Any:
    """A ``google.rpc.Help`` detail with one link."""
    from google.rpc import error_details_pb2  # type: ignore[import-untyped, unused-ignore]

    return error_details_pb2.Help(links=[{"description": description, "url": url}])


class Refusal(NamedTuple):
    """What Google sends with an ``ErrorInfo`` reason: the status message and the details."""

    message: str
    details: tuple[Any, ...]


def refusal(reason: str, service: Service, metadata: Mapping[str, str] | None = None) -> Refusal:
    """The message and details Google sends for ``reason`` on ``service``'s API:
    ``SERVICE_DISABLED`` (with the activation link) and ``IAM_PERMISSION_DENIED`` (with
    the permission) worded as the real APIs word them; any other reason with the API and
    the project, and no message. ``metadata`` is added to the ``ErrorInfo``'s own."""
    build = _REFUSALS.get(reason, _other_refusal)
    return build(reason, service.api or service.name, service.title or service.name, metadata or {})


def _service_disabled(reason: str, api: str, title: str, extra: Mapping[str, str]) -> Refusal:
    url = f"https://console.developers.google.com/apis/api/{api}/overview?project={PROJECT_NUMBER}"
    metadata = {
        "consumer": f"projects/{PROJECT_NUMBER}",
        "service": api,
        "serviceTitle": title,
        "activationUrl": url,
        "containerInfo": PROJECT_NUMBER,
        **extra,
    }
    message = (
        f"{title} has not been used in project {PROJECT_NUMBER} before or it is disabled. "
        f"Enable it by visiting {url} then retry. If you enabled this API recently, wait a "
        "few minutes for the action to propagate to our systems and retry."
    )
    info = error_info(reason, metadata=metadata)
    return Refusal(message, (info, help_link("Google developers console API activation", url)))


def _permission_denied(reason: str, api: str, title: str, extra: Mapping[str, str]) -> Refusal:
    metadata = {
        "permission": "serviceusage.services.use",
        "resource": f"projects/{PROJECT_NUMBER}",
        **extra,
    }
    message = (
        f"Permission '{metadata['permission']}' denied on resource "
        f"'//cloudresourcemanager.googleapis.com/{metadata['resource']}' (or it may not exist)."
    )
    return Refusal(message, (error_info(reason, domain="iam.googleapis.com", metadata=metadata),))


def _other_refusal(reason: str, api: str, title: str, extra: Mapping[str, str]) -> Refusal:
    metadata = {"service": api, "consumer": f"projects/{PROJECT_NUMBER}", **extra}
    return Refusal("", (error_info(reason, metadata=metadata),))


_REFUSALS: dict[str, Callable[[str, str, str, Mapping[str, str]], Refusal]] = {
    "SERVICE_DISABLED": _service_disabled,
    "IAM_PERMISSION_DENIED": _permission_denied,
}


class FakeGoogle:
    """A wire-level fake of Google's ML APIs on ``127.0.0.1``; see the module docstring."""

    def __init__(self, services: Iterable[Service] | None = None, *, max_workers: int = 32) -> None:
        self._services = list(services) if services is not None else load_services()
        self._methods: dict[str, Method] = {
            f"{service.name}/{method.name}": method
            for service in self._services
            for method in service.methods
        }
        self._service_of: dict[str, Service] = {
            f"{service.name}/{method.name}": service
            for service in self._services
            for method in service.methods
        }
        self._max_workers = max_workers
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: Any = None
        self._port: int | None = None
        self.latency: float = 0.0
        """Seconds added to every call."""
        self._programs: dict[str, _Program] = {}
        self._calls: list[Call] = []

    # ---- life-cycle --------------------------------------------------------------------
    def start(self) -> FakeGoogle:
        """Start serving on a free port of 127.0.0.1 (idempotent)."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=self._max_workers), options=_SERVER_OPTIONS
        )
        server.add_generic_rpc_handlers(
            [generic_handler(service, self._behaviour) for service in self._services]
        )
        self._port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        """Stop serving; stalled calls are released at once, and calls in flight may finish
        (for up to a second) so that clients see a clean shutdown, not cancelled calls."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.stop(grace=_STOP_GRACE).wait()
        self._server = None

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        """``"127.0.0.1:PORT"``, for ``SMARTML_GOOGLE_ENDPOINT`` or ``google_endpoint=``."""
        if self._port is None:
            raise RuntimeError("the fake is not started: use `with FakeGoogle() as fake:`")
        return f"127.0.0.1:{self._port}"

    @property
    def methods(self) -> list[str]:
        """Full names of every method served."""
        return list(self._methods)

    # ---- programming -------------------------------------------------------------------
    def respond(self, method: str, response: Response) -> None:
        """Answer every call of ``method`` with ``response`` (see :data:`Response`).

        A batch method also takes one item's answer, given to every item of a request.
        """
        name = self._resolve(method)
        spec = self._methods[name]
        handler = spec.adapt_answer(response) if spec.adapt_answer is not None else None
        if handler is None and spec.streaming:
            answers = response if isinstance(response, list | tuple) else [response]
            messages = [to_message(spec.response_type, answer) for answer in answers]
            handler = functools.partial(_after_requests, messages)
        elif handler is None:
            message = to_message(spec.response_type, response)
            handler = lambda _request: message  # noqa: E731
        self._program(name).handler = handler

    def on(self, method: str, handler: Handler) -> None:
        """Answer calls of ``method`` with ``handler(request)`` (any :data:`Response`)."""
        self._program(self._resolve(method)).handler = handler

    def delay(self, method: str, seconds: float) -> None:
        """Add ``seconds`` of latency to ``method`` (on top of ``fake.latency``)."""
        self._program(self._resolve(method)).latency = seconds

    def stall(self, method: str, seconds: float) -> None:
        """Hold every call of ``method`` for ``seconds`` (or until the client gives up)."""
        self._program(self._resolve(method)).stall = seconds

    def fail(
        self,
        method: str,
        code: str | grpc.StatusCode = "UNAVAILABLE",
        message: str | None = None,
        *,
        times: int | None = None,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        details: Sequence[Any] = (),
    ) -> None:
        """Answer ``method`` with an error status, ``times`` times (None: until reset).

        ``reason`` adds a ``google.rpc.ErrorInfo`` as Google sends it, with its metadata
        (plus ``metadata``) and, where ``message`` is None, Google's message: for
        ``"SERVICE_DISABLED"`` the API's activation link, for ``"IAM_PERMISSION_DENIED"``
        the permission (see :func:`refusal`). ``details`` adds any other ``google.rpc``
        detail messages. Faults queue up in order.
        """
        grpc_code = status_code(code)
        name = self._resolve(method)
        google = refusal(reason, self._service_of[name], metadata) if reason else Refusal("", ())
        text = message or google.message or f"fake {grpc_code.name}"
        fault = _Fault(grpc_code, text, (*google.details, *details), times)
        self._program(name).faults.append(fault)

    def fail_item(
        self,
        method: str,
        index: int,
        code: str | grpc.StatusCode = "INTERNAL",
        message: str = "fake per-item error",
    ) -> None:
        """Put an error status on item ``index`` of every batch response of ``method``
        (the index within each request; batch methods only)."""
        name = self._resolve(method)
        if self._methods[name].apply_item_faults is None:
            raise ValueError(f"{name} has no per-item results")
        from google.rpc import status_pb2  # type: ignore[import-untyped, unused-ignore]

        status = status_pb2.Status(code=status_code(code).value[0], message=message)
        self._program(name).item_faults[index] = status

    def reset(self) -> None:
        """Forget every programmed answer, fault and latency, and the recorded calls."""
        with self._lock:
            self._programs.clear()
            self._calls.clear()
            self.latency = 0.0

    # ---- recording ---------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        """Every call so far, in order: ``(method, request)`` with the full method name."""
        with self._lock:
            return list(self._calls)

    def requests(self, method: str) -> list[Any]:
        """The requests received by ``method``, in order."""
        name = self._resolve(method)
        return [call.request for call in self.calls if call.method == name]

    # ---- internals ---------------------------------------------------------------------
    def _resolve(self, method: str) -> str:
        name = method.lstrip("/")
        if name in self._methods:
            return name
        matches = [
            full for full in self._methods if full.endswith("/" + name) or full.endswith("." + name)
        ]
        if len(matches) > 1:
            matches = [m for m in matches if self._service_of[m].short_names] or matches
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise KeyError(f"no fake method {method!r}; known: {', '.join(self._methods)}")
        raise KeyError(f"{method!r} is ambiguous: {', '.join(matches)}; use the full name")

    def _program(self, name: str) -> _Program:
        with self._lock:
            return self._programs.setdefault(name, _Program())

    def _next_fault(self, program: _Program) -> _Fault | None:
        with self._lock:
            if not program.faults:
                return None
            fault = program.faults[0]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    program.faults.pop(0)
            return fault

    def _behaviour(self, name: str, method: Method) -> Callable[..., Any]:
        """What serves method ``name``: the steps of the module docstring."""
        if method.streaming:
            return functools.partial(self._dispatch_stream, name, method)
        return functools.partial(self._dispatch, name, method)

    def _wait(self, seconds: float, context: grpc.ServicerContext) -> None:
        end = time.monotonic() + seconds
        while context.is_active() and not self._stopping.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return
            self._stopping.wait(min(left, 0.02))

    def _record(self, name: str, request: Any) -> Any:
        """Step 1: ``request`` recorded (and returned)."""
        with self._lock:
            self._calls.append(Call(name, request))
        return request

    def _prelude(self, name: str, context: grpc.ServicerContext) -> tuple[_Program, _Fault | None]:
        """Steps 2-4 for a call just recorded: latency, stall, and the fault to answer."""
        program = self._program(name)
        self._wait(self.latency + program.latency, context)
        if program.stall:
            self._wait(program.stall, context)
        return program, self._next_fault(program)

    def _dispatch(
        self, name: str, method: Method, request: Any, context: grpc.ServicerContext
    ) -> Any:
        self._record(name, request)
        program, fault = self._prelude(name, context)
        if fault is not None:
            _abort(context, fault)
        try:
            answer = (program.handler or method.default)(request)
            response = to_message(method.response_type, answer)
            if program.item_faults and method.apply_item_faults is not None:
                response = method.apply_item_faults(response, dict(program.item_faults))
        except Abort as exc:
            context.abort(exc.code, exc.message)
        except Exception as exc:  # a bug in a test's handler: say so on the wire
            _handler_failed(context, name, exc)
        return response

    def _dispatch_stream(
        self, name: str, method: Method, requests: Iterator[Any], context: grpc.ServicerContext
    ) -> Iterator[Any]:
        first = next(requests, None)
        if first is None:
            return
        self._record(name, first)
        recorded = itertools.chain([first], (self._record(name, r) for r in requests))
        program, fault = self._prelude(name, context)
        if fault is not None:
            _drain(recorded)
            _abort(context, fault)
        try:
            for answer in (program.handler or method.default)(recorded):
                yield to_message(method.response_type, answer)
        except Abort as exc:
            _drain(recorded)
            context.abort(exc.code, exc.message)
        except Exception as exc:
            if context.is_active():  # not a client that went away
                _handler_failed(context, name, exc)


def _drain(requests: Iterator[Any]) -> None:
    """Read what the client is still sending (for up to :data:`_DRAIN_GRACE` seconds)
    before a streaming call is ended with an error: gRPC's client reports a write that
    fails on an ended call as INTERNAL, hiding the status the fake meant to send."""
    drained = threading.Event()

    def read() -> None:
        with contextlib.suppress(Exception):
            for _ in requests:
                pass
        drained.set()

    threading.Thread(target=read, name="fake-google-drain", daemon=True).start()
    drained.wait(_DRAIN_GRACE)


def _after_requests(messages: list[Any], requests: Iterable[Any]) -> list[Any]:
    """A streaming call's programmed answer: every request read, then ``messages``."""
    for _ in requests:
        pass
    return messages


def _handler_failed(context: grpc.ServicerContext, name: str, exc: Exception) -> None:
    context.abort(
        grpc.StatusCode.UNKNOWN, f"fake handler for {name} raised {type(exc).__name__}: {exc}"
    )


def _abort(context: grpc.ServicerContext, fault: _Fault) -> None:
    if not fault.details:
        context.abort(fault.code, fault.message)
    from google.protobuf import any_pb2  # type: ignore[import-untyped, unused-ignore]
    from google.rpc import status_pb2  # type: ignore[import-untyped, unused-ignore]
    from grpc_status import rpc_status  # type: ignore[import-untyped, unused-ignore]

    packed = []
    for detail in fault.details:
        wrapped = any_pb2.Any()
        wrapped.Pack(detail)
        packed.append(wrapped)
    status = status_pb2.Status(code=fault.code.value[0], message=fault.message, details=packed)
    context.abort_with_status(rpc_status.to_status(status))
