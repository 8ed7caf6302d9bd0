"""``client.video``: shots, labels, object tracks, explicit content, speech."""

from __future__ import annotations

import inspect
from collections.abc import Sequence

from smartml import catalogue
from smartml._router import BackendChoice
from smartml._sync import blocking
from smartml.backends.tasks import KeyframesTask, LocateTask, VideoTask
from smartml.catalogue import Kind
from smartml.inputs import Video
from smartml.namespaces._base import AsyncNamespace, SyncNamespace, on_this_loop
from smartml.results import KeyframesResult, LocateResult, VideoAnnotation


class AsyncVideo(AsyncNamespace):
    """Video annotation. ``video`` is a path, bytes, gs:// URI or http(s) URL."""

    async def annotate(
        self,
        video: object,
        /,
        features: Sequence[str] = catalogue.defaults(Kind.VIDEO),
        *,
        backend: BackendChoice = None,
        **options: object,
    ) -> VideoAnnotation:
        """Annotate a whole video. ``features`` are the keys of the catalogue's video
        features (labels, shots, objects, explicit, speech, text, faces, people);
        ``options`` are theirs (``progress``, ``fps``, ``language``, ``timeout``...: see
        ``client.capabilities()`` for which backend honours which)."""
        wanted = catalogue.pick(features, VideoTask.carries())
        checked = self._core.options(wanted, **options)  # before reading anything
        if inspect.iscoroutinefunction(checked.get("progress")):
            checked["progress"] = on_this_loop(checked["progress"])
        task = VideoTask(
            video=await self._core.media(Video, video), features=wanted, options=checked
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
        options = self._core.options(KeyframesTask.feature, fps=fps, max_keyframes=max_keyframes)
        task = KeyframesTask(video=await self._core.media(Video, video), **options)
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
        options = self._core.options(LocateTask.feature, fps=fps, max_results=max_results)
        task = LocateTask(
            clip=await self._core.media(Video, clip),
            video=await self._core.media(Video, video),
            **options,
        )
        return await self._core.run(task, backend)


class VideoNamespace(SyncNamespace):
    __doc__ = AsyncVideo.__doc__
    annotate = blocking(AsyncVideo.annotate)
    keyframes = blocking(AsyncVideo.keyframes)
    locate = blocking(AsyncVideo.locate)
