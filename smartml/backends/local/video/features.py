"""Per-frame answers of the image engines turned into video results.

Labels: a shot's (or the whole video's) confidence in a label is the label's mean score
over the sampled frames inside it (a frame without the label counts 0). Text: OCR lines
grouped by their text, with the stretches of sampled frames where each is seen.
Explicit: one :class:`ExplicitFrame` per sampled frame from the safe-search answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartml.results import Label, SafeSearchResult, TextResult
from smartml.results.common import TimeSegment
from smartml.results.video import ExplicitFrame, LabelSegment, VideoLabel, VideoText

#: A label whose mean score over a segment is below this is left out of it.
MIN_CONFIDENCE = 0.1
#: At most this many labels per segment (shot or whole video).
MAX_PER_SEGMENT = 10
#: At most this many labels per sampled frame in ``frame_labels``.
MAX_PER_FRAME = 3


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def segment_labels(
    times: Sequence[float],
    frame_labels: Sequence[Sequence[Label]],
    segments: Sequence[TimeSegment],
    *,
    min_confidence: float = MIN_CONFIDENCE,
    max_per_segment: int = MAX_PER_SEGMENT,
) -> list[VideoLabel]:
    """Labels with the segments where they hold (mean score over the segment's frames),
    most confident first."""
    found: dict[str, VideoLabel] = {}
    best: dict[str, float] = {}
    last = len(segments) - 1
    for k, seg in enumerate(segments):
        inside = [
            i
            for i, t in enumerate(times)
            if seg.start <= t < seg.end or (k == last and seg.start <= t <= seg.end)
        ]
        if not inside:
            continue
        totals: dict[str, float] = {}
        for i in inside:
            for label in frame_labels[i]:
                totals[label.description] = totals.get(label.description, 0.0) + label.score
        means = sorted(((s / len(inside), d) for d, s in totals.items()), reverse=True)
        for mean, name in means[:max_per_segment]:
            if mean < min_confidence:
                break
            entry = found.setdefault(name, VideoLabel(description=name))
            entry.segments.append(LabelSegment(segment=seg, confidence=_clamp(mean)))
            best[name] = max(best.get(name, 0.0), mean)
    return sorted(found.values(), key=lambda label: -best[label.description])


def per_frame_labels(
    times: Sequence[float], frame_labels: Sequence[Sequence[Label]], top: int = MAX_PER_FRAME
) -> list[VideoLabel]:
    """``frame_labels``: each frame's top labels, as zero-length segments at its time."""
    found: dict[str, VideoLabel] = {}
    for t, labels in zip(times, frame_labels, strict=True):
        for label in labels[:top]:
            entry = found.setdefault(label.description, VideoLabel(description=label.description))
            moment = TimeSegment(start=t, end=t)
            entry.segments.append(LabelSegment(segment=moment, confidence=_clamp(label.score)))
    return list(found.values())


def explicit_frames(
    times: Sequence[float], results: Sequence[SafeSearchResult]
) -> list[ExplicitFrame]:
    """One frame per sample: the adult likelihood and, where known, its probability."""
    out = []
    for t, result in zip(times, results, strict=True):
        score = next(iter(result.scores.values()), None) if result.scores else None
        out.append(
            ExplicitFrame(
                time=t,
                likelihood=result.adult,
                score=None if score is None else _clamp(score),
            )
        )
    return out


def video_text(
    times: Sequence[float], results: Sequence[TextResult], step: float, duration: float
) -> list[VideoText]:
    """OCR lines grouped by text; a line seen on consecutive samples (no gap larger than
    1.5 ``step``) forms one segment, its confidence the mean of its words'."""
    runs: dict[str, list[tuple[float, float]]] = {}
    for t, result in zip(times, results, strict=True):
        confidence = (
            sum(w.confidence for w in result.words) / len(result.words) if result.words else 1.0
        )
        for line in dict.fromkeys(s.strip() for s in result.text.splitlines() if s.strip()):
            runs.setdefault(line, []).append((t, confidence))
    out: list[VideoText] = []
    for text, seen in runs.items():
        entry = VideoText(text=text)
        group = [seen[0]]
        for item in [*seen[1:], None]:
            if item is not None and item[0] - group[-1][0] <= 1.5 * step:
                group.append(item)
                continue
            mean = sum(c for _, c in group) / len(group)
            entry.segments.append(
                LabelSegment(
                    segment=TimeSegment(start=group[0][0], end=min(group[-1][0] + step, duration)),
                    confidence=_clamp(mean),
                )
            )
            if item is not None:
                group = [item]
        out.append(entry)
    return out
