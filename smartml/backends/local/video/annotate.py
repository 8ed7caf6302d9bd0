"""``video.annotate`` offline: PyAV decoding, a histogram shot detector, and the local
image and speech engines run on sampled frames and on the audio track.

Decoding and the image engines run as a pipeline: each engine a video feature needs
works through the sampled frames on a thread of its own (a :class:`Lane`), in order,
while the decoder goes on, so the engines run side by side and beside FFmpeg's decoder.
Frames become full-size images only when some feature reads them (shots need none).

Options (``VideoTask.options``): ``fps`` (frames sampled per second for the image
engines, default 2), ``shot_fps`` (frames per second compared for cuts, default 10),
``language`` (for speech), ``progress`` (a callable given 0-100 as the work goes on).

Features:

- ``shots``: ``shot_changes`` from :mod:`.shots`.
- ``labels``: the labels engine on each sampled frame (plus "Person"/"Face" where the
  face engine finds a face, as for photos), averaged per shot (``shot_labels``) and over
  the whole video (``segment_labels``); ``frame_labels`` holds each frame's top labels.
- ``faces`` and ``people``: faces found on the sampled frames, linked by the IoU tracker
  of :mod:`.tracking` into ``object_tracks`` named "face" (offline, a face stands for a
  person). ``objects``: the configured object detector (``models={"objects": ...}``) the
  same way; with none configured the router refuses the call
  (:class:`~smartml.errors.UnsupportedCapabilityError`), whatever else is asked.
- ``explicit``: the safe-search engine per sampled frame.
- ``speech``: the speech-to-text engine on the audio track (16 kHz mono, video time).
- ``text``: OCR per sampled frame, lines grouped with the segments where they show.

Not served here (the catalogue says why, and the router refuses them before any work):
``logos``, and the Google-only ``include_attributes`` / ``include_pose_landmarks`` of
faces and people.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from smartml import catalogue
from smartml.backends.local.engine import AnyEngine, Context, Engine, Loaded, TaskEngines
from smartml.backends.local.models import Requirement
from smartml.backends.local.video import features as feat
from smartml.backends.local.video.decode import AUDIO_RATE, decode, decode_audio
from smartml.backends.local.video.shots import detect_cuts, shot_segments
from smartml.backends.local.video.tracking import Detection, track
from smartml.backends.tasks import (
    FacesTask,
    LabelsTask,
    ObjectsTask,
    SafeSearchTask,
    Task,
    TextTask,
    TranscribeTask,
    VideoTask,
)
from smartml.errors import InvalidInputError, UnsupportedCapabilityError
from smartml.results import FacesResult, Label, Transcript
from smartml.results.video import VideoAnnotation

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

    from smartml.catalogue import Feature
    from smartml.inputs import Image

DEFAULT_FPS = 2.0
DEFAULT_SHOT_FPS = 10.0
MODEL_NAME = "pyav + histogram shots"
TRACKING = frozenset({catalogue.VIDEO_OBJECTS, catalogue.VIDEO_FACES, catalogue.VIDEO_PEOPLE})
FACE_TRACKS = frozenset({catalogue.VIDEO_FACES, catalogue.VIDEO_PEOPLE})
#: The features that read sampled frames; shots and speech need none decoded to images.
ON_FRAMES = TRACKING | {
    catalogue.VIDEO_LABELS,
    catalogue.VIDEO_EXPLICIT,
    catalogue.VIDEO_TEXT,
}

Progress = Callable[[float], None]


def _tables() -> dict[type[Task[Any]], TaskEngines]:
    from smartml.backends.local import speech, vision

    return {entry.task_type: entry for entry in (*vision.engines(), *speech.engines())}


class SubEngines:
    """The image and speech engines the video engine runs, built on first use from the
    local tables (so configured models apply to videos too)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._built: dict[type[Task[Any]], AnyEngine] = {}

    def get(self, task_type: type[Task[Any]]) -> AnyEngine:
        engine = self._built.get(task_type)
        if engine is None:
            engine = _tables()[task_type].build(self.ctx)
            self._built[task_type] = engine
        return engine

    def run(self, task: Task[Any]) -> Any:
        return self.get(type(task)).run(task)


#: How many sampled frames a lane may fall behind the decoder (a bound on memory).
BACKLOG = 8


class Lane:
    """One engine run on each sampled frame, in order, on a thread of its own, at most
    :data:`BACKLOG` frames behind the decoder. After a failure it skips the frames
    left; :meth:`results` raises the first failure."""

    def __init__(self, engine: AnyEngine, task: Callable[[Image], Task[Any]]) -> None:
        self._engine = engine
        self._task = task
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="smartml-video")
        self._futures: list[Future[Any]] = []
        self._failure: BaseException | None = None

    def submit(self, image: Image) -> None:
        """Queue ``image``, first waiting while the lane is :data:`BACKLOG` frames behind."""
        if len(self._futures) >= BACKLOG:
            wait([self._futures[-BACKLOG]])
        self._futures.append(self._pool.submit(self._run, self._task(image)))

    def _run(self, task: Task[Any]) -> Any:
        if self._failure is not None:
            raise self._failure
        try:
            return self._engine.run(task)
        except BaseException as exc:
            self._failure = exc
            raise

    def __len__(self) -> int:
        return len(self._futures)

    def results(self) -> list[Any]:
        """Every frame's result, in order, once the lane has finished."""
        self._pool.shutdown(wait=True)
        return [future.result() for future in self._futures]

    def close(self) -> None:
        """Wait for the frame being worked on; drop the rest."""
        self._pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class Inputs:
    task: VideoTask
    data: bytes
    source: str


@dataclass
class Outputs:
    result: VideoAnnotation = field(default_factory=VideoAnnotation)
    models: list[str] = field(default_factory=list)


def _number(options: dict[str, object], key: str, default: float) -> float:
    value = options.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise InvalidInputError(f"option {key!r} must be a positive number, got {value!r}")
    return float(value)


def _progress(task: VideoTask) -> Progress:
    report = task.options.get("progress")
    if report is None:
        return lambda _: None
    if not callable(report):
        raise InvalidInputError("option 'progress' must be a callable taking 0-100")
    return lambda pct: report(round(min(100.0, max(0.0, pct)), 1))


class VideoAnnotate(Engine[VideoTask, SubEngines, Inputs, Outputs, VideoAnnotation]):
    """``video.annotate``: decode, detect shots, run the image/speech engines, aggregate."""

    requires = (Requirement("av"), Requirement("numpy"))
    thread_safe: ClassVar[bool] = True  # every sub-engine guards its own model

    @property
    def what(self) -> str:
        return "local video annotation"

    def load(self) -> Loaded[SubEngines]:
        import av  # noqa: F401  # fail early when PyAV is missing

        return Loaded(SubEngines(self.ctx), MODEL_NAME)

    def preprocess(self, task: VideoTask) -> Inputs:
        data = task.video.data
        if data is None:
            raise InvalidInputError(
                f"the local backend reads video bytes, not {task.video.uri}; download it first "
                'or use backend="google"'
            )
        for key, default in (("fps", DEFAULT_FPS), ("shot_fps", DEFAULT_SHOT_FPS)):
            _number(task.options, key, default)
        _progress(task)
        return Inputs(task, data, task.video.source)

    def forward(self, model: SubEngines, inputs: Inputs) -> Outputs:
        return _analyse(model, inputs)

    def postprocess(self, task: VideoTask, outputs: Outputs) -> VideoAnnotation:
        result = outputs.result
        result.model = " + ".join(dict.fromkeys([MODEL_NAME, *outputs.models]))
        return result


def _lanes(engines: SubEngines, asked: set[Feature]) -> dict[type[Task[Any]], Lane]:
    """The lanes the asked features need, in the order their models are reported."""
    wanted: list[tuple[type[Task[Any]], Callable[[Image], Task[Any]]]] = []
    if asked & FACE_TRACKS or catalogue.VIDEO_LABELS in asked:  # labels add Person/Face
        wanted.append((FacesTask, lambda image: FacesTask(image=image)))
    if catalogue.VIDEO_OBJECTS in asked:
        wanted.append((ObjectsTask, lambda image: ObjectsTask(image=image)))
    if catalogue.VIDEO_LABELS in asked:
        wanted.append((LabelsTask, lambda image: LabelsTask(image=image, max_results=15)))
    if catalogue.VIDEO_EXPLICIT in asked:
        wanted.append((SafeSearchTask, lambda image: SafeSearchTask(image=image)))
    if catalogue.VIDEO_TEXT in asked:
        wanted.append((TextTask, lambda image: TextTask(image=image)))
    # the router has refused a feature whose engine can't run here (objects without a
    # configured detector): what is asked, runs
    return {kind: Lane(engines.get(kind), task) for kind, task in wanted}


def _analyse(engines: SubEngines, inputs: Inputs) -> Outputs:
    from smartml.inputs import Image

    task = inputs.task
    asked = set(task.features)
    fps = _number(task.options, "fps", DEFAULT_FPS)
    progress = _progress(task)
    out = Outputs()
    result = out.result
    transcript = None
    if catalogue.VIDEO_SPEECH in asked:  # first: a language it can't hear fails at once
        transcript = _transcribe(engines, task, inputs)
        if transcript is not None:
            out.models.append(transcript.model or "")

    lanes = _lanes(engines, asked)

    def on_frame(_: float, frame: PILImage) -> None:
        image = Image.from_pil(frame)
        for lane in lanes.values():
            lane.submit(image)

    try:
        decoded = decode(
            inputs.data,
            fps=fps if lanes else None,
            shot_fps=_number(task.options, "shot_fps", DEFAULT_SHOT_FPS),
            source=inputs.source,
            progress=lambda f: progress(85.0 * f),
            on_frame=on_frame if lanes else None,
        )
        found = {kind: _finished(kind, lane, asked) for kind, lane in lanes.items()}
    finally:
        for lane in lanes.values():
            lane.close()
    for answers in found.values():
        out.models += [answer.model for answer in answers if answer is not None]

    result.duration = decoded.duration
    if catalogue.VIDEO_SPEECH in asked:
        result.transcript = transcript or Transcript(duration=decoded.duration)
    shots = shot_segments(detect_cuts(decoded.hist_times, decoded.hists), decoded.duration)
    if catalogue.VIDEO_SHOTS in asked:
        result.shot_changes = shots
    times = decoded.times
    faces: list[FacesResult | None] = found.get(FacesTask) or [None] * len(times)
    if catalogue.VIDEO_LABELS in asked:
        frame_labels = [
            _with_faces(labels.labels, face)
            for labels, face in zip(found[LabelsTask], faces, strict=True)
        ]
        whole = [shot_segments([], decoded.duration)[0]]
        result.segment_labels = feat.segment_labels(times, frame_labels, whole)
        result.shot_labels = feat.segment_labels(times, frame_labels, shots)
        result.frame_labels = feat.per_frame_labels(times, frame_labels)
    if asked & TRACKING:
        detections: list[list[Detection]] = [[] for _ in times]
        if asked & FACE_TRACKS:
            for i, (t, face) in enumerate(zip(times, faces, strict=True)):
                found_faces = face.faces if face is not None else []
                detections[i] += [Detection(t, f.box, f.confidence, "face") for f in found_faces]
        for i, (t, objs) in enumerate(zip(times, found.get(ObjectsTask, []), strict=False)):
            detections[i] += [Detection(t, o.box, o.score, o.name) for o in objs.objects]
        result.object_tracks = track(detections)
    if catalogue.VIDEO_EXPLICIT in asked:
        result.explicit_frames = feat.explicit_frames(times, found[SafeSearchTask])
    if catalogue.VIDEO_TEXT in asked:
        result.text = feat.video_text(times, found[TextTask], 1.0 / fps, decoded.duration)
    progress(100.0)
    out.models = [m for m in out.models if m]
    return out


def _finished(kind: type[Task[Any]], lane: Lane, asked: set[Feature]) -> list[Any]:
    """The lane's results; faces asked only for the labels' Person/Face are left out
    (None per frame) when the faces engine can't serve them."""
    try:
        return lane.results()
    except UnsupportedCapabilityError:
        if kind is not FacesTask or asked & FACE_TRACKS:
            raise
        return [None] * len(lane)


def _with_faces(labels: Sequence[Label], faces: FacesResult | None) -> list[Label]:
    """The frame's labels plus "Person" and "Face" when a face is on it (as for photos)."""
    from smartml.backends.local.vision.annotate import FACE_LABELS

    if faces is None or not faces.faces:
        return list(labels)
    best = max(face.confidence for face in faces.faces)
    present = {label.description.lower() for label in labels}
    extra = [Label(description=n, score=best) for n in FACE_LABELS if n.lower() not in present]
    return sorted([*labels, *extra], key=lambda label: -label.score)


def _transcribe(engines: SubEngines, task: VideoTask, inputs: Inputs) -> Transcript | None:
    """The audio track's transcript; None when the video has no audio (or it is empty)."""
    from smartml.codecs import encode
    from smartml.inputs import Audio

    samples = decode_audio(inputs.data, inputs.source)
    if samples is None or not len(samples):
        return None
    wav, _ = encode(samples, AUDIO_RATE, "wav")
    language = task.options.get("language")
    punctuation = task.options.get("punctuation")
    try:
        transcript: Transcript = engines.run(
            TranscribeTask(
                audio=Audio.from_bytes(wav, source=f"{inputs.source} (audio track)"),
                language=language if isinstance(language, str) else None,
                options={} if punctuation is None else {"punctuation": punctuation},
            )
        )
    except UnsupportedCapabilityError as exc:  # name the feature the caller asked
        exc.capability = catalogue.VIDEO_SPEECH.name
        raise
    return transcript


ENGINES: tuple[TaskEngines, ...] = (TaskEngines(VideoTask, VideoAnnotate, key="video"),)

__all__ = ["ENGINES", "SubEngines", "VideoAnnotate"]
