"""``client.translation`` on Google: the official google-cloud-translate client against
FakeGoogle over a real socket. What reaches the wire (one TranslateText request for a
list, mime_type, glossary, model), the RPC each call uses, batching over Google's
limits with several requests in flight, documents, and errors mapped to smartml's."""

from __future__ import annotations

import asyncio
import io
import threading
import time
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from conftest import FAST_RETRY, PROJECT

pytest.importorskip("google.cloud.translate_v3")

from smartml import (
    AsyncSmartML,
    BackendUnavailableError,
    InvalidInputError,
    QuotaExceededError,
    SmartML,
    UnsupportedOptionError,
)
from smartml.backends.google import translate as google_translate
from smartml.results import LanguageResult, Translation
from smartml.testing import FakeGoogle
from smartml.testing import translate as fake_translate
from smartml.testing.server import PROJECT_NUMBER

pytestmark = pytest.mark.backend("google")

GLOBAL = "projects/my-project/locations/global"
US = "projects/my-project/locations/us-central1"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx(*paragraphs: str) -> bytes:
    """A minimal DOCX: one paragraph per argument, its runs separated by "|" (Word
    often splits a paragraph's text in several runs)."""
    body = "".join(
        "<w:p>"
        + "".join(f'<w:r><w:t xml:space="preserve">{run}</w:t></w:r>' for run in p.split("|"))
        + "</w:p>"
        for p in paragraphs
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
        f'openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()


def pdf(pages: int) -> bytes:
    """A PDF of ``pages`` blank pages (Pillow writes it)."""
    from PIL import Image

    images = [Image.new("RGB", (200, 100), "white") for _ in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:])
    return buffer.getvalue()


# ---- TranslateText -----------------------------------------------------------------------


def test_a_list_of_three_goes_in_one_request_and_comes_back_in_order(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    texts = ["Hello world", "le chat est sur la table", "Der Hund ist nicht hier"]
    found = client.translation.translate(texts, "es")
    (request,) = fake_google.requests("TranslateText")
    assert list(request.contents) == texts
    assert (request.parent, request.target_language_code) == (GLOBAL, "es")
    assert not request.source_language_code  # detected by Google
    assert [t.text for t in found] == [f"[es] {t}" for t in texts]
    assert [t.source_language for t in found] == ["en", "fr", "de"]
    assert {(t.target_language, t.backend, t.model) for t in found} == {
        ("es", "google", "translate_v3")
    }


def test_a_string_gives_one_translation_and_a_list_a_list(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    one = client.translation.translate("Hello", "fr", "en")
    assert isinstance(one, Translation) and one.text == "[fr] Hello"
    assert one.source_language == "en"  # as given: Google detects nothing
    many = client.translation.translate(("Hello",), "fr")
    assert isinstance(many, list) and [t.text for t in many] == ["[fr] Hello"]
    assert client.translation.translate([], "fr") == []
    assert client.translate(b"Goodbye", "de").text == "[de] Goodbye"  # the shortcut
    shortcut = client.translate(["Hello", "World"], target="fr")  # takes a list too
    assert [t.text for t in shortcut] == ["[fr] Hello", "[fr] World"]
    assert len(fake_google.requests("TranslateText")) == 4  # the empty list sent nothing


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.translation.translate(["Hello", ""], "fr"), "empty"),
        (lambda c: c.translation.translate(42, "fr"), "a text or a list of texts"),
        (lambda c: c.translation.translate("Hello", ""), "target language"),
        (lambda c: c.translation.translate("Hi", "fr", mime_type="text/markdown"), "mime_type"),
        (lambda c: c.translate(["Hello", 7], "fr"), "text"),
        (lambda c: c.translation.translate("Hi", "fr", glossary="pets"), "source language"),
        (
            lambda c: c.translation.translate(
                "Hi", "fr", "en", glossary="pets", model=f"{GLOBAL}/models/general/nmt"
            ),
            "different locations",
        ),
    ],
    ids=[
        "empty-item",
        "not-text",
        "no-target",
        "mime-type",
        "shortcut-list-item",
        "glossary-source",
        "locations",
    ],
)
def test_bad_calls_are_refused_before_google_sees_them(
    client: SmartML, fake_google: FakeGoogle, call: Callable[[SmartML], Any], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        call(client)
    assert fake_google.calls == []


def test_html_reaches_the_request_and_keeps_its_tags(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    html = '<p>Hello <a href="/x">world</a></p>'
    t = client.translation.translate(html, "fr", "en", mime_type="text/html")
    assert fake_google.requests("TranslateText")[0].mime_type == "text/html"
    assert t.text == '<p>[fr] Hello <a href="/x">[fr] world</a></p>'
    plain = client.translation.translate(html, "fr", "en")
    assert fake_google.requests("TranslateText")[1].mime_type == "text/plain"
    assert plain.text == f"[fr] {html}"


def test_the_fake_reads_a_blank_mime_type_as_html_as_google_does(
    fake_google: FakeGoogle,
) -> None:
    """Google documents ``text/html`` as the default of TranslateText's and
    DetectLanguage's ``mime_type``: an app that leaves it blank gets its tags kept."""
    from google.cloud import translate_v3

    from smartml.serve.thread import official_client

    official = official_client(translate_v3.TranslationServiceClient, fake_google.endpoint)
    parent = "projects/demo/locations/global"
    html = "<p>Hello <b>world</b></p>"
    for mime_type in ("", "text/html"):
        answer = official.translate_text(
            parent=parent, contents=[html], target_language_code="fr", mime_type=mime_type
        )
        assert answer.translations[0].translated_text == "<p>[fr] Hello <b>[fr] world</b></p>"
    plain = official.translate_text(
        parent=parent, contents=[html], target_language_code="fr", mime_type="text/plain"
    )
    assert plain.translations[0].translated_text == f"[fr] {html}"


def test_a_glossary_id_is_looked_up_in_its_region_and_applied(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    found = client.translation.translate(
        ["The cat sleeps.", "My dog and my cat."], "fr", "en", glossary="pets"
    )
    (request,) = fake_google.requests("TranslateText")
    assert request.glossary_config.glossary == f"{US}/glossaries/pets"
    assert request.parent == US  # a glossary is used in its own location
    assert [t.text for t in found] == ["[fr] The chat sleeps.", "[fr] My chien and my chat."]


def test_a_glossary_resource_and_a_model_reach_the_request(
    client: SmartML, fake_google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(fake_translate.GLOSSARIES, "brands", {"de": {"phone": "SmartPhone"}})
    glossary = "projects/my-project/locations/europe-west1/glossaries/brands"
    t = client.translation.translate(
        "A new phone", "de", "en", glossary=glossary, model="general/translation-llm"
    )
    (request,) = fake_google.requests("TranslateText")
    where = "projects/my-project/locations/europe-west1"
    assert (request.parent, request.glossary_config.glossary) == (where, glossary)
    assert request.model == f"{where}/models/general/translation-llm"
    assert t.text == "[de] A new SmartPhone"
    # Google echoes the model with the project's number
    assert (
        t.model
        == f"projects/{PROJECT_NUMBER}/locations/europe-west1/models/general/translation-llm"
    )


def test_a_model_alone_keeps_the_global_location(client: SmartML, fake_google: FakeGoogle) -> None:
    t = client.translation.translate(["a", "b"], "fr", "en", model="general/nmt")[1]
    request = fake_google.requests("TranslateText")[0]
    assert (request.parent, request.model) == (GLOBAL, f"{GLOBAL}/models/general/nmt")
    assert t.model.endswith("/locations/global/models/general/nmt")


@pytest.mark.parametrize("call", ["translate", "translate_document"])
def test_inline_glossary_terms_are_refused_on_google(
    client: SmartML, fake_google: FakeGoogle, call: str
) -> None:
    first = docx("Hello") if call == "translate_document" else "Hello"
    with pytest.raises(UnsupportedOptionError) as info:
        getattr(client.translation, call)(first, "fr", "en", glossary={"cat": "chat"})
    error = info.value
    assert (error.option, error.backend) == ("glossary", "google")
    assert "inline glossary terms" in error.message and "CreateGlossary" in (error.hint or "")
    assert fake_google.calls == []


# ---- batching over Google's limits -------------------------------------------------------


def test_over_1024_strings_split_into_requests_in_order(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    texts = [f"text {i}" for i in range(2050)]
    found = client.translation.translate(texts, "fr", "en")
    requests = fake_google.requests("TranslateText")
    assert sorted(len(r.contents) for r in requests) == [2, 1024, 1024]
    assert sorted(c for r in requests for c in r.contents) == sorted(texts)
    assert [t.text for t in found] == [f"[fr] {t}" for t in texts]


def test_over_30k_code_points_split_into_requests_in_order(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    texts = ["é" * 20_000, "ü" * 15_000, "ß" * 14_000, "end"]  # code points, not bytes
    found = client.translation.translate(texts, "fr", "de")
    sizes = sorted([len(c) for c in r.contents] for r in fake_google.requests("TranslateText"))
    assert sizes == [[15_000, 14_000, 3], [20_000]]
    assert [t.text for t in found] == [f"[fr] {t}" for t in texts]


def test_requests_are_in_flight_together_and_answers_keep_the_order(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    lock = threading.Lock()
    in_flight, most = 0, 0

    def slow(request: Any) -> Any:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        # the first batch answers last
        time.sleep(0.4 if request.contents[0] == "t0" else 0.1)
        with lock:
            in_flight -= 1
        return fake_translate.translate_text(request)

    fake_google.on("TranslateText", slow)
    texts = [f"t{i}" for i in range(1024 * 4)]
    found = client.translation.translate(texts, "fr", "en")
    assert len(fake_google.requests("TranslateText")) == 4
    assert 2 <= most <= google_translate.CONCURRENCY
    assert [t.text for t in found] == [f"[fr] {t}" for t in texts]


def test_a_failing_batch_fails_the_call_with_a_typed_error(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    fake_google.fail("TranslateText", "INVALID_ARGUMENT", "Target language is invalid.", times=1)
    with pytest.raises(InvalidInputError, match="Target language is invalid"):
        client.translation.translate([f"t{i}" for i in range(2048)], "fr", "en")
    # the other batch may be cancelled before it is sent; nothing is retried
    assert len(fake_google.requests("TranslateText")) in (1, 2)


def test_the_async_client_translates_lists_concurrently(fake_google: FakeGoogle) -> None:
    async def main() -> tuple[list[Translation], list[Translation]]:
        async with AsyncSmartML(
            backend="google", google_endpoint=fake_google.endpoint, google_project="my-project"
        ) as client:
            return await asyncio.gather(
                client.translation.translate(["one", "two"], "de", "en"),
                client.translation.translate(["three"], "es", "en"),
            )

    first, second = asyncio.run(main())
    assert [t.text for t in first + second] == ["[de] one", "[de] two", "[es] three"]
    assert len(fake_google.requests("TranslateText")) == 2


# ---- DetectLanguage and GetSupportedLanguages ---------------------------------------------


@pytest.mark.parametrize("namespace", ["translation", "language"])
def test_detect_uses_detect_language_with_a_real_confidence(
    client: SmartML, fake_google: FakeGoogle, namespace: str
) -> None:
    r = getattr(client, namespace).detect("Le chat est sur la table, merci et bonjour")
    assert isinstance(r, LanguageResult)
    assert (r.language, r.backend, r.model) == ("fr", "google", "translate_v3")
    assert r.confidence is not None and 0.5 < r.confidence < 1.0
    assert [code for code, _ in r.alternatives] == ["es"]  # "la" is Spanish too
    (request,) = fake_google.requests("DetectLanguage")
    assert request.parent == GLOBAL and request.mime_type == "text/plain"
    assert [call.method.rsplit("/", 1)[1] for call in fake_google.calls] == ["DetectLanguage"]


def test_detect_sends_at_most_the_billed_characters(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    r = client.translation.detect("Der Hund ist sehr müde und nicht hier. " * 100)
    assert r.language == "de" and r.confidence is not None and r.confidence > 0.9
    (request,) = fake_google.requests("DetectLanguage")
    assert len(request.content) == google_translate.DETECT_CHARS == 1000


def test_detect_ranks_a_programmed_answer(client: SmartML, fake_google: FakeGoogle) -> None:
    fake_google.respond(
        "DetectLanguage",
        {
            "languages": [
                {"language_code": "pt", "confidence": 0.3},
                {"language_code": "es", "confidence": 0.65},
            ]
        },
    )
    r = client.translation.detect("Obrigado")
    assert (r.language, r.confidence, r.alternatives) == ("es", 0.65, [("pt", 0.3)])
    fake_google.respond("DetectLanguage", {"languages": []})
    assert client.translation.detect("12345").language == "und"


def test_languages_uses_get_supported_languages(client: SmartML, fake_google: FakeGoogle) -> None:
    found = client.translation.languages()
    (request,) = fake_google.requests("GetSupportedLanguages")
    assert request.parent == GLOBAL and not request.display_language_code
    assert {"en", "fr", "de", "es", "zh-CN"} <= set(found.codes)
    assert all(not language.name for language in found.languages)  # none asked
    assert (found.display_language, found.backend, found.model) == ("", "google", "translate_v3")


def test_languages_are_named_in_the_display_language(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    found = client.translation.languages(display_language="fr")
    assert fake_google.requests("GetSupportedLanguages")[0].display_language_code == "fr"
    names = {language.code: language.name for language in found.languages}
    assert (names["de"], names["en"], names["zh-CN"]) == (
        "allemand",
        "anglais",
        "chinois (simplifié)",
    )
    assert found.display_language == "fr"
    assert all(language.source and language.target for language in found.languages)


# ---- TranslateDocument -------------------------------------------------------------------


def test_a_docx_comes_back_translated_as_bytes(
    client: SmartML, fake_google: FakeGoogle, tmp_path: Any
) -> None:
    path = tmp_path / "letter.docx"
    path.write_bytes(docx("Dear |friend,", "The cat |is here."))
    done = client.translation.translate_document(path, "fr")
    (request,) = fake_google.requests("TranslateDocument")
    assert request.document_input_config.mime_type == DOCX  # read from the bytes
    assert request.document_input_config.content == path.read_bytes()
    assert (request.parent, request.target_language_code) == (GLOBAL, "fr")
    assert isinstance(done.document, bytes) and done.mime_type == DOCX
    assert (done.source_language, done.target_language) == ("en", "fr")
    with zipfile.ZipFile(io.BytesIO(done.document)) as archive:
        xml = archive.read("word/document.xml").decode()
    assert '<w:t xml:space="preserve">[fr] Dear </w:t>' in xml  # the first run of each
    assert '<w:t xml:space="preserve">friend,</w:t>' in xml
    assert "[fr] The cat" in xml and xml.count("[fr]") == 2
    saved = done.save(tmp_path / "letter.fr.docx")
    assert saved.read_bytes() == done.document


def test_a_pdf_with_a_glossary_and_model_gives_a_pdf(
    client: SmartML, fake_google: FakeGoogle
) -> None:
    done = client.translation.translate_document(
        pdf(2), "de", "en", glossary="pets", model="general/nmt"
    )
    (request,) = fake_google.requests("TranslateDocument")
    assert request.document_input_config.mime_type == "application/pdf"
    assert request.glossary_config.glossary == f"{US}/glossaries/pets"
    assert request.model == f"{US}/models/general/nmt" and request.parent == US
    assert done.mime_type == "application/pdf" and done.document.startswith(b"%PDF-")
    assert done.document.count(b"/Type /Page ") == 2
    assert b"([de] Page 2 of 2) Tj" in done.document
    assert done.model.endswith("/us-central1/models/general/nmt")


def test_a_document_glossary_applies_to_every_run(client: SmartML, fake_google: FakeGoogle) -> None:
    done = client.translation.translate_document(
        docx("My cat|, my dog."), "es", "en", glossary="pets"
    )
    with zipfile.ZipFile(io.BytesIO(done.document)) as archive:
        xml = archive.read("word/document.xml").decode()
    assert ">[es] My gato</w:t>" in xml and ">, my perro.</w:t>" in xml
    request = fake_google.requests("TranslateDocument")[0]
    assert request.glossary_config.glossary == f"{US}/glossaries/pets"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"just some text", "not a document Google translates"),
        (b"", "empty"),
        (b"%PDF-" + b"0" * (20 * 1024 * 1024), "20 MB"),
    ],
    ids=["not-a-document", "empty", "too-big"],
)
def test_documents_google_cannot_take_are_refused_first(
    client: SmartML, fake_google: FakeGoogle, document: bytes, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        client.translation.translate_document(document, "fr")
    assert fake_google.calls == []


# ---- errors ------------------------------------------------------------------------------

CALLS: dict[str, Callable[[SmartML], Any]] = {
    "TranslateText": lambda c: c.translation.translate(["Hello", "World"], "fr"),
    "DetectLanguage": lambda c: c.translation.detect("Hello"),
    "GetSupportedLanguages": lambda c: c.translation.languages(),
    "TranslateDocument": lambda c: c.translation.translate_document(docx("Hi"), "fr"),
}


@pytest.mark.parametrize("method", list(CALLS))
@pytest.mark.parametrize(
    ("code", "reason", "error"),
    [
        ("PERMISSION_DENIED", "IAM_PERMISSION_DENIED", BackendUnavailableError),
        ("PERMISSION_DENIED", "SERVICE_DISABLED", BackendUnavailableError),
        ("INVALID_ARGUMENT", None, InvalidInputError),
        ("NOT_FOUND", None, InvalidInputError),
        ("RESOURCE_EXHAUSTED", None, QuotaExceededError),
    ],
)
def test_google_errors_map_to_smartml_errors(
    fake_google: FakeGoogle,
    method: str,
    code: str,
    reason: str | None,
    error: type[Exception],
) -> None:
    fake_google.fail(method, code, reason=reason)
    with (
        SmartML(
            backend="google",
            google_endpoint=fake_google.endpoint,
            google_project=PROJECT,
            google_retry_timeout=0.3,  # RESOURCE_EXHAUSTED is retried until then
            **FAST_RETRY,
        ) as client,
        pytest.raises(error) as info,
    ):
        CALLS[method](client)
    assert code in str(info.value)
    if reason == "SERVICE_DISABLED":
        assert "translate.googleapis.com" in str(info.value)


@pytest.mark.parametrize("method", list(CALLS))
def test_every_call_needs_a_project(fake_google: FakeGoogle, method: str) -> None:
    with (
        SmartML(backend="google", google_endpoint=fake_google.endpoint) as client,
        pytest.raises(BackendUnavailableError, match="SMARTML_GOOGLE_PROJECT"),
    ):
        CALLS[method](client)
    assert fake_google.calls == []


def test_unavailable_is_retried(client: SmartML, fake_google: FakeGoogle) -> None:
    fake_google.fail("DetectLanguage", "UNAVAILABLE", times=2)
    assert client.translation.detect("Hallo, danke").language == "de"
    assert len(fake_google.requests("DetectLanguage")) == 3
