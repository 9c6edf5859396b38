"""Service settings, read from the environment (prefix ``CRMGRAPH_``) and ``.env``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
CommaList = Annotated[list[str], NoDecode]
"""A list read from one variable, comma-separated (``a.example,b.example``) or as JSON."""

from api.concurrency import Caps
from graph.access import Role
from graph.cost import CostBudgets

NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


class Mode(StrEnum):
    DEV = "dev"
    PROD = "prod"


class LogFormat(StrEnum):
    AUTO = "auto"
    JSON = "json"
    TEXT = "text"


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
    store_start_timeout: float = Field(20.0, gt=0, description=(
        "Seconds the store may go without answering while it starts. A store loading a big "
        "graph answers with its progress and is waited for as long as the load takes."))
    store_server_args: str = Field("", description=(
        "Extra redis-server arguments for the embedded store, space separated "
        "(tuning, or tests that slow its loading down)."))
    query_timeout: float = Field(10.0, gt=0, le=600, description="Seconds a read may run.")
    write_timeout: float = Field(10.0, gt=0, le=600, description="Seconds a write may run (then undone).")
    store_pool_size: int = Field(
        64, ge=1, le=1024, description="Embedded store: connections per API process (statements in flight beyond "
                       "it share them, answered in order).")
    store_min_free_mb: float = Field(
        64.0, ge=0, description="Embedded store: writes are refused while its disk has less free (0: off).")
    # One cost budget per request (graph/cost.py), by the caller's role.
    cost_budget_admin: int = Field(50_000, ge=1, description="Cost units one admin request may use.")
    cost_budget_editor: int = Field(50_000, ge=1, description="Cost units one editor request may use.")
    cost_budget_analyst: int = Field(50_000, ge=1, description="Cost units one analyst request may use.")
    cost_budget_partner: int = Field(10_000, ge=1, description="Cost units one partner request may use.")
    max_request_rows: int = Field(50_000, ge=1, description="Rows one request may return, all fields together.")
    fast_path: bool = Field(True, description=(
        "Answer a cached query document from its compiled plan (schema/fastpath.py); false: every request "
        "is executed field by field by Strawberry (same answers, slower)."))
    max_response_bytes: int = Field(16 * 1024 * 1024, ge=1024, description="Bytes of one response body.")
    # Fairness (api/concurrency.py), per API process.
    concurrency_per_client: int = Field(2, ge=1, description="Requests of one client running at once.")
    concurrency_total: int = Field(16, ge=1, description="Requests running at once in one process.")
    queue_per_client: int = Field(8, ge=0, description="Requests of one client waiting for a slot.")
    queue_total: int = Field(64, ge=0, description="Requests waiting for a slot in one process.")
    queue_wait: float = Field(2.0, gt=0, le=60, description="Seconds a request may wait for a slot.")
    retry_after: int = Field(1, ge=1, description="Seconds sent in Retry-After with OVERLOADED.")

    # --- credentials, rate limits, trusted documents, browser hygiene (api.auth) ---------
    key_pepper: SecretStr = Field(SecretStr(""), description=(
        "HMAC key for API key hashes. Unset: <data_dir>/key-pepper, generated once (0600). "
        "Set it (the same on every host) with Neo4j and several API hosts."))
    key_cache_seconds: float = Field(30.0, ge=0, le=3600, description=(
        "Seconds a worker keeps a verified API key, so a request asks the store nothing for it (0: off). "
        "Embedded store: a revocation still holds on the next request (announced to every worker); "
        "Neo4j: at most 1 s."))
    key_cache_size: int = Field(10_000, ge=1, le=1_000_000, description="API keys one worker keeps verified.")
    jwt_secret: SecretStr = Field(SecretStr(""), description="Shared secret for HS* JWTs (unset: none).")
    jwt_jwks_url: str | None = Field(None, description="JWKS URL of the identity provider (RS*/ES*/PS*/EdDSA).")
    jwt_jwks_cache_seconds: int = Field(300, ge=0, le=86400, description="How long fetched JWKS keys are kept.")
    jwt_issuer: str | None = Field(None, description="Required `iss` of JWTs (required when JWTs are on).")
    jwt_audience: str | None = Field(None, description="Required `aud` of JWTs (required when JWTs are on).")
    jwt_algorithms: CommaList = Field(default_factory=list, description=(
        "Accepted JWT algorithms. Empty: HS256/384/512 with a secret, RS*/PS*/ES*/EdDSA with a JWKS."))
    jwt_leeway: float = Field(30.0, ge=0, le=300, description="Clock skew allowed on exp/nbf/iat, seconds.")
    jwt_role_claim: str = Field("role", min_length=1, description="Claim with the role (dotted path allowed).")
    jwt_company_claim: str = Field("company", min_length=1, description="Claim with a partner's company id.")
    rate_limit_window: float = Field(60.0, gt=0, le=86400, description="Seconds in which a full bucket refills.")
    rate_limit_admin: int = Field(1200, ge=0, description="Requests per window for admin (0: unlimited).")
    rate_limit_editor: int = Field(600, ge=0, description="Requests per window for editor (0: unlimited).")
    rate_limit_analyst: int = Field(600, ge=0, description="Requests per window for analyst (0: unlimited).")
    rate_limit_partner: int = Field(300, ge=0, description="Requests per window for partner (0: unlimited).")
    rate_limit_anonymous: int = Field(600, ge=0, description="Dev, anonymous: per client address (0: unlimited).")
    trusted_documents: Path | None = Field(None, description=(
        "JSON file {role: [document, ...]}: those roles may run only these documents."))
    allowed_hosts: CommaList = Field(default_factory=list, description=(
        "Host headers served. Empty: loopback names, plus CRMGRAPH_HOST if it is not a wildcard."))
    cors_origins: CommaList = Field(default_factory=list, description="Origins allowed by CORS (none by default).")

    @field_validator("jwt_algorithms", "allowed_hosts", "cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("jwt_algorithms")
    @classmethod
    def _no_none_algorithm(cls, value: list[str]) -> list[str]:
        if any(alg.lower() == "none" for alg in value):
            raise ValueError("'none' is never an accepted algorithm")
        return value

    @field_validator("jwt_jwks_url")
    @classmethod
    def _jwks_over_https(cls, value: str | None) -> str | None:
        if not value:
            return None
        from urllib.parse import urlsplit

        url = urlsplit(value)
        if url.scheme != "https" and not (url.scheme == "http" and url.hostname in LOOPBACK_HOSTS):
            raise ValueError("must be an https:// URL (http:// only on loopback)")
        return value

    @model_validator(mode="after")
    def _jwt_complete(self) -> Settings:
        if self.jwt_enabled and not (self.jwt_issuer and self.jwt_audience):
            raise ValueError("JWTs are on (CRMGRAPH_JWT_SECRET or CRMGRAPH_JWT_JWKS_URL): "
                             "set CRMGRAPH_JWT_ISSUER and CRMGRAPH_JWT_AUDIENCE too")
        return self

    @property
    def jwt_enabled(self) -> bool:
        return bool(self.jwt_secret.get_secret_value() or self.jwt_jwks_url)

    def store_server_arguments(self) -> tuple[str, ...]:
        return tuple(self.store_server_args.split())

    @property
    def on_loopback(self) -> bool:
        return self.host.strip("[]").lower() in LOOPBACK_HOSTS

    metrics_token: SecretStr = Field(SecretStr(""), description=(
        "Bearer token that may read /metrics (and nothing else), for Prometheus. Unset: admins only."))
    # Browser pages (api.pages): /explore and GraphiQL load their libraries from here.
    node_modules: Path | None = Field(None, description=(
        "Folder with the npm packages the pages load (cytoscape, graphiql, react). "
        "Unset: node_modules/ of the checkout (made by `make install`)."))

    # --- end of credentials block --------------------------------------------------------
    # Analytics snapshots (graph.analytics): whole-base figures kept in the store.
    analytics_max_staleness: float = Field(
        60.0, ge=0, le=86_400, description=(
            "Seconds an analytics snapshot may be old when a read uses it; the service refreshes "
            "at half of it. Older: reads compute from scratch. 0: snapshots off."))

    # Money (graph.money): every figure that adds up orders is in this currency.
    base_currency: str = Field(
        "USD", description=(
            "ISO 4217 code of the base currency: orders in other currencies are converted into it when "
            "recorded, at the exchange rate of their day. Choose it before recording orders."))

    @field_validator("base_currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        from graph.money import CURRENCIES

        if value not in CURRENCIES:
            raise ValueError(f"not an ISO 4217 code this service knows: {value!r}")
        return value

    # Operability (api.logs, api.observe, api.metrics).
    log_format: LogFormat = Field(LogFormat.AUTO, description="auto (JSON lines in prod, text in dev), json or text.")
    log_requests: bool = Field(False, description="One log line per request (else only slow, 5xx and INTERNAL ones).")
    log_slow_seconds: float = Field(1.0, gt=0, description="A request at least this slow gets a log line.")

    @property
    def json_logs(self) -> bool:
        return self.log_format is LogFormat.JSON or (self.log_format is LogFormat.AUTO and self.mode is Mode.PROD)

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
        settings = Settings(**overrides)  # type: ignore[arg-type]
        from graph.money import set_base_currency

        set_base_currency(settings.base_currency)  # process-wide: amounts are decoded with it
        return settings
    except ValidationError as exc:
        problems = "; ".join(
            f"CRMGRAPH_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from exc
