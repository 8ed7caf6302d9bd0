"""Real photos of faces for the tests: scikit-image's astronaut (Eileen Collins) and
matplotlib's Grace Hopper, alone or side by side."""

from __future__ import annotations

from PIL import Image


def astronaut() -> Image.Image:
    import skimage.data

    return Image.fromarray(skimage.data.astronaut())


def grace() -> Image.Image:
    from matplotlib import cbook

    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        return Image.open(fh).convert("RGB")


def two_faces() -> Image.Image:
    """The astronaut beside Grace Hopper (1024 x 600)."""
    left, right = astronaut(), grace()
    canvas = Image.new("RGB", (left.width + right.width, max(left.height, right.height)))
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width, 0))
    return canvas
