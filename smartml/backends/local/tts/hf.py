"""Any Hugging Face VITS/MMS text-to-speech model, configured with ``models={"tts": ...}``.

Rate and pitch are post-processed (VITS's own ``speaking_rate`` scales phoneme durations
only, like Piper's); the sample rate comes from the model's config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartml.backends.local.engine import Context, Loaded
from smartml.backends.local.language.hf import TRANSFORMERS
from smartml.backends.local.models import apply_offline, resolve, unavailable
from smartml.backends.local.tts.base import Request, SpeechEngine
from smartml.results.tts import Voice

if TYPE_CHECKING:
    from smartml.codecs import Samples


@dataclass(frozen=True)
class Vits:
    model: Any
    tokenizer: Any
    sample_rate: int


class HFSpeechEngine(SpeechEngine[Vits]):
    """A configured VITS model; its one voice is named after the configured id/directory."""

    engine = "hf"
    requires = TRANSFORMERS

    def __init__(self, ctx: Context, spec: str) -> None:
        super().__init__(ctx)
        self.spec = spec

    @property
    def key(self) -> str:
        return f"hf:tts:{self.spec}"

    @property
    def what(self) -> str:
        return f"the tts model {self.spec!r}"

    def load(self) -> Loaded[Vits]:
        ref = resolve(self.spec, self.settings, "tts")
        apply_offline(self.settings)
        import transformers

        kwargs = ref.load_kwargs()
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                ref.source,
                local_files_only=kwargs["local_files_only"],
                trust_remote_code=ref.trust_remote_code,
            )
            model = transformers.VitsModel.from_pretrained(ref.source, **kwargs)
        except (OSError, ValueError, ImportError) as exc:
            raise unavailable(
                f"cannot load the tts model {self.spec!r}: {exc}",
                hint="configure a VITS/MMS model (e.g. facebook/mms-tts-eng) that is on "
                "this machine when offline",
            ) from exc
        return Loaded(Vits(model, tokenizer, int(model.config.sampling_rate)), self.spec)

    def voices(self) -> list[Voice]:
        config = Path(self.spec).expanduser() / "config.json"
        rate = json.loads(config.read_text()).get("sampling_rate") if config.is_file() else None
        return [
            Voice(
                name=self.spec,
                language_codes=[],
                natural_sample_rate=rate,
                backend="local",
                engine=self.engine,
            )
        ]

    def default_voice(self, language: str | None) -> str | None:
        return self.spec  # the configured model speaks whatever language it was trained on

    def speak(self, model: Vits, text: str, request: Request) -> tuple[Samples, int]:
        import torch

        inputs = model.tokenizer(text, return_tensors="pt")
        if inputs["input_ids"].shape[-1] == 0:
            return torch.zeros(0).numpy(), model.sample_rate
        with torch.inference_mode():
            waveform = model.model(**inputs).waveform[0]
        return waveform.float().numpy(), model.sample_rate
