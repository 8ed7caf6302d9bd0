"""``client.video``: shots, labels, object tracks, explicit content, speech."""

from __future__ import annotations

from collections.abc import Sequence

from smartml._router import BackendChoice
from smartml._sync import blocking
from smartml.backends.tasks import KeyframesTask, LocateTask, VideoTask
from smartml.errors import InvalidInputError
from smartml.inputs import Video
from smartml.namespaces._base import AsyncNamespace, SyncNamespace
from smartml.namespaces.vision import check_features
from smartml.results import KeyframesResult, LocateResult, VideoAnnotation

VIDEO_FEATURES = ("labels", "shots", "objects", "explicit", "speech", "text", "faces", "people")


class AsyncVideo(AsyncNamespace):
    """Video annotation. ``video`` is a path, bytes, gs:// URI or http(s) URL."""

    async def annotate(
        self,
        video: object,
        /,
        features: Sequence[str] = ("labels", "shots"),
        *,
        backend: BackendChoice = None,
        **options: object,
    ) -> VideoAnnotation:
        """Annotate a whole video; ``options`` are engine settings such as ``fps``."""
        task = VideoTask(
            video=await self._core.media(Video, video),
            features=check_features(features, VIDEO_FEATURES),
            options=options,
        )
        return await self._core.run(task, backend)

    async def keyframes(
        self,
        video: object,
        /,
        *,
        fps: float = 2.0,
        max_keyframes: int = 12,
        backend: BackendChoice = None,
    ) -> KeyframesResult:
        """A short visual summary: the frames where the content changes most."""
        _positive(fps=fps, max_keyframes=max_keyframes)
        task = KeyframesTask(
            video=await self._core.media(Video, video), fps=fps, max_keyframes=max_keyframes
        )
        return await self._core.run(task, backend)

    async def locate(
        self,
        clip: object,
        video: object,
        /,
        *,
        fps: float = 4.0,
        max_results: int = 3,
        backend: BackendChoice = None,
    ) -> LocateResult:
        """Where a short ``clip`` occurs inside ``video``: best offsets (seconds) first."""
        _positive(fps=fps, max_results=max_results)
        task = LocateTask(
            clip=await self._core.media(Video, clip),
            video=await self._core.media(Video, video),
            fps=fps,
            max_results=max_results,
        )
        return await self._core.run(task, backend)


def _positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise InvalidInputError(f"{name} must be positive, got {value}")


class VideoNamespace(SyncNamespace):
    __doc__ = AsyncVideo.__doc__
    annotate = blocking(AsyncVideo.annotate)
    keyframes = blocking(AsyncVideo.keyframes)
    locate = blocking(AsyncVideo.locate)
