"""Audio streams: chunks of raw mono samples, checked as they arrive, and a file cut
into such chunks (optionally at real-time pace) to replay it as a stream.

A stream's chunks are bytes of headerless mono samples in one of
:data:`~smartml.catalogue.STREAM_ENCODINGS`: ``linear16`` (signed 16-bit little-endian),
``mulaw`` or ``alaw`` (G.711, 8 bits). An iterable is pulled from a worker thread, so a
source that blocks (a microphone) never stalls the event loop; an async iterable is
awaited as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncGenerator, AsyncIterable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartml.errors import InvalidInputError
from smartml.inputs._source import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from smartml.codecs import Samples

#: Bytes per sample of each stream encoding.
SAMPLE_BYTES = {"linear16": 2, "mulaw": 1, "alaw": 1}
#: soundfile's subtype for each stream encoding (read as headerless RAW).
_SUBTYPES = {"linear16": "PCM_16", "mulaw": "ULAW", "alaw": "ALAW"}
#: Buffer formats a chunk may have: bytes, or an array of 16-bit integers.
_BYTE_FORMATS = {"B", "b", "c"}
_INT16_FORMATS = {"h", "<h", "=h"}
_END = object()


def check_chunks(chunks: object) -> AsyncGenerator[bytes, None]:
    """``chunks`` (an iterable or async iterable of bytes-like chunks) as an async
    iterator of bytes, each chunk checked as it arrives; empty chunks are skipped.
    Bytes, a string or a path passed whole are refused at once (not chunks)."""
    if isinstance(chunks, str | bytes | bytearray | memoryview | Path):
        raise InvalidInputError(
            f"a stream takes an iterable of audio chunks, not one {type(chunks).__name__}",
            hint="pass e.g. [data] or a generator of bytes; to stream a file use "
            "smartml.inputs.file_chunks(path)",
        )
    if isinstance(chunks, AsyncIterable):
        return _checked(_aiter(chunks))
    if isinstance(chunks, Iterable):
        return _checked(_pulled(iter(chunks)))
    raise InvalidInputError(
        f"a stream takes an iterable of audio chunks, got {type(chunks).__name__}",
        hint="pass a list, a generator or an async generator of bytes",
    )


async def _aiter(chunks: AsyncIterable[Any]) -> AsyncGenerator[Any, None]:
    async for chunk in chunks:
        yield chunk


async def _pulled(chunks: Iterator[Any]) -> AsyncGenerator[Any, None]:
    """A plain iterator's items, each taken in a worker thread."""
    while (chunk := await asyncio.to_thread(next, chunks, _END)) is not _END:
        yield chunk


async def _checked(chunks: AsyncGenerator[Any, None]) -> AsyncGenerator[bytes, None]:
    """Each chunk as bytes; closing this closes the source too."""
    index = 0
    async with contextlib.aclosing(chunks):
        async for chunk in chunks:
            data = as_bytes(chunk, index)
            index += 1
            if data:
                yield data


def as_bytes(chunk: object, index: int) -> bytes:
    """One chunk as bytes: bytes-like, or an array of 16-bit integers."""
    try:
        view = memoryview(chunk)  # type: ignore[arg-type]
    except TypeError:
        raise InvalidInputError(
            f"audio chunk {index} is a {type(chunk).__name__}, not bytes",
            hint="each chunk is bytes of raw samples (linear16: 16-bit little-endian)",
        ) from None
    if view.format not in _BYTE_FORMATS | _INT16_FORMATS:
        raise InvalidInputError(
            f"audio chunk {index} holds {view.format!r} items, not bytes or 16-bit integers",
            hint="float samples in [-1, 1]: send (x * 32767).astype('<i2').tobytes()",
        )
    return view.tobytes()


def samples(data: bytes, encoding: str, sample_rate: int) -> Samples:
    """Float32 samples in [-1, 1] of headerless mono ``data`` in ``encoding``."""
    import numpy as np

    from smartml.codecs import _soundfile

    if encoding not in _SUBTYPES:
        raise InvalidInputError(
            f"unknown stream encoding {encoding!r}", hint=f"choose from {', '.join(_SUBTYPES)}"
        )
    whole = len(data) - len(data) % SAMPLE_BYTES[encoding]
    if whole == 0:
        return np.zeros(0, dtype=np.float32)
    read, _ = _soundfile().read(
        io.BytesIO(data[:whole]),
        format="RAW",
        subtype=_SUBTYPES[encoding],
        samplerate=sample_rate,
        channels=1,
        dtype="float32",
    )
    return np.asarray(read, dtype=np.float32)


def file_chunks(
    audio: object,
    *,
    sample_rate: int = 16000,
    chunk_seconds: float = 0.1,
    realtime: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[bytes]:
    """An audio file (path, bytes, :class:`~smartml.inputs.Audio`) as ``linear16``
    chunks of ``chunk_seconds`` at ``sample_rate`` Hz, mono; with ``realtime`` each chunk
    comes no sooner than the audio before it would have played."""
    import numpy as np

    from smartml.inputs import Audio

    if chunk_seconds <= 0:
        raise InvalidInputError(f"chunk_seconds must be positive, got {chunk_seconds}")
    clip = audio if isinstance(audio, Audio) else Audio.coerce(audio, max_bytes=max_bytes)
    decoded, _ = clip.decode(sample_rate=sample_rate, mono=True)
    pcm = (np.clip(decoded, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    step = max(2, int(sample_rate * chunk_seconds) * 2)
    started = time.monotonic()
    for offset in range(0, len(pcm), step):
        if realtime:
            due = started + offset / 2 / sample_rate
            time.sleep(max(0.0, due - time.monotonic()))
        yield pcm[offset : offset + step]
