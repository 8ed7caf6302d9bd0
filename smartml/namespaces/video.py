"""``client.video``: shots, labels, object tracks, explicit content, speech, logos;
keyframes, and locating a clip or an image in a video."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import ClassVar

from smartml import catalogue
from smartml._router import BackendChoice
from smartml._sync import blocking
from smartml.backends.tasks import KeyframesTask, LocateTask, VideoTask
from smartml.catalogue import Kind
from smartml.inputs import Image, Video
from smartml.inputs._source import Signature
from smartml.namespaces._base import AsyncNamespace, SyncNamespace, on_this_loop
from smartml.results import KeyframesResult, LocateResult, VideoAnnotation


class Example(Video):
    """What ``video.locate`` looks for: a clip, or an image (a path, bytes, URL, PIL image
    or numpy array), told apart by sniffing its bytes. It travels as the task's clip, an
    image with its own format (``"jpeg"``, ``"png"``...); a backend sniffs it the same way."""

    kind: ClassVar[str] = "video or image"
    signatures: ClassVar[tuple[Signature, ...]] = (*Video.signatures, *Image.signatures)

    def validate(self) -> None:
        """An image is checked as one (its header, its pixel count)."""
        data = self.data
        if data is not None and not Video.sniff(data):
            Image(data, source=self.source, format=self.format).validate()

    @classmethod
    def _coerce_other(cls, value: object) -> Example | None:
        media = value if isinstance(value, Image | Video) else Image._coerce_other(value)
        if media is None:
            return None
        return cls(
            media.data,
            uri=media.uri if media.data is None else None,
            source=media.source,
            format=media.format,
        )

    @classmethod
    def _other_kinds(cls) -> str:
        return Image._other_kinds()


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
        features (labels, shots, objects, explicit, speech, text, faces, people, logos);
        ``options`` are theirs (``progress``, ``fps``, ``language``, ``timeout``,
        ``include_attributes``...: see ``client.capabilities()`` for which backend
        honours which)."""
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
        example: object,
        video: object,
        /,
        *,
        fps: float = 4.0,
        max_results: int = 3,
        backend: BackendChoice = None,
    ) -> LocateResult:
        """Where ``example`` occurs inside ``video``, best first: a short clip (where it
        starts and ends, seconds), or an image (the stretches of video that look like
        it)."""
        options = self._core.options(LocateTask.feature, fps=fps, max_results=max_results)
        task = LocateTask(
            clip=await self._core.media(Example, example),
            video=await self._core.media(Video, video),
            **options,
        )
        return await self._core.run(task, backend)


class VideoNamespace(SyncNamespace):
    __doc__ = AsyncVideo.__doc__
    annotate = blocking(AsyncVideo.annotate)
    keyframes = blocking(AsyncVideo.keyframes)
    locate = blocking(AsyncVideo.locate)
