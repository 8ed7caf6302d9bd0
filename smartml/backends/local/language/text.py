"""Fast, dependency-free sentence splitting that keeps character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Sentence-final punctuation (with closing quotes/brackets) before whitespace, or a blank line.
_END = re.compile(r"[.!?…。！？]+[\"'”’»)\]]*(?=\s)|\n[ \t]*\n")
_LAST_WORD = re.compile(r"(\S+)$")
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "fig",
        "al",
        "approx",
        "dept",
        "est",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "gen",
        "col",
        "lt",
        "sgt",
        "rev",
    }
)


@dataclass(frozen=True)
class Span:
    """A piece of the input text and where it starts (a Python ``str`` offset)."""

    text: str
    begin: int


def _is_abbreviation(text: str, start: int, stop: int) -> bool:
    match = _LAST_WORD.search(text, start, stop)
    if match is None:
        return False
    word = match.group(1).lstrip("([\"'“‘").lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _strip(text: str, start: int, stop: int) -> Span | None:
    piece = text[start:stop]
    stripped = piece.lstrip()
    begin = start + len(piece) - len(stripped)
    stripped = stripped.rstrip()
    return Span(stripped, begin) if stripped else None


def split_sentences(text: str) -> list[Span]:
    """Split ``text`` into sentences; ``text[s.begin:].startswith(s.text)`` holds for each.

    Splits after ``. ! ? …`` (and CJK stops) followed by whitespace, and at blank lines;
    not after common abbreviations or initials, nor before a lowercase letter.
    """
    spans: list[Span] = []
    start = 0
    for match in _END.finditer(text):
        end = match.end()
        if match.group() == "." and _is_abbreviation(text, start, match.start()):
            continue
        if match.group()[0] != "\n" and text[end:].lstrip()[:1].islower():
            continue
        span = _strip(text, start, end)
        if span is not None:
            spans.append(span)
        start = end
    last = _strip(text, start, len(text))
    if last is not None:
        spans.append(last)
    return spans
