"""``video.annotate`` offline: PyAV decoding, a histogram shot detector, and the local
image and speech engines run on sampled frames and on the audio track.

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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from smartml import catalogue
from smartml.backends.local.engine import AnyEngine, Context, Engine, Loaded, TaskEngines
from smartml.backends.local.models import Requirement
from smartml.backends.local.video import features as feat
from smartml.backends.local.video.decode import AUDIO_RATE, Decoded, decode, decode_audio
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
from smartml.results.video import ObjectTrack, VideoAnnotation

if TYPE_CHECKING:
    from smartml.results.common import TimeSegment

DEFAULT_FPS = 2.0
DEFAULT_SHOT_FPS = 10.0
MODEL_NAME = "pyav + histogram shots"
TRACKING = frozenset({catalogue.VIDEO_OBJECTS, catalogue.VIDEO_FACES, catalogue.VIDEO_PEOPLE})
FACE_TRACKS = frozenset({catalogue.VIDEO_FACES, catalogue.VIDEO_PEOPLE})

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


@dataclass
class Inputs:
    task: VideoTask
    decoded: Decoded
    data: bytes
    source: str


@dataclass
class Outputs:
    decoded: Decoded
    shots: list[TimeSegment] = field(default_factory=list)
    labels: list[list[Label]] = field(default_factory=list)
    tracks: list[ObjectTrack] = field(default_factory=list)
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
        progress = _progress(task)
        decoded = decode(
            data,
            fps=_number(task.options, "fps", DEFAULT_FPS),
            shot_fps=_number(task.options, "shot_fps", DEFAULT_SHOT_FPS),
            source=task.video.source,
            progress=lambda f: progress(20.0 * f),
        )
        return Inputs(task, decoded, data, task.video.source)

    def forward(self, model: SubEngines, inputs: Inputs) -> Outputs:
        return _analyse(model, inputs)

    def postprocess(self, task: VideoTask, outputs: Outputs) -> VideoAnnotation:
        result = outputs.result
        result.model = " + ".join(dict.fromkeys([MODEL_NAME, *outputs.models]))
        return result


def _analyse(engines: SubEngines, inputs: Inputs) -> Outputs:
    task = inputs.task
    asked = set(task.features)
    decoded = inputs.decoded
    progress = _progress(task)
    out = Outputs(decoded)
    result = out.result
    result.duration = decoded.duration
    out.shots = shot_segments(detect_cuts(decoded.hist_times, decoded.hists), decoded.duration)
    if catalogue.VIDEO_SHOTS in asked:
        result.shot_changes = out.shots
    # the router has refused a feature whose engine can't run here (objects without a
    # configured detector): what is asked, runs
    objects = engines.get(ObjectsTask) if catalogue.VIDEO_OBJECTS in asked else None
    face_tracks = bool(asked & FACE_TRACKS)
    faces_ok = face_tracks or catalogue.VIDEO_LABELS in asked
    if catalogue.VIDEO_SPEECH in asked:  # first: a language it can't hear fails at once
        result.transcript = _transcribe(engines, task, inputs)
        out.models.append(result.transcript.model or "")

    frame_labels: list[list[Label]] = []
    detections: list[list[Detection]] = []
    explicit = []
    texts = []
    n = len(decoded.frames)
    from smartml.inputs import Image

    for i, (t, frame) in enumerate(zip(decoded.times, decoded.frames, strict=True)):
        image = Image.from_pil(frame)
        found: list[Detection] = []
        faces: FacesResult | None = None
        if faces_ok:
            try:
                faces = engines.run(FacesTask(image=image))
            except UnsupportedCapabilityError:  # labels go on without Person/Face
                if face_tracks:
                    raise
                faces_ok = False
        if faces is not None:
            out.models.append(faces.model)
            if face_tracks:
                found += [Detection(t, f.box, f.confidence, "face") for f in faces.faces]
        if objects is not None:
            objs = objects.run(ObjectsTask(image=image))
            out.models.append(objs.model)
            found += [Detection(t, o.box, o.score, o.name) for o in objs.objects]
        detections.append(found)
        if catalogue.VIDEO_LABELS in asked:
            labels = engines.run(LabelsTask(image=image, max_results=15))
            out.models.append(labels.model)
            frame_labels.append(_with_faces(labels.labels, faces))
        if catalogue.VIDEO_EXPLICIT in asked:
            safe = engines.run(SafeSearchTask(image=image))
            out.models.append(safe.model)
            explicit.append(safe)
        if catalogue.VIDEO_TEXT in asked:
            ocr = engines.run(TextTask(image=image))
            out.models.append(ocr.model)
            texts.append(ocr)
        progress(20.0 + 65.0 * (i + 1) / n)

    times = decoded.times
    if catalogue.VIDEO_LABELS in asked:
        whole = [shot_segments([], decoded.duration)[0]]
        result.segment_labels = feat.segment_labels(times, frame_labels, whole)
        result.shot_labels = feat.segment_labels(times, frame_labels, out.shots)
        result.frame_labels = feat.per_frame_labels(times, frame_labels)
    if asked & TRACKING:
        result.object_tracks = track(detections)
    if catalogue.VIDEO_EXPLICIT in asked:
        result.explicit_frames = feat.explicit_frames(times, explicit)
    if catalogue.VIDEO_TEXT in asked:
        step = 1.0 / _number(task.options, "fps", DEFAULT_FPS)
        result.text = feat.video_text(times, texts, step, decoded.duration)
    progress(100.0)
    out.models = [m for m in out.models if m]
    return out


def _with_faces(labels: Sequence[Label], faces: FacesResult | None) -> list[Label]:
    """The frame's labels plus "Person" and "Face" when a face is on it (as for photos)."""
    from smartml.backends.local.vision.annotate import FACE_LABELS

    if faces is None or not faces.faces:
        return list(labels)
    best = max(face.confidence for face in faces.faces)
    present = {label.description.lower() for label in labels}
    extra = [Label(description=n, score=best) for n in FACE_LABELS if n.lower() not in present]
    return sorted([*labels, *extra], key=lambda label: -label.score)


def _transcribe(engines: SubEngines, task: VideoTask, inputs: Inputs) -> Transcript:
    from smartml.codecs import encode
    from smartml.inputs import Audio

    samples = decode_audio(inputs.data, inputs.source)
    if samples is None or not len(samples):
        return Transcript(duration=inputs.decoded.duration)
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
