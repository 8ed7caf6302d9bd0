"""``speech.stream`` on this machine: Silero VAD cuts the arriving audio into
utterances and Whisper hears each one.

One stream runs as a pipeline::

    source ─▶ reader task ─▶ bounded queue ─▶ decode ─▶ resample to 16 kHz ─▶ Silero VAD
      (window by window, its state carried) ─▶ segmenter ─▶ Whisper in a worker thread

The reader task pulls chunks as fast as the source gives them, so a real-time source is
never starved while Whisper works. The segmenter opens an utterance on speech and
closes it after :attr:`Segmentation.min_silence` of silence, or cuts it at
:attr:`Segmentation.max_utterance` (at its last pause when there is one) so Whisper's
30 s window is never exceeded. Each closed utterance is heard with beam search and
yielded as a final; while one is open, interim guesses (greedy, ``stability`` 0.5) come
every :attr:`Pacing.interim_every` seconds of new audio, once the model is loaded and
unless the stream has fallen behind by that much. The end of the stream closes the open
utterance.

Language: ``language`` given picks the model (tiny.en for English, base for the others
Whisper hears; any other is refused); none: Whisper base identifies it once, on the first
utterance (when it closes, or once :attr:`Pacing.detect_after` of it is open and an
interim is due), and it is kept (and said in every result). Both models load while the
first words arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smartml.backends.local.engine import Context, Loaded
from smartml.backends.local.languages import require_readable
from smartml.backends.local.models import Requirement, require
from smartml.backends.local.speech.heard import Decoded
from smartml.backends.local.speech.transcribe import build_transcript, whisper_options
from smartml.backends.local.speech.utterances import (
    Listener,
    Utterance,
)
from smartml.backends.local.speech.whisper import (
    ENGLISH_MODEL,
    MULTILINGUAL_MODEL,
    detect,
    hears,
    transcribe_samples,
    whisper_model,
)
from smartml.backends.tasks import StreamTask
from smartml.catalogue import Feature
from smartml.errors import BackendError, SmartMLError
from smartml.inputs.stream import SAMPLE_BYTES
from smartml.results import StreamingResult

if TYPE_CHECKING:
    pass

#: ``stability`` of an interim result (greedy decoding of an utterance still open).
INTERIM_STABILITY = 0.5


@dataclass(frozen=True)
class Pacing:
    """How a stream is read and how often it guesses."""

    interim_every: float = 1.2  # seconds of new audio between interim guesses
    detect_after: float = 3.0  # audio of the first utterance to identify its language on
    queue_chunks: int = 512  # chunks read ahead of the recognizer, at most
    take_seconds: float = 1.0  # audio taken from the queue in one step, at most


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END = object()


class Intake:
    """Reads a stream's chunks in a task of its own into a bounded queue, so the source
    is drained while the recognizer works; leaving the ``async with`` stops the reader."""

    def __init__(self, chunks: AsyncIterator[bytes], pacing: Pacing, bytes_per_second: int) -> None:
        self._chunks = chunks
        self._queue: asyncio.Queue[object] = asyncio.Queue(pacing.queue_chunks)
        self._most = max(1, round(pacing.take_seconds * bytes_per_second))
        self._rate = bytes_per_second
        self._queued = 0  # bytes read and not yet taken
        self._ended = False
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Intake:
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            await _stop(self._reader)

    @property
    def backlog(self) -> float:
        """Seconds of audio read and waiting to be taken."""
        return self._queued / self._rate

    async def take(self) -> bytes | None:
        """The audio waiting (at least one chunk, waited for), or None at the end."""
        if self._ended:
            return None
        parts = [await self._queue.get()]
        size = _size(parts[0])
        while size < self._most and not self._queue.empty() and isinstance(parts[-1], bytes):
            parts.append(self._queue.get_nowait())
            size += _size(parts[-1])
        data = [part for part in parts if isinstance(part, bytes)]
        self._queued -= sum(map(len, data))
        if isinstance(parts[-1], _Failed):
            raise parts[-1].error
        self._ended = parts[-1] is _END
        return b"".join(data) if data or not self._ended else None

    async def _read(self) -> None:
        try:
            async for chunk in self._chunks:
                self._queued += len(chunk)
                await self._queue.put(chunk)
        except Exception as exc:  # the source's failure goes to the consumer as it is
            await self._queue.put(_Failed(exc))
        else:
            await self._queue.put(_END)
        finally:
            close = getattr(self._chunks, "aclose", None)
            if close is not None:
                await close()


def _size(item: object) -> int:
    return len(item) if isinstance(item, bytes) else 0


async def _stop(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait until it is done (its errors are its own business).
    A stream finalized by the garbage collector, outside its loop, only cancels it."""
    task.cancel()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    await asyncio.wait([task])
    if not task.cancelled():
        task.exception()  # retrieved: asyncio logs no "never retrieved" for it


# ---- Whisper -----------------------------------------------------------------------------
@contextlib.contextmanager
def _as_backend_error(what: str) -> Iterator[None]:
    """An engine failure as a smartml :class:`BackendError` (smartml errors pass)."""
    try:
        yield
    except SmartMLError:
        raise
    except Exception as exc:
        raise BackendError("local", f"{what} failed: {type(exc).__name__}: {exc}") from exc


class Hearer:
    """What Whisper hears in each utterance of one stream, as results. Runs in worker
    threads, one call at a time; ``language``, when not given, is identified once on the
    first utterance and kept."""

    def __init__(self, ctx: Context, task: StreamTask, pacing: Pacing) -> None:
        self.ctx = ctx
        self.task = task
        self.pacing = pacing
        self.language = task.language
        self.options = whisper_options(task.options)
        self.utterance = 0  # the index of the utterance under way
        self.guessed = False  # an interim of the utterance under way was yielded

    def prepare(self) -> None:
        """Load the model the first utterance needs (before it arrives)."""
        with _as_backend_error("loading Whisper"):
            whisper_model(self.ctx, self.language)
            if self.language is None:  # base identifies it; English is the likely answer
                whisper_model(self.ctx, "en")

    def can_guess(self, utterance: Utterance) -> bool:
        """Whether an interim guess at ``utterance`` may be made (its language is known,
        or enough of it was heard to identify it)."""
        return self.language is not None or utterance.duration >= self.pacing.detect_after

    def final(self, utterance: Utterance) -> StreamingResult | None:
        """The utterance's final result (None when nothing was heard and nothing was
        guessed); the next utterance gets the next index."""
        if self.language is None:
            self.language = self._detect(utterance)
        result = self._hear(utterance, {"beam_size": 5}, final=True)
        shown = bool(result.text) or self.guessed
        self.guessed = False
        if not shown:
            return None
        self.utterance += 1
        return result

    def interim(self, utterance: Utterance) -> StreamingResult | None:
        """A greedy guess at the utterance under way (None when nothing was heard)."""
        if self.language is None:
            self.language = self._detect(utterance)
        result = self._hear(utterance, {"beam_size": 1}, final=False)
        if not result.text:
            return None
        self.guessed = True
        return result

    def _detect(self, utterance: Utterance) -> str:
        with _as_backend_error("spoken-language identification"):
            loaded = whisper_model(self.ctx, None)
            with loaded.lock:
                ranked = detect(loaded.model, utterance.samples)
        return ranked[0][0] if ranked else "en"

    def _hear(
        self, utterance: Utterance, options: dict[str, Any], *, final: bool
    ) -> StreamingResult:
        with _as_backend_error("Whisper"):
            loaded: Loaded[Any] = whisper_model(self.ctx, self.language)
            settings = {**self.options, **options, "vad_filter": False}
            with loaded.lock:
                decoded = transcribe_samples(
                    loaded.model, utterance.samples, self.language, settings
                )
        return self._result(decoded, utterance, loaded.name, final=final)

    def _result(
        self, decoded: Decoded, utterance: Utterance, model: str, *, final: bool
    ) -> StreamingResult:
        # build_transcript reads only the task's options (punctuation), which a stream has too
        heard = build_transcript(decoded, self.task.options)
        shift = utterance.start
        words = [
            w.model_copy(update={"start": w.start + shift, "end": w.end + shift})
            for w in heard.words
        ]
        return StreamingResult(
            text=heard.text,
            is_final=final,
            stability=None if final else INTERIM_STABILITY,
            confidence=heard.confidence,
            language=heard.language or decoded.language or self.language or "",
            start=utterance.start,
            end=utterance.end,
            utterance=self.utterance,
            words=words,
            model=model,
        )


# ---- one stream --------------------------------------------------------------------------
class Recognition:
    """One stream from chunks to results."""

    def __init__(self, ctx: Context, task: StreamTask, pacing: Pacing = Pacing()) -> None:
        self.task = task
        self.pacing = pacing
        self.hearer = Hearer(ctx, task, pacing)
        self.listener = Listener(task.encoding, task.sample_rate)
        self._guessed_at = 0.0  # seconds of the open utterance heard at its last guess

    async def results(self) -> AsyncIterator[StreamingResult]:
        task = self.task
        ready = asyncio.create_task(asyncio.to_thread(self.hearer.prepare))
        rate = task.sample_rate * SAMPLE_BYTES[task.encoding]
        try:
            async with Intake(task.chunks, self.pacing, rate) as intake:
                with _as_backend_error("loading the voice activity detector"):
                    await asyncio.to_thread(self.listener.prepare)
                while (data := await intake.take()) is not None:
                    with _as_backend_error("voice activity detection"):
                        closed = self.listener(data)
                    for utterance in closed:
                        if final := await self._final(ready, utterance):
                            yield final
                    if self._guess_due(ready, intake.backlog) and (guess := await self._interim()):
                        yield guess
            with _as_backend_error("voice activity detection"):
                closed = self.listener.flush()
            for utterance in closed:
                if final := await self._final(ready, utterance):
                    yield final
        finally:
            await _stop(ready)

    def _guess_due(self, ready: asyncio.Task[None], backlog: float) -> bool:
        """Whether to guess at the open utterance now: interim results asked, the model
        loaded, enough new audio since the last guess, and the stream not so far behind
        that the guess would be stale."""
        every = self.pacing.interim_every
        utterance = self.listener.open() if self.task.interim_results else None
        return (
            utterance is not None
            and ready.done()
            and utterance.duration - self._guessed_at >= every
            and backlog < every
            and self.hearer.can_guess(utterance)
        )

    async def _final(
        self, ready: asyncio.Task[None], utterance: Utterance
    ) -> StreamingResult | None:
        await ready
        self._guessed_at = 0.0
        return await asyncio.to_thread(self.hearer.final, utterance)

    async def _interim(self) -> StreamingResult | None:
        utterance = self.listener.open()
        if utterance is None:
            return None
        self._guessed_at = utterance.duration
        return await asyncio.to_thread(self.hearer.interim, utterance)


# ---- the engine --------------------------------------------------------------------------
class WhisperStream:
    """The local engine of ``speech.stream``: ``await engine(task)`` checks the task and
    returns the async iterator of its results."""

    requires: tuple[Requirement, ...] = tuple(
        dict.fromkeys((*ENGLISH_MODEL, *MULTILINGUAL_MODEL, Requirement("onnxruntime")))
    )
    what = "the local speech stream (Silero VAD + Whisper)"

    def __init__(self, ctx: Context, pacing: Pacing = Pacing()) -> None:
        self.ctx = ctx
        self.pacing = pacing

    def honours(self, feature: Feature) -> frozenset[str]:
        """The options of ``feature`` this engine honours: the catalogue's local ones."""
        return frozenset(feature.local.options if feature.local is not None else ())

    async def __call__(self, task: StreamTask) -> AsyncIterator[StreamingResult]:
        require(self.requires, self.what)
        require_readable(
            task, "language", hears, engine="Whisper models", does="hear Whisper's 99 languages"
        )
        return Recognition(self.ctx, task, self.pacing).results()


__all__ = ["Pacing", "WhisperStream"]
