"""Image input: path, bytes, gs:// URI, URL, PIL image or numpy array.

The pixel count is checked from what is declared (a file's header, a PIL image's or an
array's size) before anything is decoded, converted or copied: a small file that would
decode to gigabytes (a decompression bomb) is refused at once.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING, Any, ClassVar

from smartml.errors import InvalidInputError
from smartml.inputs._source import Media, Signature

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image as PILImage

DEFAULT_MAX_PIXELS = 80_000_000
ARRAY_SHAPES = "HxW, HxWx1, HxWx3 (RGB) or HxWx4 (RGBA)"
ARRAY_VALUES = "uint8, integers in 0-255, or finite floats in 0-1 or 0-255"


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
            with _open(self.require_bytes("local")) as im:
                self._check_pixels(self.source, *im.size)  # the header's: nothing decoded yet
                self.width, self.height = im.size
                if im.getexif().get(0x0112) in (5, 6, 7, 8):  # EXIF says: rotated 90°
                    self.width, self.height = self.height, self.width
        except InvalidInputError:
            raise
        except PILModule.DecompressionBombError:
            raise self._too_many_pixels(self.source, "more pixels than Pillow allows") from None
        except Exception as exc:
            raise InvalidInputError(f"{self.source} is not a readable image: {exc}") from exc

    @classmethod
    def _check_pixels(cls, source: str, width: int, height: int) -> None:
        """Refuse an image over :attr:`max_pixels`, from its declared size alone."""
        if width * height > cls.max_pixels:
            raise cls._too_many_pixels(source, f"{width}x{height} pixels")

    @classmethod
    def _too_many_pixels(cls, source: str, what: str) -> InvalidInputError:
        return InvalidInputError(
            f"{source} has {what}, over the limit of {cls.max_pixels / 1e6:.0f} megapixels",
            hint="downscale the image first",
        )

    def pil(self) -> PILImage:
        """The decoded RGB image, EXIF orientation applied (decoded once)."""
        if self._pil is None:
            try:
                from PIL import ImageOps

                with _open(self.require_bytes("local")) as im:
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
        """An image already decoded: kept as an RGB copy, encoded only if a backend needs bytes.
        Its size is checked before the copy (a lazily opened image is not decoded first)."""
        source = f"<PIL {image.width}x{image.height}>"
        if image.width * image.height == 0:
            raise InvalidInputError("the PIL image is empty (0 pixels)")
        cls._check_pixels(source, image.width, image.height)
        return cls(source=source, format="png", pil=image.convert("RGB"))

    @classmethod
    def from_numpy(cls, array: np.ndarray[Any, Any]) -> Image:
        """An image from an ``HxW`` (grey), ``HxWx1``, ``HxWx3`` (RGB) or ``HxWx4`` (RGBA) array.

        ``uint8`` is taken as is, other integer types must hold 0-255. Floats must be finite
        and are read as 0-1 when every value lies in [0, 1], else as 0-255 (rounded).
        Anything else (NaN, inf, values outside those ranges, bool, complex or object
        arrays) is refused, as is an image over :attr:`max_pixels`, before any copy."""
        from PIL import Image as PILModule

        _check_array_shape(array)
        height, width = array.shape[:2]
        cls._check_pixels(f"<numpy array {width}x{height}>", width, height)
        pixels = _as_uint8(array)
        return cls.from_pil(
            PILModule.fromarray(pixels[:, :, 0] if pixels.shape[2:] == (1,) else pixels)
        )

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


def _open(data: bytes) -> PILImage:
    """Pillow's lazy open: the header is read, no pixel decoded. Pillow's own bomb warning
    is silenced: the caller checks the size against the lower :attr:`Image.max_pixels`."""
    from PIL import Image as PILModule

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PILModule.DecompressionBombWarning)
        return PILModule.open(io.BytesIO(data))


def _check_array_shape(array: np.ndarray[Any, Any]) -> None:
    """Refuse an array that is not an image's shape, or holds no pixels."""
    if array.ndim not in (2, 3) or array.shape[2:] not in ((), (1,), (3,), (4,)):
        raise InvalidInputError(f"an image array must be {ARRAY_SHAPES}, got shape {array.shape}")
    if array.size == 0:
        raise InvalidInputError(f"the image array is empty (shape {array.shape})")


def _as_uint8(array: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The array's pixels as uint8, after checking its type and values (see from_numpy)."""
    import numpy as np

    if array.dtype == np.uint8:
        return array
    if array.dtype.kind not in "iuf":
        mask = array.dtype.kind == "b"
        raise InvalidInputError(
            f"an image array must hold {ARRAY_VALUES}, not {array.dtype}",
            hint="a boolean mask is an image as mask.astype(np.uint8) * 255" if mask else None,
        )
    low, high = _value_range(array)
    floating = array.dtype.kind == "f"
    if low < 0 or high > 255:
        raise InvalidInputError(
            f"a {array.dtype} image array must hold values in "
            f"{'0-1 or 0-255' if floating else '0-255'}, got {low:g}..{high:g}",
            hint="rescale it first, e.g. (array - array.min()) / (array.max() - array.min())",
        )
    if floating:  # 0-1 when every value is, else 0-255
        return np.rint(array * 255.0 if high <= 1 else array).astype(np.uint8)
    return array.astype(np.uint8)


def _value_range(array: np.ndarray[Any, Any]) -> tuple[float, float]:
    """The lowest and highest values; NaN or infinity is refused, naming where it first is."""
    import numpy as np

    low, high = float(array.min()), float(array.max())  # NaN propagates through both
    if np.isfinite(low) and np.isfinite(high):
        return low, high
    bad = ~np.isfinite(array)
    first = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), array.shape))
    raise InvalidInputError(
        f"the image array holds {int(bad.sum()):,} NaN or infinite values (the first, "
        f"{array[first]}, at {first}); an image needs finite numbers"
    )
