"""Result models: conventions that hold for every backend, and JSON round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from smartml import (
    Block,
    Box,
    Entity,
    EntityMention,
    Face,
    FacesResult,
    ImageAnnotation,
    ItemError,
    Label,
    LabelsResult,
    Landmark,
    Likelihood,
    Page,
    Paragraph,
    Point,
    SentimentResult,
    SynthesizedSpeech,
    TextResult,
    TimeSegment,
    Transcript,
    VideoAnnotation,
    Word,
    WordInfo,
)
from smartml.results import EntitiesResult, ObjectTrack, TrackedFrame


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (None, Likelihood.UNKNOWN),
        (0.0, Likelihood.VERY_UNLIKELY),
        (0.2, Likelihood.UNLIKELY),
        (0.5, Likelihood.POSSIBLE),
        (0.7, Likelihood.LIKELY),
        (0.99, Likelihood.VERY_LIKELY),
    ],
)
def test_likelihood_from_probability(p: float | None, expected: Likelihood) -> None:
    assert Likelihood.from_probability(p) is expected


def test_likelihood_order() -> None:
    assert Likelihood.VERY_LIKELY.at_least(Likelihood.LIKELY)
    assert not Likelihood.UNKNOWN.at_least(Likelihood.VERY_UNLIKELY)


def test_box_from_pixels_is_normalized_and_clipped() -> None:
    box = Box.from_points([(10, 20), (110, 70), (-5, 30)], width=200, height=100)
    assert (box.x_min, box.y_min, box.x_max, box.y_max) == (0.0, 0.2, 0.55, 0.7)
    assert box.to_pixels(200, 100) == (0, 20, 110, 70)
    assert Box(x_min=0, y_min=0, x_max=0.5, y_max=0.5).iou(
        Box(x_min=0.25, y_min=0, x_max=0.75, y_max=0.5)
    ) == pytest.approx(1 / 3)
    with pytest.raises(ValidationError):
        Box(x_min=0, y_min=0, x_max=1.5, y_max=1)


def test_time_segment_is_ordered() -> None:
    assert TimeSegment(start=1.0, end=2.5).duration == 1.5
    with pytest.raises(ValidationError):
        TimeSegment(start=2.0, end=1.0)


def test_sentiment_bounds() -> None:
    with pytest.raises(ValidationError):
        SentimentResult(score=1.5, magnitude=0)
    with pytest.raises(ValidationError):
        SentimentResult(score=0.1, magnitude=-1)


def test_speaker_turns_group_consecutive_words() -> None:
    words = [
        WordInfo(word=w, start=i, end=i + 0.5, speaker=s)
        for i, (w, s) in enumerate([("hi", 1), ("there", 1), ("hello", 2), ("ok", 1)])
    ]
    turns = Transcript(text="hi there hello ok", words=words).speaker_turns()
    assert [(t.speaker, t.text, t.start, t.end) for t in turns] == [
        (1, "hi there", 0, 1.5),
        (2, "hello", 2, 2.5),
        (1, "ok", 3, 3.5),
    ]


def test_ocr_tree_helpers() -> None:
    box = Box(x_min=0, y_min=0, x_max=1, y_max=1)
    words = [Word(text="Hello", box=box), Word(text="world", box=box)]
    result = TextResult(
        text="Hello world",
        pages=[Page(blocks=[Block(box=box, paragraphs=[Paragraph(box=box, words=words)])])],
    )
    assert [w.text for w in result.words] == ["Hello", "world"]
    assert result.pages[0].blocks[0].text == "Hello world"


SAMPLES = [
    SentimentResult(score=0.4, magnitude=1.2, backend="local", model="m", raw={"x": 1}),
    EntitiesResult(
        entities=[
            Entity(
                name="Paris",
                salience=0.7,
                metadata={"mid": "/m/05qtj"},
                mentions=[EntityMention(text="Paris")],
            )
        ]
    ),
    LabelsResult(labels=[Label(description="Cat", score=0.9, mid="/m/01yrx")]),
    FacesResult(
        faces=[
            Face(
                box=Box(x_min=0.1, y_min=0.1, x_max=0.4, y_max=0.5),
                confidence=0.9,
                joy=Likelihood.VERY_LIKELY,
                landmarks=[Landmark(type="NOSE_TIP", position=Point(x=0.2, y=0.3))],
            )
        ]
    ),
    ImageAnnotation(error=ItemError(index=3, error_type="InvalidInputError", message="bad")),
    VideoAnnotation(
        shot_changes=[TimeSegment(start=0, end=2.0)],
        object_tracks=[
            ObjectTrack(
                name="face",
                segment=TimeSegment(start=0, end=1),
                frames=[TrackedFrame(time=0.5, box=Box(x_min=0, y_min=0, x_max=1, y_max=1))],
            )
        ],
    ),
    SynthesizedSpeech(audio=b"RIFF\x00\xffbinary", sample_rate=22050, duration=1.5),
]


@pytest.mark.parametrize("result", SAMPLES, ids=lambda r: type(r).__name__)
def test_every_result_round_trips_through_json(result: object) -> None:
    model = type(result)
    text = result.model_dump_json()  # type: ignore[attr-defined]
    assert '"raw"' not in text
    again = model.model_validate_json(text)  # type: ignore[attr-defined]
    assert again == result.model_copy(update={"raw": None})  # type: ignore[attr-defined]


def test_synthesized_speech_saves_its_bytes(tmp_path: Path) -> None:
    speech = SAMPLES[-1]
    assert isinstance(speech, SynthesizedSpeech)
    assert speech.save(tmp_path / "a.wav").read_bytes() == speech.audio


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        Label(description="x", score=0.5, colour="red")  # type: ignore[call-arg]
