"""Settings from the environment (ES360_*) and the one place that builds the Elasticsearch client."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from es360.access.credentials import client_options, connection_from_env, read_secret
from es360.embedded import DEFAULT_PORT
from es360.errors import Es360Error


@dataclass(frozen=True)
class Settings:
    """Connection and layout settings; secrets are kept out of repr and `describe()`."""

    es_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_cert: str | None = None
    bearer_token: str | None = field(default=None, repr=False)
    ssl_fingerprint: str | None = None
    verify_certs: bool = True
    secret_file: str | None = None  # where a secret was read from (a path, never the secret)
    kibana_url: str | None = None
    kibana_space: str | None = None  # Kibana space id; None = the default space
    kibana_api_key: str | None = field(default=None, repr=False)  # else the Elasticsearch credentials
    kibana_username: str | None = None
    kibana_password: str | None = field(default=None, repr=False)
    home: Path = Path(".es360")
    prefix: str = "es360-"
    engine_port: int = DEFAULT_PORT

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        port_text = env.get("ES360_ENGINE_PORT", str(DEFAULT_PORT))
        try:
            port = int(port_text)
        except ValueError:
            raise Es360Error(f"ES360_ENGINE_PORT must be a port number, got {port_text!r}.") from None
        kibana_key = read_secret(env, "ES360_KIBANA_API_KEY")
        kibana_password = read_secret(env, "ES360_KIBANA_PASSWORD")
        return cls(
            **connection_from_env(env),
            kibana_url=env.get("ES360_KIBANA_URL") or None,
            kibana_space=env.get("ES360_KIBANA_SPACE") or None,
            kibana_api_key=kibana_key.value if kibana_key else None,
            kibana_username=env.get("ES360_KIBANA_USERNAME") or None,
            kibana_password=kibana_password.value if kibana_password else None,
            home=Path(env.get("ES360_HOME", ".es360")),
            prefix=env.get("ES360_PREFIX", "es360-"),
            engine_port=port,
        )

    @property
    def engine_data_dir(self) -> Path:
        return self.home / "engine"

    @property
    def uses_embedded_engine(self) -> bool:
        return self.es_url is None

    @property
    def auth(self) -> str:
        """The authentication scheme in use: api_key, basic, bearer or none."""
        return "api_key" if self.api_key else "basic" if self.username else "bearer" if self.bearer_token else "none"

    def describe(self) -> dict[str, Any]:
        """Settings safe to print: which credentials are set, never their values."""
        return {
            "es_url": self.es_url or f"embedded engine (http://127.0.0.1:{self.engine_port})",
            "auth": self.auth,
            "username": self.username,
            "secret_file": self.secret_file,
            "ca_cert": self.ca_cert,
            "ssl_fingerprint": self.ssl_fingerprint,
            "verify_certs": self.verify_certs,
            "kibana_url": self.kibana_url,
            "home": str(self.home),
            "prefix": self.prefix,
        }


def connect(settings: Settings | None = None, *, verify: bool = True) -> Any:
    """An `Elasticsearch` client for the configured cluster, starting the embedded engine if none is set.

    With `verify`, the cluster is pinged first so an unreachable cluster or bad credentials fail
    with one clear sentence instead of a traceback later.
    """
    from elasticsearch import Elasticsearch
    from elasticsearch.serializer import OrjsonSerializer

    settings = settings or Settings.from_env()
    if settings.uses_embedded_engine:
        from es360.engine_control import ensure_engine

        url = ensure_engine(settings.engine_data_dir, settings.engine_port).url
    else:
        url = settings.es_url or ""
    # orjson: bulk bodies and responses are the hot path of ingest; it is the client's own serializer
    client = Elasticsearch(url, request_timeout=120, serializer=OrjsonSerializer(), **client_options(settings, url))
    if verify:
        _verify(client, url, settings)
    return client


_CREDENTIAL_VARS = {"api_key": "ES360_API_KEY", "basic": "ES360_USERNAME/ES360_PASSWORD",
                    "bearer": "ES360_BEARER_TOKEN",
                    "none": "your settings: no credentials are set (ES360_API_KEY, ES360_USERNAME/ES360_PASSWORD or "
                            "ES360_BEARER_TOKEN)"}


def _verify(client: Any, url: str, settings: Settings) -> None:
    """Ping the cluster; a 403 is fine (the credentials work, the role just lacks `monitor`)."""
    from elasticsearch import ApiError, AuthenticationException, AuthorizationException
    from elasticsearch import ConnectionError as EsConnectionError
    from elasticsearch import SSLError as EsSSLError

    try:
        client.info()
    except AuthenticationException:
        raise Es360Error(f"Elasticsearch at {url} rejected the credentials (401); check "
                         f"{_CREDENTIAL_VARS[settings.auth]}.") from None
    except AuthorizationException:
        return
    except EsSSLError as exc:
        if "WRONG_VERSION_NUMBER" in str(exc):
            raise Es360Error(f"{url} does not answer TLS; use an http:// ES360_ES_URL if the cluster serves "
                             f"plain HTTP.") from None
        raise Es360Error(f"TLS verification of {url} failed ({_short(exc)}); set ES360_CA_CERT to the cluster's CA "
                         f"file or ES360_SSL_FINGERPRINT to its certificate fingerprint.") from None
    except EsConnectionError as exc:
        raise Es360Error(f"Cannot reach Elasticsearch at {url}: {_short(exc)}.") from None
    except ApiError as exc:
        raise Es360Error(f"Elasticsearch at {url} answered {exc.status_code} to a ping.") from None


def _short(exc: Exception) -> str:
    text = str(exc).split("\n")[0]
    return text[:200]
