"""JWT bearer tokens: every check that must refuse a token does, with the reason."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from api.auth import AuthError, JWTVerifier
from api.settings import load_settings
from graph.access import Role
from tests.jwt_keys import AUDIENCE, ISSUER, OTHER_RSA_KEY, SECRET, hs256, jwks_server, rs256, unsigned


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    with jwks_server() as url:
        yield url


def verifier(**settings: object) -> JWTVerifier:
    base: dict[str, object] = {"jwt_secret": SECRET, "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE,
                               "jwt_leeway": 5}
    return JWTVerifier(load_settings(**{**base, **settings}))


async def refused(v: JWTVerifier, token: str) -> str:
    with pytest.raises(AuthError) as info:
        await v.verify(token)
    assert info.value.status == 401 and info.value.error == "invalid_token"
    assert info.value.www_authenticate().startswith('Bearer realm="crmgraph", error="invalid_token"')
    return info.value.reason


async def test_a_good_token_gives_its_role_subject_and_partner_company() -> None:
    access = await verifier().verify(hs256())
    assert (access.role, access.subject, access.company_id) == (Role.ANALYST, "user-1", None)
    partner = await verifier().verify(hs256(role="partner", company="company:acme"))
    assert (partner.role, partner.company_id) == (Role.PARTNER, "company:acme")
    nested = verifier(jwt_role_claim="app.roles", jwt_company_claim="org")
    assert (await nested.verify(hs256(role=None, app={"roles": ["editor", "other"]}))).role is Role.EDITOR


@pytest.mark.parametrize(("token", "reason"), [
    (lambda: hs256(exp=int(time.time()) - 60), "expired"),
    (lambda: hs256(aud="someone-else"), "audience"),
    (lambda: hs256(iss="https://evil.test"), "issuer"),
    (lambda: hs256(secret="x" * 48), "signature"),
    (lambda: unsigned(), "algorithm 'none'"),
    (lambda: hs256(nbf=int(time.time()) + 120), "not valid yet"),
    (lambda: hs256(exp=None), "'exp'"),
    (lambda: hs256(aud=None), "'aud'"),
    (lambda: hs256(role="root"), "no known role"),
    (lambda: hs256(role=["admin", "editor"]), "no known role"),
    (lambda: hs256(role="partner"), "without a company"),
    (lambda: "not.a.jwt", "malformed"),
    (lambda: rs256(), "algorithm 'RS256'"),  # no JWKS configured: public-key algorithms are off
])
async def test_bad_tokens_are_refused_with_the_reason(token: object, reason: str) -> None:
    assert reason in await refused(verifier(), token())  # type: ignore[operator]


async def test_clock_skew_within_the_leeway_is_accepted() -> None:
    now = int(time.time())
    assert await verifier().verify(hs256(exp=now - 2, nbf=now + 2))


async def test_tokens_verified_against_a_jwks_url(jwks_url: str) -> None:
    v = verifier(jwt_secret="", jwt_jwks_url=jwks_url)
    assert (await v.verify(rs256(role="editor"))).role is Role.EDITOR
    assert "no signing key" in await refused(v, rs256(kid="unknown-kid"))
    assert "signature" in await refused(v, rs256(key=OTHER_RSA_KEY))
    assert "algorithm 'HS256'" in await refused(v, hs256())  # no secret: HMAC is off
    assert "algorithm 'none'" in await refused(v, unsigned())


async def test_an_unreachable_jwks_is_a_503_not_a_401_or_500() -> None:
    v = verifier(jwt_secret="", jwt_jwks_url="http://127.0.0.1:9/jwks.json")
    with pytest.raises(AuthError) as info:
        await v.verify(rs256())
    assert info.value.status == 503


def test_none_is_refused_as_a_setting_and_jwts_need_issuer_and_audience() -> None:
    from api.settings import SettingsError

    with pytest.raises(SettingsError, match="none"):
        load_settings(jwt_algorithms="HS256,none")
    with pytest.raises(SettingsError, match="JWT_AUDIENCE"):
        load_settings(jwt_secret=SECRET, jwt_issuer=ISSUER)


def test_the_jwks_url_must_be_https_except_on_loopback() -> None:
    from api.settings import SettingsError

    with pytest.raises(SettingsError, match="https"):
        verifier(jwt_jwks_url="http://idp.example/jwks.json")
    assert verifier(jwt_jwks_url="https://idp.example/jwks.json")
