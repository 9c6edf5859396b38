"""Service settings, read from the environment (prefix ``CRMGRAPH_``) and ``.env``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


class Mode(StrEnum):
    DEV = "dev"
    PROD = "prod"


class Settings(BaseSettings):
    """Everything the service can be told. A bad value stops start-up with its name."""

    model_config = SettingsConfigDict(
        env_prefix="CRMGRAPH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    mode: Mode = Field(Mode.DEV, description="dev: GraphiQL and introspection on; prod: off.")
    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8000, ge=0, le=65535, description="HTTP port (0 picks a free one).")
    data_dir: Path = Field(Path("data"), description="Folder of the embedded store's files.")
    database_uri: str | None = Field(
        None, description="Neo4j URI (neo4j://, neo4j+s://, bolt://). Unset: embedded FalkorDB."
    )
    database_user: str = Field("neo4j", description="Neo4j user name.")
    database_password: SecretStr = Field(SecretStr(""), description="Neo4j password.")
    database_name: str = Field("neo4j", description="Neo4j database (always sent as database_).")
    graph_name: str = Field("crm", description="FalkorDB graph key.")
    max_page_size: int = Field(100, ge=1, le=1000, description="Largest `first` a list accepts.")
    store_start_timeout: float = Field(20.0, gt=0, description="Seconds to wait for the store.")
    query_timeout: float = Field(10.0, gt=0, le=600, description="Seconds a read may run.")
    write_timeout: float = Field(10.0, gt=0, le=600, description="Seconds a write may run (then undone).")
    store_min_free_mb: float = Field(
        64.0, ge=0, description="Embedded store: writes are refused while its disk has less free (0: off).")
    # Analytics snapshots (graph.analytics): whole-base figures kept in the store.
    analytics_max_staleness: float = Field(
        60.0, ge=0, le=86_400, description=(
            "Seconds an analytics snapshot may be old when a read uses it; the service refreshes "
            "at half of it. Older: reads compute from scratch. 0: snapshots off."))

    @field_validator("database_uri")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(NEO4J_SCHEMES):
            raise ValueError(f"must start with one of {', '.join(NEO4J_SCHEMES)}")
        return value

    @property
    def embedded(self) -> bool:
        return self.database_uri is None


class SettingsError(RuntimeError):
    """A setting failed validation; the message names each bad variable."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"CRMGRAPH_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from exc
