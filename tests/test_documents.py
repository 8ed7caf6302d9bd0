"""Documents (PDF, TIFF and GIF of several pages) through ``vision.text``: one page each.

Google, against the fake over a real socket: inline BatchAnnotateFiles of at most 5 pages
a request, ``gs://`` documents read from FakeStorage, AsyncBatchAnnotateFiles writing its
JSON under a ``gs://`` prefix. Offline: pages rendered with pypdfium2 and read by
RapidOCR, accents included (DejaVu Sans: Pillow's bundled font has no glyphs for them).
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
from pathlib import Path

import pytest
from conftest import FAST_RETRY, PROJECT
from ocr_pages import DEJAVU, PARAGRAPHS, cer, render
from PIL import Image
from typer.testing import CliRunner

from smartml import SmartML, TextResult
from smartml.cli import app
from smartml.errors import InvalidInputError
from smartml.inputs import Document
from smartml.inputs import Image as SmartImage
from smartml.inputs.document import image_or_document
from smartml.testing import FakeGoogle, FakeStorage
from smartml.testing import vision as fake_vision

ACCENTED = (
    "Café crème in Zürich: die Straße führt über München nach Köln.",
    "Señora Muñoz añade: el niño comió piñas. Garçon, où est la façade naïve?",
)


# ---- documents made here ------------------------------------------------------------------
def pdf_of(pages: list[Image.Image], resolution: float = 100.0) -> bytes:
    """A PDF with one page per image (Pillow's writer)."""
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=resolution)
    return out.getvalue()


def frames_of(pages: list[Image.Image], fmt: str) -> bytes:
    """A TIFF or GIF with one frame per image."""
    out = io.BytesIO()
    frames = [p.convert("L") if fmt == "GIF" else p for p in pages]
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:])
    return out.getvalue()


def blank(n: int, size: tuple[int, int] = (850, 1100)) -> list[Image.Image]:
    return [Image.new("RGB", size, (255 - 4 * i,) * 3) for i in range(n)]


def short_pages(*texts: str) -> list[Image.Image]:
    return [render(((text,),), width=800).image for text in texts]


def _pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF file of ``objects`` (numbered from 1) with a correct cross-reference table."""
    body, offsets = b"%PDF-1.4\n", []
    for number, content in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R %s >>\n" % (len(objects) + 1, trailer)
    return body + b"startxref\n%d\n%%%%EOF\n" % xref


def _rc4(key: bytes, data: bytes) -> bytes:
    s, j = list(range(256)), 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def password_pdf(user: bytes = b"secret") -> bytes:
    """A one-page PDF locked with a user password (standard security handler, RC4 40-bit)."""
    padded = (user + _PAD)[:32]
    owner = _rc4(hashlib.md5(padded).digest()[:5], padded)
    permissions, file_id = -4, b"0123456789abcdef"
    key = hashlib.md5(padded + owner + struct.pack("<i", permissions) + file_id).digest()[:5]
    check = _rc4(key, _PAD)
    encrypt = b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>" % (
        owner.hex().encode(),
        check.hex().encode(),
        permissions,
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        encrypt,
    ]
    ids = (file_id.hex().encode(),) * 2
    return _pdf(objects, b"/Encrypt 4 0 R /ID [<%s> <%s>]" % ids)


def no_pages_pdf() -> bytes:
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def test_a_job_finds_pdfs_only_when_it_reads_text(tmp_path: Path) -> None:
    from smartml.batch import Plan
    from smartml.batch.sources import discover
    from smartml.settings import Settings

    (tmp_path / "a.pdf").write_bytes(pdf_of(blank(1)))
    (tmp_path / "scan").write_bytes(pdf_of(blank(1)))
    blank(1, (80, 60))[0].save(tmp_path / "b.png")
    assert Plan.build("labels,text").reads_documents and not Plan.build("labels").reads_documents
    found = discover([tmp_path], Settings(), documents=True)
    assert sorted(Path(i.source).name for i in found.items) == ["a.pdf", "b.png", "scan"]
    passed = discover([tmp_path], Settings())
    assert [Path(i.source).name for i in passed.items] == ["b.png"]
    assert sorted(Path(p).name for p in passed.ignored) == ["a.pdf", "scan"]


# ---- telling documents from images --------------------------------------------------------
def test_documents_are_told_by_their_bytes() -> None:
    two = pdf_of(blank(2))
    assert isinstance(image_or_document(two), Document)
    assert image_or_document(two).page_count == 2  # type: ignore[union-attr]
    tiff = image_or_document(frames_of(blank(3, (80, 60)), "TIFF"))
    assert isinstance(tiff, Document) and tiff.format == "tiff" and tiff.page_count == 3
    gif = image_or_document(frames_of(blank(2, (80, 60)), "GIF"))
    assert isinstance(gif, Document) and gif.mime_type == "image/gif"
    single = io.BytesIO()
    blank(1, (80, 60))[0].save(single, "TIFF")
    assert isinstance(image_or_document(single.getvalue()), SmartImage)  # one page: an image
    assert isinstance(image_or_document("gs://b/report.pdf"), Document)
    assert isinstance(image_or_document("gs://b/photo.jpg"), SmartImage)


@pytest.mark.parametrize(
    ("data", "pages", "message"),
    [
        (b"%PDF-1.4\nthis is not a PDF at all", None, "is not a readable PDF"),
        (password_pdf(), None, "password-protected PDF"),
        (no_pages_pdf(), None, "has no pages"),
        (pdf_of(blank(2)), [3], "has 2 pages: no page 3"),
        (pdf_of(blank(2)), [0], "page numbers start at 1"),
        (pdf_of(blank(2)), [], "non-empty list of page numbers"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, [1], "not a readable"),
        (b"just some text, not a file", None, "not a supported image or document"),
    ],
    ids=["corrupt", "password", "no-pages", "past-the-end", "zero", "empty", "bad-png", "text"],
)
def test_bad_documents_are_clear_errors(
    local: SmartML, data: bytes, pages: list[int] | None, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        local.vision.text(data, pages=pages)


def test_pages_of_a_single_image_are_refused(local: SmartML) -> None:
    out = io.BytesIO()
    blank(1, (80, 60))[0].save(out, "PNG")
    with pytest.raises(InvalidInputError, match="selects pages of a document"):
        local.vision.text(out.getvalue(), pages=[1])


# ---- Google, against the fake ------------------------------------------------------------
def test_two_page_pdf_is_one_batch_annotate_files_request(
    fake_google: FakeGoogle, google: SmartML
) -> None:
    result = google.vision.text(pdf_of(blank(2)))
    (request,) = fake_google.requests("BatchAnnotateFiles")
    (file,) = request.requests
    assert file.input_config.mime_type == "application/pdf" and list(file.pages) == [1, 2]
    assert [f.type_.name for f in file.features] == ["TEXT_DETECTION"]
    assert not fake_google.requests("BatchAnnotateImages")
    assert len(result.pages) == 2 and result.text == "SMARTML PAGE 1\fSMARTML PAGE 2"
    assert (result.pages[0].width, result.pages[0].height) == (612, 792)  # points, as Google
    word = result.pages[1].blocks[0].paragraphs[0].words[-1]
    assert word.text == "2" and 0.3 < word.box.x_min < word.box.x_max <= 0.7
    assert result.backend == "google" and result.model == "vision_v1"
    assert TextResult.model_validate_json(result.model_dump_json()).text == result.text


def test_long_documents_go_five_pages_a_request_concurrently(
    fake_google: FakeGoogle, google: SmartML
) -> None:
    fake_google.delay("BatchAnnotateFiles", 0.3)
    seen: list[float] = []
    result = google.vision.text(
        pdf_of(blank(12)), document=True, languages=["de"], progress=seen.append
    )
    assert seen[0] == 0.0 and seen[-1] == 100.0 and seen == sorted(seen) and len(seen) == 4
    requests = fake_google.requests("BatchAnnotateFiles")
    assert sorted(list(r.requests[0].pages) for r in requests) == [
        [1, 2, 3, 4, 5],
        [6, 7, 8, 9, 10],
        [11, 12],
    ]
    first = requests[0].requests[0]
    assert first.features[0].type_.name == "DOCUMENT_TEXT_DETECTION"
    assert list(first.image_context.language_hints) == ["de"]
    assert result.text.split("\f") == [f"SMARTML PAGE {n}" for n in range(1, 13)]
    assert result.pages[0].languages == ["de"]


def test_pages_choose_and_order_what_is_read(fake_google: FakeGoogle, google: SmartML) -> None:
    tiff = frames_of(blank(4, (400, 300)), "TIFF")
    result = google.vision.text(tiff, pages=[4, 2, 4])
    (request,) = fake_google.requests("BatchAnnotateFiles")
    assert request.requests[0].input_config.mime_type == "image/tiff"
    assert list(request.requests[0].pages) == [4, 2]
    assert result.text == "SMARTML PAGE 4\fSMARTML PAGE 2"
    assert [page.number for page in result.pages] == [4, 2]
    assert (result.pages[0].width, result.pages[0].height) == (400, 300)


def test_a_file_google_refuses_is_an_invalid_input(
    fake_google: FakeGoogle, google: SmartML
) -> None:
    fake_google.respond(
        "BatchAnnotateFiles",
        {"responses": [{"error": {"code": 3, "message": "Bad PDF data."}}]},
    )
    with pytest.raises(InvalidInputError, match="Bad PDF data"):
        google.vision.text(pdf_of(blank(2)))


@pytest.fixture
def gcs_google(fake_google: FakeGoogle, fake_storage: FakeStorage) -> SmartML:
    fake_vision.use_storage(fake_google, fake_storage)
    fake_storage.add("docs", "reports/annual.pdf", pdf_of(blank(7)))
    return SmartML(
        backend="google",
        google_endpoint=fake_google.endpoint,
        google_storage_endpoint=fake_storage.endpoint,
        google_project=PROJECT,
        **FAST_RETRY,
    )


def test_a_gs_document_goes_async_through_a_gs_output_prefix(
    fake_google: FakeGoogle, fake_storage: FakeStorage, gcs_google: SmartML
) -> None:
    with gcs_google:
        result = gcs_google.vision.text("gs://docs/reports/annual.pdf")
    (request,) = fake_google.requests("AsyncBatchAnnotateFiles")
    (file,) = request.requests
    assert file.input_config.gcs_source.uri == "gs://docs/reports/annual.pdf"
    prefix = file.output_config.gcs_destination.uri
    assert prefix.startswith("gs://docs/reports/annual.pdf.smartml-ocr/") and prefix.endswith("/")
    written = [o for o in fake_storage.objects("docs") if o.name.endswith(".json")]
    assert [o.name.rsplit("/", 1)[1] for o in written] == ["output-1-to-7.json"]
    assert json.loads(written[0].data)["responses"][6]["context"]["pageNumber"] == 7
    assert result.text.split("\f") == [f"SMARTML PAGE {n}" for n in range(1, 8)]
    assert not fake_google.requests("BatchAnnotateFiles")


def test_chosen_pages_of_a_gs_document_are_read_inline(
    fake_google: FakeGoogle, gcs_google: SmartML
) -> None:
    with gcs_google:
        result = gcs_google.vision.text("gs://docs/reports/annual.pdf", pages=[7, 1])
    (request,) = fake_google.requests("BatchAnnotateFiles")
    assert request.requests[0].input_config.gcs_source.uri == "gs://docs/reports/annual.pdf"
    assert result.text == "SMARTML PAGE 7\fSMARTML PAGE 1"
    assert not fake_google.requests("AsyncBatchAnnotateFiles")


def test_async_without_storage_fails_clearly(fake_google: FakeGoogle, google: SmartML) -> None:
    with pytest.raises(Exception, match="no Cloud Storage to write to"):
        google.vision.text("gs://docs/reports/annual.pdf")


def test_annotate_reads_the_pages_of_a_pdf_in_a_folder(
    fake_google: FakeGoogle, google: SmartML, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(pdf_of(blank(3)))
    (folder / "scan").write_bytes(pdf_of(blank(1)))  # no suffix: told by its bytes
    blank(1, (80, 60))[0].save(folder / "photo.png")
    job = google.annotate_many("in", "text,labels", out="out.jsonl", cache=False)
    records = {r.id: r for r in job}
    report = records["in/report.pdf"]
    assert report.results["text"].result["text"].split("\f") == [
        f"SMARTML PAGE {n}" for n in (1, 2, 3)
    ]
    assert "is a PDF document" in report.errors["labels"].message
    assert records["in/scan"].results["text"].result["text"] == "SMARTML PAGE 1"
    assert records["in/photo.png"].ok and "labels" in records["in/photo.png"].results
    assert len(fake_google.requests("BatchAnnotateFiles")) == 2


def test_cli_reads_a_document_page_by_page(
    fake_google: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf_of(blank(3)))
    monkeypatch.setenv("SMARTML_GOOGLE_ENDPOINT", fake_google.endpoint)
    monkeypatch.setenv("SMARTML_GOOGLE_PROJECT", PROJECT)
    shown = CliRunner().invoke(app, ["vision", "text", str(path), "-b", "google", "--pages", "2-3"])
    assert shown.exit_code == 0, shown.output
    assert "--- page 2 ---" in shown.output and "SMARTML PAGE 3" in shown.output
    assert "SMARTML PAGE 1" not in shown.output
    as_json = CliRunner().invoke(app, ["vision", "text", str(path), "-b", "google", "--json"])
    assert json.loads(as_json.stdout)["text"].count("\f") == 2


# ---- offline: rendered pages read by RapidOCR --------------------------------------------
@pytest.fixture(scope="module")
def two_pages() -> tuple[bytes, list[str]]:
    first, second = render(((PARAGRAPHS[0],),)), render(((PARAGRAPHS[1],),))
    return pdf_of([first.image, second.image]), [first.text, second.text]


@pytest.mark.slow
def test_local_reads_both_pages_of_a_pdf(local: SmartML, two_pages: tuple[bytes, list]) -> None:
    data, expected = two_pages
    seen: list[float] = []
    result = local.vision.text(data, progress=seen.append)
    assert seen == [50.0, 100.0]
    assert len(result.pages) == 2 and result.backend == "local"
    texts = result.page_texts
    assert [page.number for page in result.pages] == [1, 2]
    for page_text, reference in zip(texts, expected, strict=True):
        assert cer(reference, page_text) <= 0.02, page_text
    assert result.pages[0].width == 1500  # 1000 px at 100 dpi, rendered at 150 dpi
    assert all(page.blocks for page in result.pages)


@pytest.mark.slow
def test_local_pages_select(local: SmartML, two_pages: tuple[bytes, list]) -> None:
    data, expected = two_pages
    result = local.vision.text(data, pages=[2])
    assert len(result.pages) == 1 and cer(expected[1], result.text) <= 0.02
    assert result.pages[0].number == 2


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["TIFF", "GIF"])
def test_local_reads_every_frame(local: SmartML, fmt: str) -> None:
    texts = ("First page of the scan", "Second page follows", "The third and last")
    result = local.vision.text(frames_of(short_pages(*texts), fmt))
    assert [cer(t, r) <= 0.02 for t, r in zip(texts, result.text.split("\f"), strict=True)] == [
        True
    ] * 3
    assert len(result.pages) == 3


@pytest.mark.slow
def test_local_reads_accents(local: SmartML) -> None:
    """DejaVu Sans draws é, ü, ß, ñ, ç (Pillow's bundled font draws empty boxes)."""
    pages = [render(((text,),), typeface=DEJAVU) for text in ACCENTED]
    result = local.vision.text(pdf_of([page.image for page in pages]))
    for page, read in zip(pages, result.text.split("\f"), strict=True):
        assert cer(page.text, read) <= 0.02, read
    words = {w.text.strip(".,:?") for w in result.words}
    assert {"Café", "Zürich", "Straße", "München", "Señora", "niño", "Garçon", "naïve"} <= words
