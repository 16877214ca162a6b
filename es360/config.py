"""Settings from the environment (ES360_*) and the one place that builds the Elasticsearch client."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    kibana_url: str | None = None
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
        return cls(
            es_url=env.get("ES360_ES_URL") or None,
            api_key=env.get("ES360_API_KEY") or None,
            username=env.get("ES360_USERNAME") or None,
            password=env.get("ES360_PASSWORD") or None,
            ca_cert=env.get("ES360_CA_CERT") or None,
            kibana_url=env.get("ES360_KIBANA_URL") or None,
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

    def describe(self) -> dict[str, Any]:
        """Settings safe to print: which credentials are set, never their values."""
        return {
            "es_url": self.es_url or f"embedded engine (http://127.0.0.1:{self.engine_port})",
            "auth": "api_key" if self.api_key else "basic" if self.username else "none",
            "ca_cert": self.ca_cert,
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

    settings = settings or Settings.from_env()
    if settings.uses_embedded_engine:
        from es360.engine_control import ensure_engine

        url = ensure_engine(settings.engine_data_dir, settings.engine_port).url
        return Elasticsearch(url, request_timeout=120)
    kwargs: dict[str, Any] = {"request_timeout": 120}
    if settings.api_key:
        kwargs["api_key"] = settings.api_key
    elif settings.username:
        kwargs["basic_auth"] = (settings.username, settings.password or "")
    if settings.ca_cert:
        kwargs["ca_certs"] = settings.ca_cert
    client = Elasticsearch(settings.es_url, **kwargs)
    if verify:
        _verify(client, settings.es_url or "")
    return client


def _verify(client: Any, url: str) -> None:
    from elasticsearch import ApiError, AuthenticationException, AuthorizationException
    from elasticsearch import ConnectionError as EsConnectionError

    try:
        client.info()
    except AuthenticationException:
        raise Es360Error(f"Elasticsearch at {url} rejected the credentials (401); check ES360_API_KEY or "
                         f"ES360_USERNAME/ES360_PASSWORD.") from None
    except AuthorizationException:
        raise Es360Error(f"The configured user may not read cluster info at {url} (403).") from None
    except EsConnectionError as exc:
        raise Es360Error(f"Cannot reach Elasticsearch at {url}: {_short(exc)}.") from None
    except ApiError as exc:
        raise Es360Error(f"Elasticsearch at {url} answered {exc.status_code} to a ping.") from None


def _short(exc: Exception) -> str:
    text = str(exc).split("\n")[0]
    return text[:200]
