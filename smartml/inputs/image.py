"""Image input: path, bytes, gs:// URI, URL, PIL image or numpy array."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, ClassVar

from smartml.errors import InvalidInputError
from smartml.inputs._source import Media, Signature

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image as PILImage

DEFAULT_MAX_PIXELS = 80_000_000


class Image(Media):
    """An image to annotate. Decoding is lazy; dimensions are checked on creation."""

    kind: ClassVar[str] = "image"
    max_pixels: ClassVar[int] = DEFAULT_MAX_PIXELS
    signatures: ClassVar[tuple[Signature, ...]] = (
        Signature("jpeg", b"\xff\xd8\xff"),
        Signature("png", b"\x89PNG\r\n\x1a\n"),
        Signature("gif", b"GIF87a"),
        Signature("gif", b"GIF89a"),
        Signature("webp", b"RIFF", also=(8, b"WEBP")),
        Signature("bmp", b"BM"),
        Signature("tiff", b"II*\x00"),
        Signature("tiff", b"MM\x00*"),
        Signature("ico", b"\x00\x00\x01\x00"),
    )

    def __init__(
        self,
        data: bytes | None = None,
        *,
        uri: str | None = None,
        source: str = "<bytes>",
        format: str = "",
        pil: PILImage | None = None,
    ) -> None:
        self._pil: PILImage | None = pil
        super().__init__(data, uri=uri, source=source, format=format)
        self.width, self.height = pil.size if pil is not None else (0, 0)

    def _in_memory(self) -> bool:
        return self._pil is not None

    @property
    def data(self) -> bytes | None:
        """The encoded bytes; an image given as PIL or numpy is PNG-encoded on first use
        (only a backend that sends bytes, such as Google, asks)."""
        if self._data is None and self._pil is not None and self.uri is None:
            buf = io.BytesIO()
            self._pil.save(buf, format="PNG", compress_level=1)
            self._data = buf.getvalue()
        return self._data

    def validate(self) -> None:
        from PIL import Image as PILModule

        try:
            with PILModule.open(io.BytesIO(self.require_bytes("local"))) as im:
                self.width, self.height = im.size
                if im.getexif().get(0x0112) in (5, 6, 7, 8):  # EXIF says: rotated 90°
                    self.width, self.height = self.height, self.width
        except PILModule.DecompressionBombError:
            self.width = self.height = 0
            raise self._too_many_pixels("more pixels than Pillow allows") from None
        except Exception as exc:
            raise InvalidInputError(f"{self.source} is not a readable image: {exc}") from exc
        if self.width * self.height > self.max_pixels:
            raise self._too_many_pixels(f"{self.width}x{self.height} pixels")

    def _too_many_pixels(self, what: str) -> InvalidInputError:
        return InvalidInputError(
            f"{self.source} has {what}, over the limit of {self.max_pixels / 1e6:.0f} megapixels",
            hint="downscale the image first",
        )

    def pil(self) -> PILImage:
        """The decoded RGB image, EXIF orientation applied (decoded once)."""
        if self._pil is None:
            from PIL import Image as PILModule

            try:
                from PIL import ImageOps

                with PILModule.open(io.BytesIO(self.require_bytes("local"))) as im:
                    # upright as a person sees it (phone photos are stored sideways + EXIF)
                    self._pil = ImageOps.exif_transpose(im).convert("RGB")
            except InvalidInputError:
                raise
            except Exception as exc:
                raise InvalidInputError(f"cannot decode image {self.source}: {exc}") from exc
        return self._pil

    def numpy(self) -> np.ndarray[Any, Any]:
        """The decoded image as an ``H x W x 3`` uint8 RGB array."""
        import numpy as np

        return np.asarray(self.pil())

    @classmethod
    def from_pil(cls, image: PILImage) -> Image:
        """An image already decoded: kept as an RGB copy, encoded only if a backend needs bytes."""
        if image.width * image.height == 0:
            raise InvalidInputError("the PIL image is empty (0 pixels)")
        made = cls(
            source=f"<PIL {image.width}x{image.height}>", format="png", pil=image.convert("RGB")
        )
        if made.width * made.height > cls.max_pixels:
            raise made._too_many_pixels(f"{made.width}x{made.height} pixels")
        return made

    @classmethod
    def from_numpy(cls, array: np.ndarray[Any, Any]) -> Image:
        import numpy as np
        from PIL import Image as PILModule

        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
            raise InvalidInputError(
                f"an image array must be HxW, HxWx3 or HxWx4, got shape {array.shape}"
            )
        if array.size == 0:
            raise InvalidInputError("the image array is empty")
        if array.dtype != np.uint8:
            if np.issubdtype(array.dtype, np.floating) and float(np.nanmax(array)) <= 1.0:
                array = array * 255.0
            array = np.clip(np.nan_to_num(array), 0, 255).astype(np.uint8)
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        return cls.from_pil(PILModule.fromarray(array))

    @classmethod
    def _coerce_other(cls, value: object) -> Image | None:
        try:
            from PIL.Image import Image as PILImage
        except ImportError:  # pragma: no cover - pillow is a core dependency
            return None
        if isinstance(value, PILImage):
            return cls.from_pil(value)
        if type(value).__module__ == "numpy" and hasattr(value, "ndim"):
            return cls.from_numpy(value)  # type: ignore[arg-type]
        return None

    @classmethod
    def _other_kinds(cls) -> str:
        return ", a PIL image or a numpy array"
