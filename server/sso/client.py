"""The OpenID Connect client: discovery, the authorization request (PKCE S256, state, nonce),
the code exchange and the ID token's validation — all with Authlib (its requests client
``OAuth2Session`` and its OIDC claims ``CodeIDToken``, on joserfc, Authlib's JOSE library).
Nothing here checks a signature or a claim by hand.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from server.auth import two_factor
from server.sso.models import SsoConfig

#: Seconds to wait for the provider (discovery, keys, token): a log-in never hangs for long.
TIMEOUT = 10
#: Clock difference tolerated between the provider and us when checking exp/iat.
LEEWAY = 60
SCOPE = "openid email profile"
#: The only signature algorithms accepted when the provider does not list its own.
DEFAULT_ALGORITHMS = ["RS256"]


class ProviderError(Exception):
    """The provider could not be reached or answered something unusable (``reason``: a short
    code for the logs, never shown as is)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _local_http_allowed() -> bool:
    return bool(current_app.config["SSO_ALLOW_HTTP"])


def acceptable_url(url: str) -> bool:
    """https, or http on the loopback when ``SSO_ALLOW_HTTP`` is on (tests, local trials)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.hostname or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    return (parts.scheme == "http" and _local_http_allowed()
            and parts.hostname in ("127.0.0.1", "localhost"))


def _outside_our_network(url: str) -> None:
    """Against server-side request forgery: the référent types the provider's address and the
    server fetches it, so every address the host name resolves to must be a public one (the
    loopback only where ``SSO_ALLOW_HTTP`` allows local trials). Checked before each request."""
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError) as exc:
        raise ProviderError("dns") from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if ip.is_loopback and _local_http_allowed():
            continue
        if not ip.is_global:
            raise ProviderError("private_address")


def _get_json(url: str, reason: str):
    _outside_our_network(url)
    try:
        response = requests.get(url, timeout=TIMEOUT, allow_redirects=False)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderError(reason) from exc


def normalise_issuer(issuer: str) -> str:
    return (issuer or "").strip().rstrip("/")


@dataclass(frozen=True)
class Provider:
    """What discovery says about a provider."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: list[str]


def discover(issuer: str) -> Provider:
    """Read ``<issuer>/.well-known/openid-configuration``; its ``issuer`` must be ours."""
    issuer = normalise_issuer(issuer)
    metadata = _get_json(f"{issuer}/.well-known/openid-configuration", "discovery")
    if not isinstance(metadata, dict) or normalise_issuer(metadata.get("issuer", "")) != issuer:
        raise ProviderError("discovery_issuer")
    endpoints = [metadata.get(k) for k in ("authorization_endpoint", "token_endpoint",
                                           "jwks_uri")]
    if not all(isinstance(e, str) and acceptable_url(e) for e in endpoints):
        raise ProviderError("discovery_endpoints")
    algorithms = metadata.get("id_token_signing_alg_values_supported") or DEFAULT_ALGORITHMS
    # "none" is never a signature.
    algorithms = [a for a in algorithms if isinstance(a, str) and a.lower() != "none"]
    return Provider(issuer, *endpoints, algorithms=algorithms or DEFAULT_ALGORITHMS)


def _session(config: SsoConfig, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(client_id=config.client_id,
                         client_secret=two_factor.decrypt(config.client_secret),
                         scope=SCOPE, redirect_uri=redirect_uri,
                         code_challenge_method="S256", default_timeout=TIMEOUT)


@dataclass(frozen=True)
class Started:
    url: str
    state: str
    nonce: str
    code_verifier: str


def authorization_request(config: SsoConfig, redirect_uri: str) -> Started:
    """Where to send the person, and what to keep in their session to check the answer."""
    provider = discover(config.issuer)
    nonce = generate_token(32)
    verifier = generate_token(64)  # PKCE: 64 characters of the allowed alphabet
    with _session(config, redirect_uri) as client:
        url, state = client.create_authorization_url(
            provider.authorization_endpoint, code_verifier=verifier, nonce=nonce)
    return Started(url=url, state=state, nonce=nonce, code_verifier=verifier)


def exchange_code(config: SsoConfig, redirect_uri: str, code: str, code_verifier: str,
                  nonce: str) -> dict:
    """Trade the code for tokens and return the ID token's validated claims."""
    provider = discover(config.issuer)
    _outside_our_network(provider.token_endpoint)
    try:
        with _session(config, redirect_uri) as client:
            token = client.fetch_token(provider.token_endpoint, grant_type="authorization_code",
                                       code=code, code_verifier=code_verifier)
    except Exception as exc:  # noqa: BLE001  OAuthError, network errors, bad JSON: all a refusal
        raise ProviderError("token") from exc
    id_token = token.get("id_token")
    if not id_token:
        raise ProviderError("no_id_token")
    return validate_id_token(id_token, provider, client_id=config.client_id, nonce=nonce,
                             access_token=token.get("access_token"))


def key_set(provider: Provider) -> KeySet:
    document = _get_json(provider.jwks_uri, "jwks")
    try:
        return KeySet.import_key_set(document)
    except Exception as exc:  # noqa: BLE001  any malformed key set is a refusal
        raise ProviderError("jwks") from exc


def validate_id_token(id_token: str, provider: Provider, *, client_id: str, nonce: str,
                      access_token: str | None = None, keys: KeySet | None = None) -> dict:
    """The claims of ``id_token`` once its signature (the provider's published keys) and its
    iss, aud, exp, iat, nonce, azp and at_hash are checked; ``ProviderError`` otherwise."""
    keys = keys or key_set(provider)
    try:
        decoded = jwt.decode(id_token, keys,
                             registry=JWSRegistry(algorithms=provider.algorithms))
        claims = CodeIDToken(
            decoded.claims, decoded.header,
            {"iss": {"essential": True, "value": provider.issuer},
             "aud": {"essential": True, "value": client_id},
             "sub": {"essential": True}},
            {"nonce": nonce, "client_id": client_id, "access_token": access_token})
        claims.validate(leeway=LEEWAY)
    except (JoseError, ValueError) as exc:
        raise ProviderError("id_token") from exc
    if not isinstance(claims.get("sub"), str) or not 0 < len(claims["sub"]) <= 255:
        raise ProviderError("id_token_sub")
    return dict(claims)
