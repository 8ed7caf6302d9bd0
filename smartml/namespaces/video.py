"""``client.video``: shots, labels, object tracks, explicit content, speech."""

from __future__ import annotations

from collections.abc import Sequence

from smartml._router import BackendChoice
from smartml._sync import blocking
from smartml.backends.tasks import VideoTask
from smartml.inputs import Video
from smartml.namespaces._base import AsyncNamespace, SyncNamespace
from smartml.namespaces.vision import check_features
from smartml.results import VideoAnnotation

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


class VideoNamespace(SyncNamespace):
    __doc__ = AsyncVideo.__doc__
    annotate = blocking(AsyncVideo.annotate)
