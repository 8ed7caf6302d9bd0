"""Any Hugging Face VITS/MMS text-to-speech model, configured with ``models={"tts": ...}``.

Rate and pitch are post-processed (VITS's own ``speaking_rate`` scales phoneme durations
only, like Piper's); the sample rate comes from the model's config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from smartml.backends.local.engine import Configured, Loaded
from smartml.backends.local.language.hf import TRANSFORMERS
from smartml.backends.local.models import load_parts
from smartml.backends.local.tts.base import Request, SpeechEngine
from smartml.results.tts import Voice

if TYPE_CHECKING:
    from smartml.codecs import Samples


@dataclass(frozen=True)
class Vits:
    model: Any
    tokenizer: Any
    sample_rate: int


class HFSpeechEngine(Configured, SpeechEngine[Vits]):
    """A configured VITS model; its one voice is named after the configured id/directory."""

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
