"""A video as a time series of frame features: keyframes and locating a clip.

:func:`feature_matrix` samples frames at ``fps`` and runs the bundled labels model
(EfficientNet-Lite0, through its engine) on each: a frames × 1000 matrix of ImageNet
probabilities. For comparing frames the probabilities are taken as logs and centred on
the video's mean frame, which makes small changes of view (a pan, a zoom) count.
:func:`keyframes` picks the frames where that series jumps; :func:`locate` slides a
clip's matrix along a video's and scores each offset by the mean cosine similarity of
the aligned frames. An image is located the same way, as a one-frame example:
:func:`locate_image` scores each sampled frame by its cosine similarity to the image and
returns the best stretches of similar frames.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from smartml.backends.local.engine import Engine, Loaded, TaskEngines
from smartml.backends.local.models import Requirement
from smartml.backends.tasks import KeyframesTask, LocateTask
from smartml.errors import InvalidInputError
from smartml.results.video import Keyframe, KeyframesResult, LocateResult, Match

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from PIL.Image import Image as PILImage

    from smartml.backends.local.engine import Context
    from smartml.inputs import Image

    Matrix = npt.NDArray[np.float64]

VideoLike = Any  # a Video, bytes, or a path
DEFAULT_FPS = 2.0
#: ``locate`` samples more densely: its answer is no finer than one sample.
LOCATE_FPS = 4.0
#: Probabilities are floored at this before taking logs.
FLOOR = 1e-6
#: An image's match spreads over the neighbouring frames within this much similarity of
#: its best frame.
SPREAD = 0.2


@dataclass(frozen=True)
class KeyframeImage:
    """A frame where the video changes: its time, how big the change is (0-2, cosine
    distance to the frame before), and the frame itself (for thumbnails)."""

    time: float
    score: float
    image: PILImage


def _bytes(video: VideoLike) -> tuple[bytes, str]:
    from smartml.inputs import Video

    if isinstance(video, Video):
        if video.data is None:
            raise InvalidInputError(f"the local backend reads video bytes, not {video.uri}")
        return video.data, video.source
    if isinstance(video, bytes | bytearray | memoryview):
        media = Video.from_bytes(bytes(video))
    elif isinstance(video, str | os.PathLike):
        media = Video.from_path(video)
    else:
        raise InvalidInputError(
            f"a video path, bytes or Video expected, got {type(video).__name__}"
        )
    assert media.data is not None
    return media.data, media.source


class Sampled(NamedTuple):
    """Frames sampled from a video: their times, feature matrix and images."""

    times: list[float]
    matrix: Matrix
    frames: list[PILImage]
    duration: float


def _features(images: list[Image], ctx: Context | None) -> Matrix:
    """One row of ImageNet probabilities (EfficientNet-Lite0) per image."""
    import numpy as np

    from smartml.backends.local.engine import Context
    from smartml.backends.local.vision.labels import EfficientNetLabels
    from smartml.backends.tasks import LabelsTask
    from smartml.settings import Settings

    engine = EfficientNetLabels(ctx or Context(Settings()))
    loaded = engine.model()
    rows = [
        engine.forward(loaded.model, engine.preprocess(LabelsTask(image=image))) for image in images
    ]
    return np.asarray(rows, dtype=np.float64)


def _frames(video: VideoLike, fps: float, ctx: Context | None) -> Sampled:
    from smartml.backends.local.video.decode import decode
    from smartml.inputs import Image

    data, source = _bytes(video)
    decoded = decode(data, fps=fps, shot_fps=None, source=source)
    matrix = _features([Image.from_pil(frame) for frame in decoded.frames], ctx)
    return Sampled(decoded.times, matrix, decoded.frames, decoded.duration)


def feature_matrix(
    video: VideoLike, fps: float = DEFAULT_FPS, *, ctx: Context | None = None
) -> tuple[list[float], Matrix]:
    """Times of the frames sampled at ``fps``, and their frames × 1000 matrix of ImageNet
    class probabilities."""
    sampled = _frames(video, fps, ctx)
    return sampled.times, sampled.matrix


def _normalized(matrix: Matrix, centre: Matrix) -> Matrix:
    import numpy as np

    logs = np.log(np.maximum(matrix, FLOOR)) - centre
    norms = np.linalg.norm(logs, axis=1, keepdims=True)
    out: Matrix = logs / np.maximum(norms, 1e-12)
    return out


def _centre(matrix: Matrix) -> Matrix:
    import numpy as np

    centre: Matrix = np.log(np.maximum(matrix, FLOOR)).mean(axis=0, keepdims=True)
    return centre


def change_scores(matrix: Matrix) -> list[float]:
    """Cosine distance of each frame's features to the previous frame's (0 for the first)."""
    import numpy as np

    if len(matrix) == 0:
        return []
    rows = _normalized(matrix, _centre(matrix))
    steps = 1.0 - np.sum(rows[1:] * rows[:-1], axis=1)
    return [0.0, *(float(s) for s in steps)]


def keyframes(
    video: VideoLike,
    fps: float = DEFAULT_FPS,
    *,
    max_keyframes: int = 12,
    ctx: Context | None = None,
) -> list[KeyframeImage]:
    """A short visual summary: the first frame and the frames where the feature series
    jumps most (above its mean + one standard deviation, local peaks), in time order."""
    import numpy as np

    times, matrix, frames, _ = _frames(video, fps, ctx)
    scores = change_scores(matrix)
    picked = [0]
    if len(scores) > 2:
        arr = np.asarray(scores[1:])
        bar = float(arr.mean() + arr.std())
        peaks = [
            i
            for i in range(1, len(scores))
            if scores[i] > bar
            and scores[i] >= scores[i - 1]
            and (i + 1 >= len(scores) or scores[i] >= scores[i + 1])
        ]
        peaks.sort(key=lambda i: -scores[i])
        picked += peaks[: max(0, max_keyframes - 1)]
    return [KeyframeImage(times[i], scores[i], frames[i]) for i in sorted(picked)]


def slide(clip: Matrix, video: Matrix) -> list[float]:
    """Mean cosine similarity of the clip's frames to the video's, at each offset (in
    samples) where the clip fits."""
    import numpy as np

    m, n = len(clip), len(video)
    if m == 0 or n < m:
        return []
    centre = _centre(video)
    c, v = _normalized(clip, centre), _normalized(video, centre)
    sims = c @ v.T  # m x n
    return [float(np.mean(sims[np.arange(m), np.arange(m) + o])) for o in range(n - m + 1)]


def locate(
    clip: VideoLike,
    video: VideoLike,
    *,
    fps: float = LOCATE_FPS,
    top: int = 3,
    ctx: Context | None = None,
) -> list[Match]:
    """The best offsets (seconds into ``video``) where ``clip`` starts, best first, at most
    ``top``, at least half a clip apart."""
    clip_times, clip_matrix, _, _ = _frames(clip, fps, ctx)
    video_times, video_matrix, _, _ = _frames(video, fps, ctx)
    if len(clip_matrix) > len(video_matrix):
        raise InvalidInputError("the clip is longer than the video it is looked for in")
    scores = slide(clip_matrix, video_matrix)
    step = 1.0 / fps
    order = sorted(range(len(scores)), key=lambda o: -scores[o])
    spacing = max(1, len(clip_matrix) // 2)
    chosen: list[int] = []
    for o in order:
        if all(abs(o - c) >= spacing for c in chosen):
            chosen.append(o)
        if len(chosen) == top:
            break
    out = []
    for o in chosen:
        shift = 0.0
        if 0 < o < len(scores) - 1:  # a parabola through the peak and its neighbours
            a, b, c = scores[o - 1], scores[o], scores[o + 1]
            denom = a - 2 * b + c
            if denom < 0:
                shift = max(-0.5, min(0.5, 0.5 * (a - c) / denom))
        offset = video_times[o] - clip_times[0] + shift * step
        out.append(Match(offset=max(0.0, offset), score=min(1.0, max(-1.0, scores[o]))))
    return out


def similarity(image: Matrix, video: Matrix) -> list[float]:
    """Cosine similarity of one image's features (a 1 × 1000 matrix) to each frame's."""
    if len(video) == 0:
        return []
    centre = _centre(video)
    sims = _normalized(video, centre) @ _normalized(image, centre)[0]
    return [float(s) for s in sims]


def stretches(scores: list[float]) -> list[tuple[int, int, int]]:
    """Stretches of similar frames as (first, last, best) indices, best first: each
    grown from a local peak of ``scores`` over its neighbours within :data:`SPREAD` of
    the peak. One that runs into a better stretch with a peak within :data:`SPREAD` of
    that one's is a bump on its shoulder, and joins it."""
    n = len(scores)
    owner = [-1] * n  # the stretch each frame belongs to
    found: list[list[int]] = []
    for peak in sorted(range(n), key=lambda i: -scores[i]):
        neighbours = [j for j in (peak - 1, peak + 1) if 0 <= j < n]
        if owner[peak] >= 0 or any(scores[j] > scores[peak] for j in neighbours):
            continue
        low = high = peak
        bar = scores[peak] - SPREAD
        while low > 0 and owner[low - 1] < 0 and scores[low - 1] >= bar:
            low -= 1
        while high < n - 1 and owner[high + 1] < 0 and scores[high + 1] >= bar:
            high += 1
        touching = [
            owner[j]
            for j in (low - 1, high + 1)
            if 0 <= j < n and owner[j] >= 0 and scores[found[owner[j]][2]] - scores[peak] <= SPREAD
        ]
        if touching:
            k = min(touching)
            found[k][0], found[k][1] = min(found[k][0], low), max(found[k][1], high)
        else:
            k = len(found)
            found.append([low, high, peak])
        owner[low : high + 1] = [k] * (high + 1 - low)
    return [(low, high, best) for low, high, best in found]


def moments(
    scores: list[float], times: list[float], step: float, duration: float, top: int
) -> list[Match]:
    """The ``top`` best :func:`stretches` as matches: each from its first frame to where
    the frame after it starts (the last frame: ``step`` later), scored by its best frame."""
    out = []
    for low, high, best in stretches(scores)[:top]:
        end = times[high + 1] if high + 1 < len(times) else times[high] + step
        end = min(end, duration) if duration else end
        score = min(1.0, max(-1.0, scores[best]))
        out.append(Match(offset=times[low], end=max(end, times[low]), score=score))
    return out


def locate_image(
    image: Image,
    video: VideoLike,
    *,
    fps: float = LOCATE_FPS,
    top: int = 3,
    ctx: Context | None = None,
) -> list[Match]:
    """The stretches of ``video`` that look like ``image``, best first, at most ``top``:
    each from its first to its last similar frame, scored by its best frame."""
    sampled = _frames(video, fps, ctx)
    scores = similarity(_features([image], ctx), sampled.matrix)
    return moments(scores, sampled.times, 1.0 / fps, sampled.duration, top)


def still(example: object) -> Image | None:
    """``example`` as an image when it is one: an :class:`~smartml.inputs.Image`, or
    media whose bytes sniff as an image and not as a video (an animated GIF is a clip)."""
    from smartml.inputs import Image, Video

    if isinstance(example, Image):
        return example
    data = getattr(example, "data", None)
    if not isinstance(data, bytes) or Video.sniff(data) or not Image.sniff(data):
        return None
    return Image.from_bytes(data, source=getattr(example, "source", "<bytes>"))


class _SeriesEngine:
    """What the keyframes and locate engines share: the labels model is their model."""

    requires: tuple[Requirement, ...] = (Requirement("av"), Requirement("onnxruntime"))
    thread_safe: ClassVar[bool] = True

    ctx: Context

    @property
    def key(self) -> str:
        return "EfficientNetLabels"  # the labels engine's cache entry: one model loaded

    def load(self) -> Loaded[Any]:
        from smartml.backends.local.vision.labels import EfficientNetLabels

        return EfficientNetLabels(self.ctx).load()


class VideoKeyframes(
    _SeriesEngine, Engine[KeyframesTask, Any, KeyframesTask, Any, KeyframesResult]
):
    """``video.keyframes``: change points of the frame-feature series."""

    @property
    def what(self) -> str:
        return "local video keyframes"

    def preprocess(self, task: KeyframesTask) -> KeyframesTask:
        return task

    def forward(self, model: Any, inputs: KeyframesTask) -> list[KeyframeImage]:
        return keyframes(inputs.video, inputs.fps, max_keyframes=inputs.max_keyframes, ctx=self.ctx)

    def postprocess(self, task: KeyframesTask, outputs: list[KeyframeImage]) -> KeyframesResult:
        from smartml.backends.local.video.decode import probe_duration

        return KeyframesResult(
            keyframes=[Keyframe(time=k.time, score=max(0.0, k.score)) for k in outputs],
            duration=probe_duration(_bytes(task.video)[0]),
        )


class VideoLocate(_SeriesEngine, Engine[LocateTask, Any, LocateTask, Any, LocateResult]):
    """``video.locate``: the clip's feature matrix slid along the video's."""

    @property
    def what(self) -> str:
        return "local clip location"

    def preprocess(self, task: LocateTask) -> LocateTask:
        return task

    def forward(self, model: Any, inputs: LocateTask) -> list[Match]:
        image = still(inputs.clip)
        if image is not None:
            return locate_image(
                image, inputs.video, fps=inputs.fps, top=inputs.max_results, ctx=self.ctx
            )
        return locate(
            inputs.clip, inputs.video, fps=inputs.fps, top=inputs.max_results, ctx=self.ctx
        )

    def postprocess(self, task: LocateTask, outputs: list[Match]) -> LocateResult:
        from smartml.backends.local.video.decode import probe_duration

        if still(task.clip) is not None:
            return LocateResult(matches=outputs, example="image")
        duration = probe_duration(_bytes(task.clip)[0])
        if duration is not None:
            outputs = [m.model_copy(update={"end": m.offset + duration}) for m in outputs]
        return LocateResult(matches=outputs, clip_duration=duration)


ENGINES: tuple[TaskEngines, ...] = (
    TaskEngines(KeyframesTask, VideoKeyframes),
    TaskEngines(LocateTask, VideoLocate),
)


__all__ = [
    "ENGINES",
    "KeyframeImage",
    "VideoKeyframes",
    "VideoLocate",
    "change_scores",
    "feature_matrix",
    "keyframes",
    "locate",
    "locate_image",
    "moments",
    "similarity",
    "slide",
    "still",
    "stretches",
]
