"""Any Hugging Face VITS/MMS text-to-speech model, configured with ``models={"tts": ...}``.

Rate and pitch are post-processed (VITS's own ``speaking_rate`` scales phoneme durations
only, like Piper's); the sample rate comes from the model's config.

**Which language the model speaks.** A VITS model speaks the one language it was trained
on, so its voice carries that language when it can be known, read in this order without
loading the model: a ``language`` / ``languages`` field of its ``config.json``; the
``language`` its ``tokenizer_config.json`` names (MMS tokenizers do: ``"deu"``); the ISO
639-3 suffix of an MMS id or directory name (``facebook/mms-tts-deu``). ISO 639-3 codes
become their two-letter form where one exists (``deu`` → ``de``).

* A model of a known language speaks ``language=`` only when it matches (``de`` for
  ``de-DE``); any other language goes to the next engine that speaks it (espeak-ng), or
  is refused with an :class:`~smartml.errors.UnsupportedOptionError` naming ``language``,
  so French text is never read by a German voice. ``tts.voices("fr")`` leaves it out.
* A model whose language can't be known speaks when the caller names its voice
  (``voice=`` the configured id or directory) or asks no specific language. As
  ``language=`` always has a value, the default ``en-US`` counts as "no specific
  language": ``synthesize(text)`` uses the model you configured, but an explicit other
  language (``language="fr-FR"``) is never sent to a model that may not speak it, and
  ``tts.voices(language)`` lists it for no language (only ``tts.voices()`` does). To have
  such a model serve its language, say which it is: ``"language": "de"`` in its
  ``config.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from smartml import catalogue
from smartml.backends.local.engine import Configured, Loaded
from smartml.backends.local.language.hf import TRANSFORMERS
from smartml.backends.local.models import load_parts
from smartml.backends.local.tts.base import Request, SpeechEngine, matches_language
from smartml.results.tts import Voice

if TYPE_CHECKING:
    from smartml.codecs import Samples

#: ISO 639-3 (and 639-2/B) codes → ISO 639-1, for the languages that have a two-letter
#: code; individual languages that MMS and NLLB name map to their macrolanguage's code.
ISO639_1 = {
    "aar": "aa", "abk": "ab", "afr": "af", "aka": "ak", "amh": "am", "ara": "ar",
    "arg": "an", "asm": "as", "ava": "av", "ave": "ae", "aym": "ay", "aze": "az",
    "bak": "ba", "bam": "bm", "bel": "be", "ben": "bn", "bis": "bi", "bod": "bo",
    "bos": "bs", "bre": "br", "bul": "bg", "cat": "ca", "ces": "cs", "cha": "ch",
    "che": "ce", "chu": "cu", "chv": "cv", "cor": "kw", "cos": "co", "cre": "cr",
    "cym": "cy", "dan": "da", "deu": "de", "div": "dv", "dzo": "dz", "ell": "el",
    "eng": "en", "epo": "eo", "est": "et", "eus": "eu", "ewe": "ee", "fao": "fo",
    "fas": "fa", "fij": "fj", "fin": "fi", "fra": "fr", "fry": "fy", "ful": "ff",
    "gla": "gd", "gle": "ga", "glg": "gl", "glv": "gv", "grn": "gn", "guj": "gu",
    "hat": "ht", "hau": "ha", "heb": "he", "her": "hz", "hin": "hi", "hmo": "ho",
    "hrv": "hr", "hun": "hu", "hye": "hy", "ibo": "ig", "ido": "io", "iii": "ii",
    "iku": "iu", "ile": "ie", "ina": "ia", "ind": "id", "ipk": "ik", "isl": "is",
    "ita": "it", "jav": "jv", "jpn": "ja", "kal": "kl", "kan": "kn", "kas": "ks",
    "kat": "ka", "kau": "kr", "kaz": "kk", "khm": "km", "kik": "ki", "kin": "rw",
    "kir": "ky", "kom": "kv", "kon": "kg", "kor": "ko", "kua": "kj", "kur": "ku",
    "lao": "lo", "lat": "la", "lav": "lv", "lim": "li", "lin": "ln", "lit": "lt",
    "ltz": "lb", "lub": "lu", "lug": "lg", "mah": "mh", "mal": "ml", "mar": "mr",
    "mkd": "mk", "mlg": "mg", "mlt": "mt", "mon": "mn", "mri": "mi", "msa": "ms",
    "mya": "my", "nau": "na", "nav": "nv", "nbl": "nr", "nde": "nd", "ndo": "ng",
    "nep": "ne", "nld": "nl", "nno": "nn", "nob": "nb", "nor": "no", "nya": "ny",
    "oci": "oc", "oji": "oj", "ori": "or", "orm": "om", "oss": "os", "pan": "pa",
    "pli": "pi", "pol": "pl", "por": "pt", "pus": "ps", "que": "qu", "roh": "rm",
    "ron": "ro", "run": "rn", "rus": "ru", "sag": "sg", "san": "sa", "sin": "si",
    "slk": "sk", "slv": "sl", "sme": "se", "smo": "sm", "sna": "sn", "snd": "sd",
    "som": "so", "sot": "st", "spa": "es", "sqi": "sq", "srd": "sc", "srp": "sr",
    "ssw": "ss", "sun": "su", "swa": "sw", "swe": "sv", "tah": "ty", "tam": "ta",
    "tat": "tt", "tel": "te", "tgk": "tg", "tgl": "tl", "tha": "th", "tir": "ti",
    "ton": "to", "tsn": "tn", "tso": "ts", "tuk": "tk", "tur": "tr", "twi": "tw",
    "uig": "ug", "ukr": "uk", "urd": "ur", "uzb": "uz", "ven": "ve", "vie": "vi",
    "vol": "vo", "wln": "wa", "wol": "wo", "xho": "xh", "yid": "yi", "yor": "yo",
    "zha": "za", "zho": "zh", "zul": "zu",
    # ISO 639-2/B
    "alb": "sq", "arm": "hy", "baq": "eu", "bur": "my", "chi": "zh", "cze": "cs",
    "dut": "nl", "fre": "fr", "geo": "ka", "ger": "de", "gre": "el", "ice": "is",
    "mac": "mk", "mao": "mi", "may": "ms", "per": "fa", "rum": "ro", "slo": "sk",
    "tib": "bo", "wel": "cy",
    # individual languages of a macrolanguage
    "als": "sq", "arb": "ar", "azj": "az", "cmn": "zh", "ekk": "et", "khk": "mn",
    "kmr": "ku", "lvs": "lv", "ory": "or", "pbt": "ps", "pes": "fa", "plt": "mg",
    "swh": "sw", "uzn": "uz", "ydd": "yi", "zsm": "ms",
}  # fmt: skip
_CODE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
_MMS = re.compile(r"^mms-tts-([a-z]{3})(?:$|[-_.])", re.IGNORECASE)
#: What ``language=`` is when the caller gives none (it always has a value).
DEFAULT_LANGUAGE: str = getattr(catalogue.TTS_SYNTHESIZE.option("language"), "default", "en-US")


def bcp47(code: str) -> str | None:
    """A language code as BCP-47 with the shortest primary subtag (``deu`` → ``de``,
    ``por_BR`` → ``pt-BR``); None when ``code`` is no language code (``"English"``)."""
    code = code.strip()
    if not _CODE.match(code):
        return None
    head, *rest = code.replace("_", "-").split("-")
    return "-".join([ISO639_1.get(head.lower(), head.lower()), *rest])


def _codes(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    found = (bcp47(item) for item in items if isinstance(item, str))
    return list(dict.fromkeys(code for code in found if code))


def _config_file(spec: str, name: str) -> Path | None:
    """File ``name`` of the model: in its directory, or in the local Hugging Face cache
    for a hub id (never fetched)."""
    directory = Path(spec).expanduser()
    if directory.is_dir():
        path = directory / name
        return path if path.is_file() else None
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(spec, name)
    except Exception:  # not installed, an invalid id, a broken cache: nothing to read
        return None
    return Path(found) if isinstance(found, str) else None


def _json(spec: str, name: str) -> dict[str, Any]:
    path = _config_file(spec, name)
    try:
        data = json.loads(path.read_text("utf-8")) if path is not None else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def model_languages(spec: str) -> list[str]:
    """The languages the VITS model ``spec`` speaks, as BCP-47; empty when unknown."""
    config = _json(spec, "config.json")
    for key in ("languages", "language"):
        if codes := _codes(config.get(key)):
            return codes
    if codes := _codes(_json(spec, "tokenizer_config.json").get("language")):
        return codes
    found = _MMS.match(PurePosixPath(spec.rstrip("/\\").replace("\\", "/")).name)
    return _codes(found.group(1)) if found else []


@dataclass(frozen=True)
class Vits:
    model: Any
    tokenizer: Any
    sample_rate: int


class HFSpeechEngine(Configured, SpeechEngine[Vits]):
    """A configured VITS model; its one voice is named after the configured id/directory
    and speaks the model's language when it is known (see the module's docstring)."""

    engine = "hf"
    requires = TRANSFORMERS
    task_name: ClassVar[str] = "tts"

    def load(self) -> Loaded[Vits]:
        model, tokenizer = load_parts(
            self.spec,
            self.settings,
            self.task_name,
            "VitsModel",
            hint="configure a VITS/MMS model (e.g. facebook/mms-tts-eng) that is on this "
            "machine when offline",
        )
        return Loaded(Vits(model, tokenizer, int(model.config.sampling_rate)), self.spec)

    @cached_property
    def languages(self) -> list[str]:
        """What the model speaks (BCP-47), read once; empty when it can't be known."""
        return model_languages(self.spec)

    def voices(self) -> list[Voice]:
        rate = _json(self.spec, "config.json").get("sampling_rate")
        return [
            Voice(
                name=self.spec,
                language_codes=list(self.languages),
                natural_sample_rate=rate if isinstance(rate, int) else None,
                backend="local",
                engine=self.engine,
            )
        ]

    def default_voice(self, language: str | None) -> str | None:
        if self.languages:
            return self.spec if matches_language(self.languages, language) else None
        unasked = not language or language.lower() == DEFAULT_LANGUAGE.lower()
        return self.spec if unasked else None  # an unknown language: only when not asked

    def speak(self, model: Vits, text: str, request: Request) -> tuple[Samples, int]:
        import torch

        inputs = model.tokenizer(text, return_tensors="pt")
        if inputs["input_ids"].shape[-1] == 0:
            return torch.zeros(0).numpy(), model.sample_rate
        with torch.inference_mode():
            waveform = model.model(**inputs).waveform[0]
        return waveform.float().numpy(), model.sample_rate
