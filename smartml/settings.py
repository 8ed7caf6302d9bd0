"""Settings from constructor arguments and ``SMARTML_*`` environment variables."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Everything smartml can be told. Arguments win over ``SMARTML_*`` variables.

    ``SMARTML_BACKEND=google,local`` is a fallback chain; ``SMARTML_MODELS`` is JSON
    (``{"sentiment": "<hf id or dir>"}``).
    """

    model_config = SettingsConfigDict(env_prefix="SMARTML_", extra="forbid", validate_default=True)

    backend: Annotated[list[str], NoDecode] = Field(
        default=["local"], description="Backend name or fallback chain"
    )
    offline: bool = Field(
        default=False, description="Never touch the network (local models, HF hub)"
    )
    models: dict[str, str] = Field(
        default_factory=dict, description="Per-task model override: HF id or directory"
    )
    vision_labels: list[str] = Field(
        default_factory=list,
        description="Your own label set, for a zero-shot image model configured for labels",
    )
    trust_remote_code: bool = Field(
        default=False, description="Allow HF models that ship their own code"
    )

    google_endpoint: str | None = Field(default=None, description="host:port of a Google API")
    google_storage_endpoint: str | None = Field(
        default=None,
        description=(
            "http(s)://host:port of a Cloud Storage JSON API (an emulator or smartml's fake)"
        ),
    )
    google_project: str | None = None
    google_credentials: str | None = Field(
        default=None, description="Path to a service-account JSON file"
    )
    google_api_key: SecretStr | None = None
    google_retry_timeout: float = Field(
        default=60.0, gt=0, description="Total seconds for one call with retries"
    )
    google_retry_initial: float = Field(default=0.2, gt=0)
    google_retry_maximum: float = Field(default=10.0, gt=0)
    google_requests_per_minute: float | None = Field(
        default=None,
        gt=0,
        description="Client-side limit on requests per minute to each Google API (your quota)",
    )
    google_units_per_minute: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Client-side limit on billing units per minute to each Google API: Vision "
            "images x features, Natural Language 1,000 characters x features, TTS and "
            "Translation characters, Speech and Video requests"
        ),
    )
    google_language_version: Literal["v1", "v2"] = Field(
        default="v1",
        description=(
            "Natural Language API version: v2 serves sentiment, entities (no salience), "
            "classify and moderate; syntax and entity sentiment exist in v1 only"
        ),
    )

    call_timeout: float = Field(default=600.0, gt=0, description="Bound on any one call")
    cooldown_failures: int = Field(
        default=3, ge=1, description="Consecutive failures before a cool-down"
    )
    cooldown_seconds: float = Field(default=60.0, ge=0)

    max_input_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    max_text_bytes: int = Field(default=1_000_000, gt=0)
    fetch_timeout: float = Field(default=30.0, gt=0)

    @field_validator("models")
    @classmethod
    def _known_model_keys(cls, value: dict[str, str]) -> dict[str, str]:
        """A key no local engine reads would be ignored: refuse it, naming the valid ones."""
        from smartml.catalogue import models_keys

        known = models_keys()
        unknown = sorted(set(value) - set(known))
        if unknown:
            import difflib

            close = [difflib.get_close_matches(k, known, n=1) for k in unknown]
            guesses = "".join(f" (did you mean {c[0]!r}?)" for c in close if c)
            raise ValueError(
                f"no local engine reads models[{', '.join(map(repr, unknown))}]{guesses}; "
                f"the keys are: {', '.join(known)}"
            )
        return value

    @field_validator("backend", mode="before")
    @classmethod
    def _split_chain(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                value = json.loads(text)
            else:
                value = [part.strip() for part in text.split(",")]
        if isinstance(value, list | tuple):
            names = [v for v in value if not (isinstance(v, str) and not v)]
            if not names:
                raise ValueError("the backend chain is empty")
            return names
        return value
