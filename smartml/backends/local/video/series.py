"""A video as a time series of frame features: keyframes and locating a clip.

:func:`feature_matrix` samples frames at ``fps`` and runs the bundled labels model
(EfficientNet-Lite0, through its engine) on each: a frames × 1000 matrix of ImageNet
probabilities. For comparing frames the probabilities are taken as logs and centred on
the video's mean frame, which makes small changes of view (a pan, a zoom) count.
:func:`keyframes` picks the frames where that series jumps; :func:`locate` slides a
clip's matrix along a video's and scores each offset by the mean cosine similarity of
the aligned frames.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

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

    Matrix = npt.NDArray[np.float64]

VideoLike = Any  # a Video, bytes, or a path
DEFAULT_FPS = 2.0
#: ``locate`` samples more densely: its answer is no finer than one sample.
LOCATE_FPS = 4.0
#: Probabilities are floored at this before taking logs.
FLOOR = 1e-6


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


def _frames(
    video: VideoLike, fps: float, ctx: Context | None
) -> tuple[list[float], Matrix, list[PILImage]]:
    import numpy as np

    from smartml.backends.local.engine import Context
    from smartml.backends.local.video.decode import decode
    from smartml.backends.local.vision.labels import EfficientNetLabels
    from smartml.backends.tasks import LabelsTask
    from smartml.inputs import Image
    from smartml.settings import Settings

    data, source = _bytes(video)
    decoded = decode(data, fps=fps, shot_fps=None, source=source)
    engine = EfficientNetLabels(ctx or Context(Settings()))
    loaded = engine.model()
    rows = [
        engine.forward(loaded.model, engine.preprocess(LabelsTask(image=Image.from_pil(frame))))
        for frame in decoded.frames
    ]
    return decoded.times, np.asarray(rows, dtype=np.float64), decoded.frames


def feature_matrix(
    video: VideoLike, fps: float = DEFAULT_FPS, *, ctx: Context | None = None
) -> tuple[list[float], Matrix]:
    """Times of the frames sampled at ``fps``, and their frames × 1000 matrix of ImageNet
    class probabilities."""
    times, matrix, _ = _frames(video, fps, ctx)
    return times, matrix


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

    times, matrix, frames = _frames(video, fps, ctx)
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
    clip_times, clip_matrix, _ = _frames(clip, fps, ctx)
    video_times, video_matrix, _ = _frames(video, fps, ctx)
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
        return locate(
            inputs.clip, inputs.video, fps=inputs.fps, top=inputs.max_results, ctx=self.ctx
        )

    def postprocess(self, task: LocateTask, outputs: list[Match]) -> LocateResult:
        from smartml.backends.local.video.decode import probe_duration

        return LocateResult(matches=outputs, clip_duration=probe_duration(_bytes(task.clip)[0]))


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
    "slide",
]
