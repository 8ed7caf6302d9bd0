"""``smartml serve``'s web playground: the JSON API behind the page (Starlette's
TestClient, the local backend), the overlay drawn on faces, the command serving both
servers, and the page itself in a real headless Chromium (Selenium)."""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import math
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from face_samples import two_faces
from PIL import Image
from starlette.testclient import TestClient

from smartml import AsyncSmartML
from smartml.errors import UnsupportedCapabilityError
from smartml.results import Face, FacesResult, Landmark, Point, SentimentResult
from smartml.results.common import Box
from smartml.serve import Limits
from smartml.serve.http import app
from smartml.serve.overlay import HAIR, overlay
from smartml.serve.server import Busy, Gate
from smartml.serve.thread import ServerThread
from smartml.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "images" / "serve-playground.png"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
TEXT = "Barack Obama visited Paris. I love this wonderful city!"


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def photo() -> bytes:
    return png(two_faces())


@pytest.fixture(scope="module")
def playground() -> Iterator[TestClient]:
    """The playground's app over a local client, on one loop for the whole module."""
    client = AsyncSmartML(backend="local")
    with TestClient(app(client)) as http:
        yield http
        assert http.portal is not None
        http.portal.call(client.aclose)


def stub(**namespaces: Any) -> AsyncSmartML:
    """A stand-in client with these namespaces (``language=...``)."""
    return cast(AsyncSmartML, SimpleNamespace(backend=["stub"], settings=Settings(), **namespaces))


# ---- the page, health, token, limits, errors -----------------------------------------------
def test_the_page_and_its_script_and_style_are_served(playground: TestClient) -> None:
    page = playground.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="image-file"' in page.text and "/static/app.js" in page.text
    assert "https://" not in page.text  # offline: nothing from a CDN
    for name, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        answer = playground.get(f"/static/{name}")
        assert answer.status_code == 200 and kind in answer.headers["content-type"]


def test_healthz_needs_no_token_and_the_api_needs_it() -> None:
    with TestClient(app(stub(), token="s3cret")) as http:
        assert http.get("/healthz").json() == {"status": "ok", "backend": "stub", "in_flight": 0}
        assert http.get("/").status_code == 200
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            refused = http.post("/api/text", json={"text": "hi"}, headers=headers)
            assert refused.status_code == 401
            assert "token" in refused.json()["error"] and "Bearer" in refused.json()["hint"]
        authorized = http.post("/api/text", json={}, headers={"Authorization": "Bearer s3cret"})
        assert authorized.status_code == 400  # past the token: the missing text


def test_an_oversized_request_is_413_declared_or_streamed() -> None:
    with TestClient(app(stub(), limits=Limits(max_request_bytes=1000))) as http:
        declared = http.post("/api/image", content=b"\x89PNG" + bytes(2000))
        assert declared.status_code == 413 and "--max-request-mb" in declared.json()["hint"]
        streamed = http.post("/api/image", content=iter([bytes(600), bytes(600)]))
        assert streamed.status_code == 413 and "error" in streamed.json()


def test_bad_input_is_400_with_the_reason(playground: TestClient) -> None:
    not_an_image = playground.post("/api/image", files={"file": ("x.png", b"hello", "image/png")})
    assert not_an_image.status_code == 400
    assert "not a supported image" in not_an_image.json()["error"]
    assert "png" in not_an_image.json()["hint"]
    assert playground.post("/api/image", json={"data_url": "data:,oops"}).status_code == 400
    broken = playground.post("/api/image", json={"data_url": "data:image/png;base64,@@@"})
    assert broken.status_code == 400 and "base64" in broken.json()["error"]
    assert playground.post("/api/image", data={"other": "x"}).status_code == 400  # no 'file'
    assert (
        playground.post("/api/text", content=b"{", headers={"content-type": "x"}).status_code == 400
    )
    assert playground.post("/api/text", json={"text": "   "}).json()["error"] == "the text is empty"
    rate = playground.post("/api/tts", json={"text": "hi", "rate": "fast"})
    assert rate.status_code == 400 and "rate" in rate.json()["error"]


async def _refuse(text: str, **_: Any) -> Any:
    raise UnsupportedCapabilityError("language.entities", message="not here", backend="stub")


async def _sentiment(text: str, **_: Any) -> SentimentResult:
    return SentimentResult(score=0.5, magnitude=0.5, backend="stub", model="m1")


def test_a_feature_not_served_is_501_and_a_part_failing_is_reported_in_its_place() -> None:
    refusing = SimpleNamespace(sentiment=_refuse, entities=_refuse, syntax=_refuse)
    with TestClient(app(stub(language=refusing))) as http:
        answer = http.post("/api/text", json={"text": TEXT})
        assert answer.status_code == 501
        assert answer.json()["error"] == "not here" and answer.json()["hint"]
    partly = SimpleNamespace(sentiment=_sentiment, entities=_refuse, syntax=_refuse)
    with TestClient(app(stub(language=partly))) as http:
        answer = http.post("/api/text", json={"text": TEXT})
        assert answer.status_code == 200
        body = answer.json()
        assert (body["sentiment"]["backend"], body["sentiment"]["model"]) == ("stub", "m1")
        assert body["sentiment"]["ms"] >= 0 and body["ms"] >= body["sentiment"]["ms"]
        assert body["entities"] == {
            "error": "not here",
            "hint": body["entities"]["hint"],
            "status": 501,
        }


def test_requests_beyond_the_queue_are_refused_with_503() -> None:
    """One gate for the gRPC server and the playground: a call holding the only slot
    (as a gRPC call would) leaves the playground nothing."""

    async def scenario() -> None:
        gate = Gate(Limits(concurrency=1, queue=0))
        web = app(stub(), gate=gate)
        transport = httpx.ASGITransport(app=web)
        http = httpx.AsyncClient(transport=transport, base_url="http://serve")
        async with http, gate.admitted():
            assert gate.in_flight == 1
            with pytest.raises(Busy, match="busy"):
                async with gate.admitted():
                    pass
            answer = await http.post("/api/text", json={"text": "Hello."})
            assert answer.status_code == 503 and "busy" in answer.json()["error"]
            assert (await http.get("/healthz")).json()["in_flight"] == 1
        assert gate.in_flight == 0

    asyncio.run(scenario())


# ---- the overlay ---------------------------------------------------------------------------
def face(roll: float = 0.0, size: int = 400) -> Face:
    """A face drawn by its landmarks alone, centred in a ``size`` square, rolled by ``roll``
    degrees."""
    spots = {
        "LEFT_EYE": (-40, -40),
        "RIGHT_EYE": (40, -40),
        "NOSE_TIP": (0, 10),
        "UPPER_LIP": (0, 50),
        "MOUTH_LEFT": (-35, 60),
        "MOUTH_RIGHT": (35, 60),
    }
    c, s = math.cos(math.radians(roll)), math.sin(math.radians(roll))
    marks = [
        Landmark(
            type=name,
            position=Point(x=(200 + x * c - y * s) / size, y=(200 + x * s + y * c) / size),
        )
        for name, (x, y) in spots.items()
    ]
    box = Box(x_min=0.25, y_min=0.2, x_max=0.75, y_max=0.8)
    return Face(box=box, confidence=0.9, landmarks=marks)


def rolled(x: float, y: float, roll: float) -> tuple[int, int]:
    """A point of :func:`face`'s frame, in pixels."""
    c, s = math.cos(math.radians(roll)), math.sin(math.radians(roll))
    return round(200 + x * c - y * s), round(200 + x * s + y * c)


@pytest.mark.parametrize("roll", [0.0, 30.0])
def test_the_moustache_and_sunglasses_follow_the_landmarks(roll: float) -> None:
    grey = Image.new("RGB", (400, 400), (200, 200, 200))
    drawn = overlay(grey, FacesResult(faces=[face(roll)]))
    assert grey.getpixel((200, 200)) == (200, 200, 200)  # the input is left alone
    assert drawn.size == grey.size
    moustache = rolled(0, 34, roll)  # 60 % of the way from the nose tip to the upper lip
    assert drawn.getpixel(moustache) == HAIR[:3]
    tips = [rolled(side * 40, 30, roll) for side in (-1, 1)]  # along the turned mouth line
    assert all(drawn.getpixel(tip) == HAIR[:3] for tip in tips)
    for eye in (rolled(-52, -38, roll), rolled(52, -38, roll)):  # beside the landmark dots
        assert sum(cast(tuple[int, int, int], drawn.getpixel(eye))) < 150  # a dark lens
    assert drawn.getpixel((10, 390)) == (200, 200, 200)  # far from the face
    assert drawn.getpixel((100, 200)) != (200, 200, 200)  # the face's box


def test_a_face_without_the_landmarks_gets_its_box_and_no_props() -> None:
    grey = Image.new("RGB", (400, 400), (200, 200, 200))
    bare = face().model_copy(update={"landmarks": []})
    drawn = overlay(grey, FacesResult(faces=[bare]))
    assert drawn.getpixel((200, 234)) == (200, 200, 200)
    assert drawn.getpixel((100, 200)) != (200, 200, 200)


# ---- every endpoint, local models --------------------------------------------------------
def assert_answered(part: dict[str, Any]) -> None:
    assert "error" not in part, part
    assert part["backend"] == "local" and part["model"] and part["ms"] >= 0


@pytest.mark.slow
def test_two_faces_come_back_with_landmarks_in_pixels_and_an_overlay(
    playground: TestClient, photo: bytes
) -> None:
    answer = playground.post("/api/image", files={"file": ("two.png", photo, "image/png")})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    for name in ("faces", "labels", "text", "safe_search"):
        assert_answered(body[name])
    width, height = body["width"], body["height"]
    assert (width, height) == (1024, 600)
    faces = body["faces"]["faces"]
    assert len(faces) == 2
    inline = base64.b64decode(body["overlay"]["data_url"].removeprefix("data:image/png;base64,"))
    assert playground.get(body["overlay"]["url"]).content == inline
    drawn, original = Image.open(io.BytesIO(inline)).convert("RGB"), two_faces()
    assert drawn.size == (width, height)
    for found in faces:
        x0, y0, x1, y1 = found["box_px"]
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
        at = {lm["type"]: lm["px"] for lm in found["landmarks"]}
        for lm in found["landmarks"]:
            assert lm["px"] == pytest.approx(
                [lm["position"]["x"] * width, lm["position"]["y"] * height], abs=0.06
            )
        (nx, ny), (lx, ly) = at["NOSE_TIP"], at["UPPER_LIP"]
        under_the_nose = (round(nx + 0.6 * (lx - nx)), round(ny + 0.6 * (ly - ny)))
        assert drawn.getpixel(under_the_nose) == HAIR[:3]
        for eye in ("LEFT_EYE", "RIGHT_EYE"):
            spot = (round(at[eye][0]), round(at[eye][1]))
            assert sum(cast(tuple[int, int, int], drawn.getpixel(spot))) < 200  # a dark lens
    assert drawn.getpixel((5, 595)) == original.getpixel((5, 595))

    webcam = "data:image/png;base64," + base64.b64encode(photo).decode()
    snapshot = playground.post("/api/image", json={"data_url": webcam})
    assert snapshot.status_code == 200 and len(snapshot.json()["faces"]["faces"]) == 2


@pytest.mark.slow
def test_text_has_sentiment_per_sentence_entities_with_offsets_and_a_syntax_tree(
    playground: TestClient,
) -> None:
    answer = playground.post("/api/text", json={"text": TEXT})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    for name in ("sentiment", "entities", "syntax"):
        assert_answered(body[name])
    sentences = body["sentiment"]["sentences"]
    assert [s["text"] for s in sentences] == [
        "Barack Obama visited Paris.",
        "I love this wonderful city!",
    ]
    assert sentences[1]["score"] > 0.3
    for entity in body["entities"]["entities"]:
        for mention in entity["mentions"]:
            start = mention["begin_offset"]
            assert TEXT[start : start + len(mention["text"])] == mention["text"]
    assert {"Barack Obama", "Paris"} <= {e["name"] for e in body["entities"]["entities"]}
    tokens = body["syntax"]["tokens"]
    roots = [i for i, token in enumerate(tokens) if token["head"] == i]
    assert [tokens[i]["text"] for i in roots] == ["visited", "love"]
    assert tokens[0]["head"] == 1 and tokens[1]["head"] == 2  # Barack → Obama → visited


@pytest.mark.slow
def test_speech_round_trip_voices_tts_and_a_transcript_with_word_times(
    playground: TestClient,
) -> None:
    voices = playground.get("/api/voices")
    assert voices.status_code == 200 and voices.json()["voices"]["voices"]
    spoken = playground.post(
        "/api/tts",
        json={"text": "Please send the report before noon tomorrow.", "rate": 1.0, "pitch": 0},
    )
    assert spoken.status_code == 200 and spoken.headers["content-type"] == "audio/wav"
    assert spoken.content[:4] == b"RIFF"
    assert spoken.headers["x-smartml-backend"] == "local" and spoken.headers["x-smartml-model"]
    assert float(spoken.headers["x-smartml-ms"]) > 0
    answer = playground.post("/api/audio", files={"file": ("speech.wav", spoken.content)})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert_answered(body["transcript"])
    assert_answered(body["language"])
    assert "report" in body["transcript"]["text"].lower()
    words = body["transcript"]["words"]
    assert words and all(0 <= w["start"] <= w["end"] for w in words)
    assert body["language"]["language"].startswith("en")


@pytest.mark.slow
def test_a_clip_comes_back_with_its_shots_and_labels(playground: TestClient) -> None:
    from video_samples import still, write_video

    clip = write_video(itertools.chain(still("coffee", 1.2), still("chelsea", 1.2)))
    answer = playground.post("/api/video", files={"file": ("clip.mp4", clip, "video/mp4")})
    assert answer.status_code == 200, answer.text
    video = answer.json()["video"]
    assert_answered(video)
    assert len(video["shot_changes"]) == 2
    assert video["shot_changes"][1]["start"] == pytest.approx(1.2, abs=0.1)
    assert {"Cat", "Coffee"} <= {label["description"] for label in video["segment_labels"]}


# ---- the command ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_taken_http_port_is_a_clear_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "smartml", "serve", "--port", "0", "--http-port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "NO_GCE_CHECK": "true"},
        )
    assert proc.returncode != 0
    assert f"127.0.0.1:{port}" in proc.stderr and "--http-port" in proc.stderr


@pytest.mark.slow
def test_the_command_serves_grpc_and_the_playground_and_stops_on_sigint() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "smartml", "serve", "--port", "0", "--http-port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_GCE_CHECK": "true"},
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "gRPC on 127.0.0.1:" in line and f"playground on http://127.0.0.1:{port}/" in line
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            assert http.get("/healthz").json()["status"] == "ok"
            assert "smartml" in http.get("/").text  # a kept-alive connection, too
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


# ---- the page in a real browser --------------------------------------------------------------
def chromium() -> Any:
    """Headless Chromium from Debian, driven through its own chromedriver (so Selenium
    Manager never looks for one on the network)."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found: `bash scripts/setup` installs chromium and "
            "chromium-driver (apt-get install -y chromium chromium-driver)"
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is missing: pip install -e '.[dev]' (bash scripts/setup)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,960",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))


OVERLAY_SHOWN = """
const img = document.getElementById("overlay");
return !img.hidden && img.complete && img.naturalWidth > 0
    ? [img.naturalWidth, img.naturalHeight] : null;
"""


@pytest.mark.slow
def test_the_page_in_a_browser_draws_the_two_faces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    monkeypatch.setenv("SE_OFFLINE", "true")
    photo = tmp_path / "two-faces.jpg"
    two_faces().save(photo, quality=92)
    with ServerThread(backend="local", http_port=0) as server:
        driver = chromium()
        try:
            driver.get(server.http_url)
            WebDriverWait(driver, 30).until(
                lambda d: "backend local" in d.find_element(By.ID, "server").text
            )
            driver.find_element(By.ID, "image-file").send_keys(str(photo))
            size = WebDriverWait(driver, 180).until(lambda d: d.execute_script(OVERLAY_SHOWN))
            assert size == [1024, 600]
            assert driver.find_element(By.ID, "error").get_attribute("hidden") is not None
            assert len(driver.find_elements(By.CSS_SELECTOR, "#faces li")) == 2
            assert driver.find_element(By.ID, "by-faces").text.startswith("local · ")
            assert driver.find_elements(By.CSS_SELECTOR, "#labels li")
            # docs/serve.md's picture, rewritten only when asked (it differs on every run)
            shot_path = SCREENSHOT if os.environ.get("SMARTML_UPDATE_DOCS") else tmp_path / "s.png"
            assert driver.save_screenshot(str(shot_path))
        finally:
            driver.quit()
    with Image.open(shot_path) as shot:
        assert shot.width >= 1000
