"""gRPC plumbing shared by smartml's servers: the wire-level fake of Google's APIs
(:mod:`smartml.testing.server`) and ``smartml serve`` (:mod:`smartml.serve`).

A :class:`Service` lists its :class:`Method` s (the proto-plus request and response
types, and a default behaviour); :func:`generic_handler` turns one into the handler a
``grpc.server`` or ``grpc.aio.server`` takes, given what serves each method. A
behaviour ends a call with an error status by raising :class:`Abort`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import grpc

#: ``apply_item_faults(response, {index: google.rpc.Status}) -> response`` (the fake's)
ItemFaultHook = Callable[[Any, Mapping[int, Any]], Any]
#: ``adapt_answer(answer) -> handler``, or None when ``answer`` has the response's shape
AnswerHook = Callable[[Any], Callable[[Any], Any] | None]


@dataclass(frozen=True)
class Method:
    """One RPC of a service: its types and the answer given when nothing is programmed.

    Unary unless ``streaming``: then requests and responses are both streams, and
    ``default(requests)`` returns an iterable of responses. The fake calls ``default``
    with the request; ``smartml serve`` awaits it with the request and the call's
    context."""

    name: str
    request_type: Any  # a proto-plus message class
    response_type: Any
    default: Callable[..., Any]
    apply_item_faults: ItemFaultHook | None = None
    adapt_answer: AnswerHook | None = None
    streaming: bool = False


@dataclass(frozen=True)
class Service:
    """A gRPC service, e.g. ``google.cloud.language.v1.LanguageService``, and its methods.

    ``api`` and ``title`` name the API as Google's errors do (``"language.googleapis.com"``,
    ``"Cloud Natural Language API"``); the gRPC name stands in where they are not given.
    """

    name: str
    methods: Sequence[Method]
    api: str = ""
    title: str = ""
    #: False for a second version of an API (Natural Language v2): its methods answer to
    #: their full names only, so the short names keep meaning the first version's.
    short_names: bool = True


class Abort(Exception):
    """Raised by a handler to end its call with an error status, as Google would."""

    def __init__(self, code: str | grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = status_code(code)
        self.message = message


def status_code(code: str | grpc.StatusCode) -> grpc.StatusCode:
    """``"UNAVAILABLE"`` or ``grpc.StatusCode.UNAVAILABLE`` -> ``grpc.StatusCode``."""
    if isinstance(code, grpc.StatusCode):
        return code
    try:
        return grpc.StatusCode[code.upper()]
    except KeyError:
        raise ValueError(f"unknown gRPC status code {code!r}") from None


#: ``behaviour(full method name, method)``: the function that serves the method (sync
#: for ``grpc.server``, a coroutine or async generator function for ``grpc.aio``).
Behaviour = Callable[[str, Method], Callable[..., Any]]


def generic_handler(service: Service, behaviour: Behaviour) -> Any:
    """The generic RPC handler of ``service``: each method served by ``behaviour``'s
    function, its messages (de)serialized by the method's proto-plus types."""
    handlers = {}
    for method in service.methods:
        serve = behaviour(f"{service.name}/{method.name}", method)
        make = (
            grpc.stream_stream_rpc_method_handler
            if method.streaming
            else grpc.unary_unary_rpc_method_handler
        )
        handlers[method.name] = make(
            serve,
            request_deserializer=method.request_type.deserialize,
            response_serializer=method.response_type.serialize,
        )
    return grpc.method_handlers_generic_handler(service.name, handlers)


class ProtobufType:
    """The proto-plus face (``deserialize``/``serialize``/``from_json``/constructor) that
    FakeGoogle's server uses, for a raw protobuf class such as ``Operation``."""

    pb: ClassVar[Any]

    def __new__(cls, value: Any = None) -> Any:
        from google.protobuf import json_format  # type: ignore[import-untyped, unused-ignore]

        return json_format.ParseDict(dict(value or {}), cls.pb())

    @classmethod
    def deserialize(cls, data: bytes) -> Any:
        return cls.pb.FromString(data)

    @classmethod
    def serialize(cls, message: Any) -> bytes:
        return bytes(message.SerializeToString())

    @classmethod
    def from_json(cls, payload: str | bytes, *, ignore_unknown_fields: bool = False) -> Any:
        from google.protobuf import json_format  # type: ignore[import-untyped, unused-ignore]

        return json_format.Parse(payload, cls.pb(), ignore_unknown_fields=ignore_unknown_fields)


def protobuf_type(pb_class: Any) -> type[ProtobufType]:
    return type(pb_class.__name__, (ProtobufType,), {"pb": pb_class})
