"""A small httpx client for Kibana's saved objects API (`_import`, `_export`), space-aware.

Credentials: ES360_KIBANA_API_KEY, or ES360_KIBANA_USERNAME/PASSWORD (secrets also as *_FILE), else the Elasticsearch
credentials (ES360_API_KEY, ES360_USERNAME/PASSWORD, bearer token), which is what Kibana accepts
when both use the same security realm. Every failure is one clear sentence (`Es360Error`).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from es360.config import Settings
from es360.errors import Es360Error

TIMEOUT_S = 60.0


class KibanaClient:
    """Talks to one Kibana space; build it with `KibanaClient.from_settings`."""

    def __init__(self, url: str, *, space: str | None = None, headers: dict[str, str] | None = None,
                 auth: tuple[str, str] | None = None, verify: bool | str = True,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.space = space if space and space != "default" else None
        base = f"{self.url}/s/{self.space}" if self.space else self.url
        self._http = httpx.Client(base_url=base, headers={"kbn-xsrf": "es360", **(headers or {})}, auth=auth,
                                  verify=verify, timeout=TIMEOUT_S, transport=transport)

    @classmethod
    def from_settings(cls, settings: Settings, transport: httpx.BaseTransport | None = None) -> KibanaClient:
        """A client for the configured Kibana; fails with one sentence when no Kibana URL is set."""
        if not settings.kibana_url:
            raise Es360Error("No Kibana URL is configured; set ES360_KIBANA_URL (for example http://localhost:5601).")
        headers: dict[str, str] = {}
        auth: tuple[str, str] | None = None
        bearer = getattr(settings, "bearer_token", None)
        if settings.kibana_api_key:
            headers["Authorization"] = f"ApiKey {_encoded_key(settings.kibana_api_key)}"
        elif settings.kibana_username:
            auth = (settings.kibana_username, settings.kibana_password or "")
        elif settings.api_key:
            headers["Authorization"] = f"ApiKey {_encoded_key(settings.api_key)}"
        elif settings.username:
            auth = (settings.username, settings.password or "")
        elif bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        verify: bool | str = settings.ca_cert or getattr(settings, "verify_certs", True)
        return cls(settings.kibana_url, space=settings.kibana_space, headers=headers, auth=auth, verify=verify,
                   transport=transport)

    @property
    def where(self) -> str:
        """The Kibana URL and space, for messages."""
        return f"{self.url} (space {self.space})" if self.space else self.url

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> KibanaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def import_ndjson(self, ndjson: str, *, overwrite: bool = True) -> dict[str, Any]:
        """POST the NDJSON to `_import` (multipart `file`); Kibana's response body."""
        files = {"file": ("es360.ndjson", ndjson.encode(), "application/ndjson")}
        params = {"overwrite": "true"} if overwrite else {}
        response = self._send("POST", "/api/saved_objects/_import", params=params, files=files)
        return _json(response, self.where)

    def export_ndjson(self, objects: list[dict[str, str]], *, include_references_deep: bool = True) -> str:
        """POST to `_export` for these {type, id} objects; the NDJSON text Kibana returns."""
        body = {"objects": objects, "includeReferencesDeep": include_references_deep, "excludeExportDetails": False}
        response = self._send("POST", "/api/saved_objects/_export", json=body)
        return response.text

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise Es360Error(f"Kibana at {self.url} did not answer within {TIMEOUT_S:.0f} s.") from None
        except httpx.HTTPError as exc:
            reason = str(exc).split("\n")[0][:200] or type(exc).__name__
            raise Es360Error(f"Cannot reach Kibana at {self.url}: {reason}.") from None
        if response.status_code == 401:
            raise Es360Error(f"Kibana at {self.url} rejected the credentials (401); check ES360_KIBANA_API_KEY, "
                             f"ES360_KIBANA_USERNAME/ES360_KIBANA_PASSWORD or the Elasticsearch credentials.")
        if response.status_code == 403:
            raise Es360Error(f"The configured user may not manage saved objects in Kibana at {self.where} (403).")
        if response.status_code == 404 and self.space:
            raise Es360Error(f"Kibana at {self.url} has no space {self.space!r} (404); check ES360_KIBANA_SPACE.")
        if response.status_code >= 400:
            raise Es360Error(f"Kibana at {self.where} answered {response.status_code} to {path}: "
                             f"{_message(response)}.")
        return response


def _encoded_key(key: str) -> str:
    """An API key as the Authorization header wants it: the `encoded` form, from `id:key` if need be."""
    return base64.b64encode(key.encode()).decode() if ":" in key else key


def _json(response: httpx.Response, where: str) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise Es360Error(f"Kibana at {where} answered with something that is not a JSON object.")
    return body


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text.strip()[:200] or response.reason_phrase
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)[:300].rstrip(".")
    return str(body)[:200]
