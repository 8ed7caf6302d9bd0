"""Speech-to-Text results as smartml's: times as float seconds, language codes in
BCP-47's usual case, words with their speaker and channel."""

from __future__ import annotations

from typing import Any

from smartml.results.speech import Alternative, Transcript, WordInfo


def seconds(value: Any) -> float:
    """A protobuf Duration (a ``timedelta`` to proto-plus) as float seconds."""
    if value is None:
        return 0.0
    if hasattr(value, "total_seconds"):
        return max(0.0, float(value.total_seconds()))
    return max(0.0, float(getattr(value, "seconds", 0)) + getattr(value, "nanos", 0) / 1e9)


def bcp47(code: str) -> str:
    """Google's lower-case ``en-us`` in BCP-47's usual case, ``en-US``."""
    parts = code.split("-")
    return "-".join(
        [parts[0].lower()]
        + [p.upper() if len(p) == 2 else p.title() if len(p) == 4 else p for p in parts[1:]]
    )


def confidence_of(value: float) -> float | None:
    """Google's confidence, or None where it says 0.0 ("not set")."""
    value = float(value)
    return min(1.0, round(value, 6)) if value > 0 else None


def parse_response(
    response: Any,
    *,
    diarized: bool,
    language: str | None,
    duration: float | None,
    model: str = "speech_v1",
) -> Transcript:
    """A Recognize/LongRunningRecognize response as a :class:`Transcript`.

    With diarization Google repeats every word, with its speaker tag, in one last
    result: words are then taken from that result and text from the others. With
    separate channels each channel has its own results (``channel_tag``): they are
    joined in time order, and each word carries its channel.
    """
    results = [r for r in response.results if r.alternatives]
    text_results, word_results = results, results
    if (
        diarized
        and len(results) > 1
        and any(w.speaker_tag for w in results[-1].alternatives[0].words)
    ):
        text_results, word_results = results[:-1], results[-1:]
    words = [word for r in word_results for word in result_words(r)]
    if len({r.channel_tag for r in results}) > 1:  # separate channels: in time order
        text_results = sorted(text_results, key=lambda r: (_start(r), r.channel_tag))
        words.sort(key=lambda w: (w.start, w.channel or 0))
    best = [r.alternatives[0] for r in text_results]
    text = " ".join(a.transcript.strip() for a in best if a.transcript.strip())
    confidences = [c for c in (confidence_of(a.confidence) for a in best) if c is not None]
    end = max((seconds(r.result_end_time) for r in results), default=0.0)
    detected = next((r.language_code for r in results if r.language_code), "")
    return Transcript(
        text=text,
        confidence=round(sum(confidences) / len(confidences), 6) if confidences else None,
        language=bcp47(detected) or language or "",
        words=words,
        alternatives=_alternatives(text_results),
        duration=duration if duration is not None else (end or None),
        model=model,
        raw=response,
    )


def _start(result: Any) -> float:
    """When a result begins: its first word's start, else its end (Google gives no start)."""
    words = result.alternatives[0].words
    return seconds(words[0].start_time) if words else seconds(result.result_end_time)


def result_words(result: Any, offset: float = 0.0) -> list[WordInfo]:
    """The words of a result's best hypothesis, with their speaker and channel (times
    ``offset`` seconds later than Google's)."""
    return [
        WordInfo(
            word=w.word,
            start=offset + seconds(w.start_time),
            end=offset + max(seconds(w.start_time), seconds(w.end_time)),
            confidence=confidence_of(w.confidence),
            speaker=int(w.speaker_tag) or None,
            channel=int(result.channel_tag) or None,
        )
        for w in result.alternatives[0].words
    ]


def _alternatives(results: list[Any]) -> list[Alternative]:
    """The i-th hypotheses of every result joined (a result with fewer repeats its
    last), when Google gave more than one."""
    most = max((len(r.alternatives) for r in results), default=0)
    if most < 2:
        return []
    ith = [[r.alternatives[min(i, len(r.alternatives) - 1)] for r in results] for i in range(most)]
    return [
        Alternative(
            text=" ".join(a.transcript.strip() for a in hypotheses).strip(),
            confidence=confidence_of(sum(a.confidence for a in hypotheses) / len(hypotheses)),
        )
        for hypotheses in ith
    ]
