"""The confusion matrix as a PNG, drawn with Pillow: rows are the true classes, columns
the predicted ones, each cell shaded by the share of its row."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

CELL = 44
MARGIN = 12
MAX_NAME = 18


def confusion_png(confusion: Sequence[Sequence[int]], classes: Sequence[str], path: Path) -> None:
    """Write ``confusion`` (rows: true class, columns: predicted) to ``path``."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    names = [name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "~" for name in classes]
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    widest = max(int(measure.textlength(name, font=font)) for name in names)
    n = len(classes)
    left = MARGIN + widest + 8
    top = MARGIN + 18 + widest + 8  # column names are written turned 90°
    width, height = left + n * CELL + MARGIN, top + n * CELL + MARGIN + 16
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((left, MARGIN), "predicted", fill="black", font=font)
    draw.text((MARGIN, height - MARGIN - 12), "rows: true class", fill="black", font=font)
    for k, name in enumerate(names):
        y = top + k * CELL + CELL // 2
        draw.text((left - 6, y), name, fill="black", font=font, anchor="rm")
        label = Image.new("RGB", (widest + 2, 14), "white")
        ImageDraw.Draw(label).text((0, 0), name, fill="black", font=font)
        turned = label.rotate(90, expand=True)
        image.paste(turned, (left + k * CELL + (CELL - turned.width) // 2, top - 6 - turned.height))
    for row, counts in enumerate(confusion):
        total = max(1, sum(counts))
        for col, count in enumerate(counts):
            share = count / total
            shade = round(255 * (1 - 0.85 * share))
            colour = (shade, shade, 255) if row == col else (255, shade, shade)
            x0, y0 = left + col * CELL, top + row * CELL
            draw.rectangle((x0, y0, x0 + CELL, y0 + CELL), fill=colour, outline="grey")
            ink = "white" if share > 0.6 else "black"
            draw.text(
                (x0 + CELL // 2, y0 + CELL // 2), str(count), fill=ink, font=font, anchor="mm"
            )
    image.save(path, format="PNG")
