"""Who is asking: a request's credentials turned into a ``graph.access.Access``.

- ``Authorization: Bearer crm_…`` or ``X-API-Key: crm_…``: an API key (``graph.keys``),
  verified against the store, then kept for a few seconds in the worker (``graph.key_cache``);
  a revocation is announced to every worker before it is confirmed (``graph.key_events``),
  so it holds on the next request everywhere. Its last use is written at most once a
  minute per worker, off the request's path.
- any other bearer token: a JWT from the identity provider, verified with PyJWT against a
  JWKS URL or a shared secret; issuer, audience, expiry and not-before are checked with a
  small leeway; role and company come from configurable claims.
- nothing: in dev mode, while the service listens only on loopback, the anonymous admin
  (GraphiQL works out of the box); otherwise 401.

Every refusal is an ``AuthError`` that the gate (``api.gate``) answers with 401 and a
``WWW-Authenticate`` header saying why; nothing here raises anything else to the caller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from api.settings import Mode, Settings
from graph.access import DEFAULT_SCOPE_DEPTH, Access, Role
from graph.key_events import key_cache_for
from graph.keys import PREFIX, InvalidKeyError, KeyStore, check, digest, key_id_of

log = logging.getLogger("crmgraph.auth")

HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
PUBLIC_KEY_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
                         "EdDSA")


@dataclass
class AuthError(Exception):
    """A credential was missing or failed a check. ``reason`` is safe to show."""

    reason: str
    error: str | None = "invalid_token"  # RFC 6750; None when no credential was sent
    status: int = 401

    def www_authenticate(self) -> str:
        if self.error is None:
            return 'Bearer realm="crmgraph"'
        reason = self.reason.replace("\\", "").replace('"', "'")
        return f'Bearer realm="crmgraph", error="{self.error}", error_description="{reason}"'

    def body(self) -> dict[str, Any]:
        code = "UNAUTHENTICATED" if self.status == 401 else "AUTH_UNAVAILABLE"
        return {"data": None, "errors": [{"message": self.reason, "extensions": {"code": code}}]}


class JWTVerifier:
    """Checks bearer JWTs; one per process (the JWKS client caches the provider's keys)."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret.get_secret_value()
        self._jwks = (jwt.PyJWKClient(settings.jwt_jwks_url, cache_jwk_set=True,
                                      lifespan=max(settings.jwt_jwks_cache_seconds, 1), timeout=5)
                      if settings.jwt_jwks_url else None)
        allowed = settings.jwt_algorithms or [
            *(HMAC_ALGORITHMS if self._secret else ()), *(PUBLIC_KEY_ALGORITHMS if self._jwks else ())]
        self.algorithms = [a for a in allowed if a.lower() != "none"]
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._leeway = settings.jwt_leeway
        self._role_claim = settings.jwt_role_claim
        self._company_claim = settings.jwt_company_claim

    async def verify(self, token: str) -> Access:
        claims = await self._claims(token)
        role = _role(_claim(claims, self._role_claim))
        if role is None:
            raise AuthError(f"token has no known role in claim '{self._role_claim}'")
        company = _claim(claims, self._company_claim)
        if role is Role.PARTNER and not (isinstance(company, str) and company):
            raise AuthError(f"partner token without a company in claim '{self._company_claim}'")
        subject = claims.get("sub")
        return Access(role, company_id=company if role is Role.PARTNER else None,
                      scope_depth=DEFAULT_SCOPE_DEPTH, subject=str(subject) if subject else "jwt")

    async def _claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("malformed token") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise AuthError(f"algorithm {alg!r} is not accepted")
        key: Any
        if alg in HMAC_ALGORITHMS:
            if not self._secret:
                raise AuthError(f"algorithm {alg!r} is not accepted")
            key = self._secret
        else:
            if self._jwks is None:
                raise AuthError(f"algorithm {alg!r} is not accepted")
            try:
                key = (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
            except jwt.PyJWKClientConnectionError:
                raise AuthError("the identity provider's keys could not be fetched; try again shortly",
                                error=None, status=503) from None
            except jwt.PyJWTError:
                raise AuthError("no signing key matches the token") from None
        try:
            return jwt.decode(token, key, algorithms=[alg], audience=self._audience, issuer=self._issuer,
                              leeway=self._leeway,
                              options={"require": ["exp", "iss", "aud"], "verify_signature": True})
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("token not valid yet (nbf or iat in the future)") from None
        except jwt.InvalidAudienceError:
            raise AuthError("token audience does not match") from None
        except jwt.InvalidIssuerError:
            raise AuthError("token issuer does not match") from None
        except jwt.InvalidSignatureError:
            raise AuthError("token signature does not verify") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"token lacks the '{exc.claim}' claim") from None
        except jwt.PyJWTError:
            raise AuthError("invalid token") from None


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _role(value: Any) -> Role | None:
    """A role claim: one role, or a list holding exactly one known role."""
    known = {r.value for r in Role}
    if isinstance(value, str):
        return Role(value) if value in known else None
    if isinstance(value, list):
        roles = {v for v in value if isinstance(v, str) and v in known}
        return Role(roles.pop()) if len(roles) == 1 else None
    return None


class Authenticator:
    """Request headers to an Access; shared by all requests of a worker."""

    def __init__(self, settings: Settings, keys: KeyStore, pepper: bytes) -> None:
        self._keys = keys
        self._pepper = pepper
        self._jwt = JWTVerifier(settings) if settings.jwt_enabled else None
        self.anonymous_admin = settings.mode is Mode.DEV and settings.on_loopback
        # The listener (a task the app runs) turns the cache on once it hears key changes.
        self.key_cache, self.key_events = key_cache_for(keys, settings.key_cache_seconds, settings.key_cache_size)
        # The digest of each key presented lately: a client sends the same key with every
        # request, and its HMAC was ~5 % of a small request's CPU. Bounded; a flood of
        # made-up keys only empties it.
        self._digests: dict[str, str] = {}
        self._digests_max = max(16, settings.key_cache_size)
        self._uses: set[asyncio.Task[None]] = set()

    async def resolve(self, headers: Mapping[str, str]) -> Access | None:
        """The caller's Access; None for an anonymous request that is allowed (dev on loopback)."""
        credential = _credential(headers)
        if credential is None:
            if self.anonymous_admin:
                return None
            raise AuthError("credentials required: send Authorization: Bearer <API key or token>",
                            error=None)
        if credential.startswith(PREFIX):
            return await self._api_key(credential)
        if self._jwt is None:
            raise AuthError("bearer tokens are not configured here; use an API key")
        return await self._jwt.verify(credential)

    async def _api_key(self, key: str) -> Access:
        key_id = key_id_of(key)
        presented = self._digests.get(key)
        if presented is None:
            if len(self._digests) >= self._digests_max:
                self._digests.clear()
            presented = self._digests[key] = digest(self._pepper, key)
        if key_id is not None:
            cached = self.key_cache.get(key_id, presented)
            if cached is not None:
                self._used(key_id)
                return cached
        epoch = self.key_cache.epoch  # a change announced while we read is not cached over
        record = await self._keys.get(key_id) if key_id else None
        try:
            record = check(self._pepper, key, record, presented=presented)
        except InvalidKeyError as exc:
            raise AuthError(exc.reason) from None
        self.key_cache.put(record, epoch)
        self._used(record.id)
        return record.access()

    def _used(self, key_id: str) -> None:
        """Write the key's last use (when due) without making the request wait for it."""
        if self._keys.use_due(key_id):
            task = asyncio.create_task(self._record_use(key_id))
            self._uses.add(task)
            task.add_done_callback(self._uses.discard)

    async def _record_use(self, key_id: str) -> None:
        try:
            await self._keys.record_use(key_id)
        except Exception as exc:  # a lost "last used" is not worth failing or logging a request for
            log.info("last use of key %s not written: %s", key_id, exc)


def _credential(headers: Mapping[str, str]) -> str | None:
    authorization = headers.get("authorization", "").strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthError("use Authorization: Bearer <API key or token>", error="invalid_request", status=401)
        return value.strip()
    api_key = headers.get("x-api-key", "").strip()
    if api_key and not api_key.startswith(PREFIX):
        raise AuthError("invalid API key")  # X-API-Key carries API keys only, never a JWT
    return api_key or None


__all__ = ["AuthError", "Authenticator", "JWTVerifier"]
