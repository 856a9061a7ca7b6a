"""One place for configuration.

Precedence (highest first): explicit arguments (CLI flags such as ``--db``), environment
variables ``SERVICEPILOT_*``, a TOML file (``SERVICEPILOT_CONFIG`` or ``./servicepilot.toml``),
then defaults. Later parts add their own fields here (embedding model dir, LLM endpoint).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from tools.errors import ConfigError

DEFAULT_CONFIG_FILE = "servicepilot.toml"


def _config_file() -> Path:
    return Path(os.environ.get("SERVICEPILOT_CONFIG", DEFAULT_CONFIG_FILE))


class Settings(BaseSettings):
    """ServicePilot settings; every field can be set as ``SERVICEPILOT_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="SERVICEPILOT_", extra="forbid", frozen=True)

    data_dir: Path = Field(Path("data"), description="Directory for the warehouse and indexes.")
    warehouse_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the warehouse; default: <data_dir>/warehouse.duckdb.",
    )
    timezone: str = Field("Asia/Shanghai", description="Business time zone of naive timestamps.")
    query_timeout_s: float = Field(30.0, gt=0, description="Statement time limit for queries.")
    max_result_rows: int = Field(50_000, gt=0, description="Row limit for query results.")
    ops_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the operations store (audit log, feedback); default: "
        "<data_dir>/ops.duckdb.",
    )
    notify_file: Path | None = Field(
        None,
        description="Notification channels and alert owners (docs/proactive.md); default: "
        "<data_dir>/notify.yml when it exists.",
    )
    schedules_file: Path | None = Field(
        None,
        description="Jobs `servicepilot serve` runs on cron schedules (digests, alerts, tasks; "
        "docs/proactive.md); default: <data_dir>/schedules.yml when it exists.",
    )
    audit_max_question_chars: int = Field(
        1_000, gt=0, description="Longest question kept in the audit log (masked, then cut)."
    )
    live_refresh_s: float = Field(
        60.0, gt=0, description="Seconds between refreshes of the cockpit's live view."
    )
    rate_limit_per_minute: int = Field(
        30, gt=0, description="Questions per user per minute in the UI and API."
    )
    tool_rate_limit_per_minute: int = Field(
        60, gt=0, description="Tool calls (HTTP tool endpoints, MCP tools) per user per minute."
    )
    tool_max_rows: int = Field(
        1_000, gt=0, description="Most rows one tool answer returns; a larger result is refused."
    )
    tool_max_bytes: int = Field(
        1_000_000, gt=0, description="Largest tool answer in bytes of JSON; larger is refused."
    )
    # Similar-case search (tools/cases).
    embedding_model_dir: Path | None = Field(
        None,
        description="Local sentence-transformers model directory for case embeddings; default: "
        "the packaged all-MiniLM-L6-v2 (English). Point it at a multilingual model for Chinese.",
    )
    chroma_dir: Path | None = Field(
        None, description="Persistent Chroma directory; default: <data_dir>/chroma."
    )
    chroma_host: str | None = Field(
        None, description="Chroma server host; when set, cases use the server, not chroma_dir."
    )
    chroma_port: int = Field(8000, gt=0, lt=65536, description="Chroma server port.")
    cases_collection: str = Field("cases", description="Default similar-case collection name.")
    embedding_batch_size: int = Field(128, gt=0, description="Texts per embedding batch.")
    # LLM (assistant/llm; docs/llm.md). Off by default: the offline planner answers.
    llm_provider: Literal["none", "openai", "gguf"] = Field(
        "none",
        description="none (offline planner only), openai (any OpenAI-compatible endpoint: "
        "OpenAI, vLLM, Ollama, llama.cpp server) or gguf (a local GGUF file served by a "
        "llama.cpp server subprocess on 127.0.0.1).",
    )
    llm_base_url: str | None = Field(
        None,
        description="OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1 (Ollama); "
        "default: the OpenAI API.",
    )
    llm_api_key: SecretStr | None = Field(
        None, description="API key for llm_base_url (local servers accept any value)."
    )
    llm_model: str | None = Field(
        None, description="Model name at the endpoint, e.g. gpt-4o-mini or qwen2.5:7b-instruct."
    )
    llm_gguf_path: Path | None = Field(None, description="GGUF model file for llm_provider=gguf.")
    llm_timeout_s: float = Field(
        30.0, gt=0, description="Time limit for the LLM calls of one question (all together)."
    )
    llm_max_retries: int = Field(
        2, ge=0, le=10, description="Corrections after a rejected draft before falling back."
    )
    llm_max_tokens_per_question: int = Field(
        12_000, gt=0, description="Token budget (prompt + completion) for one question."
    )
    llm_planner_mode: Literal["offline_first", "llm_first"] = Field(
        "offline_first",
        description="offline_first: the offline planner answers what it reads completely and "
        "the LLM reads only the questions it cannot (else the user is asked); llm_first: the "
        "LLM drafts every plan, the offline planner is the fallback.",
    )
    llm_catalog_detail: Literal["full", "compact"] = Field(
        "full",
        description="Catalog shown to the LLM: full (labels, synonyms, definitions; ~3k tokens) "
        "or compact (names, labels, codes; ~1k) for small models and slow CPUs.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)

    @property
    def resolved_warehouse_url(self) -> str:
        if self.warehouse_url:
            return self.warehouse_url
        return f"duckdb:///{_absolute(self.data_dir / 'warehouse.duckdb')}"

    @property
    def resolved_ops_url(self) -> str:
        """Where the audit log and feedback are written (never the read-only warehouse file)."""
        if self.ops_url:
            return self.ops_url
        return f"duckdb:///{(self.data_dir / 'ops.duckdb').resolve()}"

    @property
    def resolved_notify_file(self) -> Path:
        return self.notify_file if self.notify_file is not None else self.data_dir / "notify.yml"

    @property
    def resolved_schedules_file(self) -> Path:
        if self.schedules_file is not None:
            return self.schedules_file
        return self.data_dir / "schedules.yml"

    @property
    def resolved_chroma_dir(self) -> Path:
        return self.chroma_dir if self.chroma_dir is not None else self.data_dir / "chroma"


def load_settings(**overrides: Any) -> Settings:
    """Load settings, turning pydantic and TOML errors into a ConfigError that says where."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(settings)"
            lines.append(f"  - {field}: {err['msg']}")
        raise ConfigError(
            "Invalid settings (from flags, SERVICEPILOT_* environment variables or "
            f"{_config_file()}):\n"
            + "\n".join(lines)
            + f"\nValid fields: {', '.join(Settings.model_fields)}."
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{_config_file()}: not valid TOML: {exc}") from exc


def warehouse_url_from(db: str | None, settings: Settings | None = None) -> str:
    """Turn a ``--db PATH_OR_URL`` value into a SQLAlchemy URL (a bare path means DuckDB)."""
    if db is None:
        return (settings or load_settings()).resolved_warehouse_url
    if "://" in db:
        return db
    return f"duckdb:///{_absolute(Path(db).expanduser())}"


def _absolute(path: Path) -> Path:
    """Absolute, without resolving links: live ingest publishes the warehouse as a link to its
    newest snapshot, which readers must keep following (docs/ingest.md)."""
    return Path(os.path.abspath(path))
