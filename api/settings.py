"""Service settings, read from the environment (prefix ``CRMGRAPH_``) and ``.env``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.concurrency import Caps
from graph.access import Role
from graph.cost import CostBudgets

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
    # One cost budget per request (graph/cost.py), by the caller's role.
    cost_budget_admin: int = Field(50_000, ge=1, description="Cost units one admin request may use.")
    cost_budget_editor: int = Field(50_000, ge=1, description="Cost units one editor request may use.")
    cost_budget_analyst: int = Field(50_000, ge=1, description="Cost units one analyst request may use.")
    cost_budget_partner: int = Field(10_000, ge=1, description="Cost units one partner request may use.")
    max_request_rows: int = Field(50_000, ge=1, description="Rows one request may return, all fields together.")
    max_response_bytes: int = Field(16 * 1024 * 1024, ge=1024, description="Bytes of one response body.")
    # Fairness (api/concurrency.py), per API process.
    concurrency_per_client: int = Field(2, ge=1, description="Requests of one client running at once.")
    concurrency_total: int = Field(16, ge=1, description="Requests running at once in one process.")
    queue_per_client: int = Field(8, ge=0, description="Requests of one client waiting for a slot.")
    queue_total: int = Field(64, ge=0, description="Requests waiting for a slot in one process.")
    queue_wait: float = Field(2.0, gt=0, le=60, description="Seconds a request may wait for a slot.")
    retry_after: int = Field(1, ge=1, description="Seconds sent in Retry-After with OVERLOADED.")

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

    def cost_budgets(self) -> CostBudgets:
        return CostBudgets(per_role={
            Role.ADMIN: self.cost_budget_admin, Role.EDITOR: self.cost_budget_editor,
            Role.ANALYST: self.cost_budget_analyst, Role.PARTNER: self.cost_budget_partner,
        }, max_rows=self.max_request_rows, max_bytes=self.max_response_bytes)

    def concurrency_caps(self) -> Caps:
        return Caps(per_client=self.concurrency_per_client, total=self.concurrency_total,
                    per_client_queue=self.queue_per_client, total_queue=self.queue_total,
                    queue_wait=self.queue_wait, retry_after=self.retry_after)


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
