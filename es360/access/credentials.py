"""Reading connection secrets and TLS settings from ES360_* variables, safely.

Each secret comes from its variable (ES360_API_KEY) or from a file named by ES360_API_KEY_FILE,
which must be readable by its owner only. Values are validated here so a mistake is one clear
sentence at start-up, and no message ever quotes a secret.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from es360.errors import Es360Error

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Secret:
    """A secret value and where it came from (the variable, or the file's path)."""

    value: str
    source: str
    from_file: bool = False


def read_secret(env: dict[str, str], name: str) -> Secret | None:
    """The secret in `name` or in the file named by `name`_FILE (never both), or None if unset."""
    direct = env.get(name) or None
    file_var = f"{name}_FILE"
    file_name = env.get(file_var) or None
    if direct and file_name:
        raise Es360Error(f"Set {name} or {file_var}, not both.")
    if direct:
        return Secret(direct.strip(), name)
    if not file_name:
        return None
    path = Path(file_name).expanduser()
    check_private_file(path, file_var)
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise Es360Error(f"Cannot read {file_var} file {path}: {getattr(exc, 'strerror', None) or 'not UTF-8 text'}."
                         ) from None
    if not value:
        raise Es360Error(f"{file_var} file {path} is empty.")
    return Secret(value, str(path), from_file=True)


def check_private_file(path: Path, variable: str) -> None:
    """Refuse a secret file that is missing, not a regular file, or readable by group or others."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise Es360Error(f"{variable} file {path} does not exist.") from None
    except OSError as exc:
        raise Es360Error(f"Cannot read {variable} file {path}: {exc.strerror}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise Es360Error(f"{variable} file {path} is not a regular file.")
    if info.st_mode & 0o077:
        raise Es360Error(f"{variable} file {path} is readable by group or others (mode "
                         f"{stat.S_IMODE(info.st_mode):03o}); run `chmod 600 {path}` first.")


def encode_api_key(value: str) -> str:
    """An API key in the encoded form Elasticsearch expects, from either `id:key` or the encoded form."""
    value = value.strip()
    if ":" in value:
        key_id, _, key = value.partition(":")
        if not key_id or not key:
            raise Es360Error("ES360_API_KEY in the id:key form needs both the id and the key.")
        return base64.b64encode(f"{key_id}:{key}".encode()).decode()
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, ValueError):
        raise Es360Error("ES360_API_KEY must be the encoded API key or id:key, as Elasticsearch returned them."
                         ) from None
    if ":" not in decoded:
        raise Es360Error("ES360_API_KEY must be the encoded API key or id:key, as Elasticsearch returned them.")
    return value


def normalize_fingerprint(value: str) -> str:
    """A SHA-256 certificate fingerprint as 64 lower-case hex digits (colons and spaces dropped)."""
    clean = re.sub(r"[\s:]", "", value).lower()
    if not _FINGERPRINT.match(clean):
        raise Es360Error("ES360_SSL_FINGERPRINT must be the SHA-256 fingerprint of the cluster's certificate "
                         "(64 hex digits, colons allowed).")
    return clean


def parse_bool(env: dict[str, str], name: str, default: bool) -> bool:
    """A true/false variable; anything else is a clear error."""
    text = (env.get(name) or "").strip().lower()
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Es360Error(f"{name} must be true or false, got {text!r}.")


def auth_scheme(api_key: str | None, username: str | None, password: str | None, bearer: str | None) -> str:
    """Which authentication is configured (api_key, basic, bearer or none); more than one is an error."""
    found = [name for name, on in (("ES360_API_KEY", api_key), ("ES360_USERNAME/ES360_PASSWORD", username or password),
                                   ("ES360_BEARER_TOKEN", bearer)) if on]
    if len(found) > 1:
        raise Es360Error(f"Set only one way to authenticate, found {' and '.join(found)}.")
    if password and not username:
        raise Es360Error("ES360_PASSWORD is set but ES360_USERNAME is not.")
    if username and not password:
        raise Es360Error("ES360_USERNAME is set without ES360_PASSWORD or ES360_PASSWORD_FILE.")
    return "api_key" if api_key else "basic" if username else "bearer" if bearer else "none"


def connection_from_env(env: dict[str, str]) -> dict[str, Any]:
    """The connection fields of `Settings` (URL, credentials, TLS), validated, from ES360_* variables."""
    url = (env.get("ES360_ES_URL") or "").strip() or None
    if url:
        try:
            parts = urlsplit(url)
        except ValueError:
            raise Es360Error("ES360_ES_URL is not a valid URL; expected e.g. https://es.example.com:9200.") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Es360Error("ES360_ES_URL must be an http:// or https:// URL such as https://es.example.com:9200.")
        if parts.username or parts.password:
            raise Es360Error("ES360_ES_URL must not contain credentials; use ES360_USERNAME and ES360_PASSWORD "
                             "(or ES360_API_KEY) instead.")
    api_key = read_secret(env, "ES360_API_KEY")
    password = read_secret(env, "ES360_PASSWORD")
    bearer = read_secret(env, "ES360_BEARER_TOKEN")
    username = (env.get("ES360_USERNAME") or "").strip() or None
    auth_scheme(api_key and api_key.value, username, password and password.value, bearer and bearer.value)
    ca_cert = (env.get("ES360_CA_CERT") or "").strip() or None
    fingerprint_text = (env.get("ES360_SSL_FINGERPRINT") or "").strip()
    fingerprint = normalize_fingerprint(fingerprint_text) if fingerprint_text else None
    verify = parse_bool(env, "ES360_VERIFY_CERTS", True)
    if ca_cert and fingerprint:
        raise Es360Error("Set ES360_CA_CERT or ES360_SSL_FINGERPRINT, not both.")
    if not verify and (ca_cert or fingerprint):
        raise Es360Error("ES360_VERIFY_CERTS=false contradicts ES360_CA_CERT/ES360_SSL_FINGERPRINT; drop one.")
    if ca_cert and not Path(ca_cert).expanduser().is_file():
        raise Es360Error(f"ES360_CA_CERT file {ca_cert} does not exist.")
    if url and urlsplit(url).scheme == "http" and (ca_cert or fingerprint or not verify):
        raise Es360Error("TLS settings (ES360_CA_CERT, ES360_SSL_FINGERPRINT, ES360_VERIFY_CERTS) need an "
                         "https:// ES360_ES_URL.")
    files = [s.source for s in (api_key, password, bearer) if s is not None and s.from_file]
    return {
        "es_url": url,
        "api_key": encode_api_key(api_key.value) if api_key else None,
        "username": username,
        "password": password.value if password else None,
        "bearer_token": bearer.value if bearer else None,
        "ca_cert": str(Path(ca_cert).expanduser()) if ca_cert else None,
        "ssl_fingerprint": fingerprint,
        "verify_certs": verify,
        "secret_file": files[0] if files else None,
    }


def client_options(settings: Any, url: str) -> dict[str, Any]:
    """Keyword arguments for `Elasticsearch(url, ...)`: authentication and TLS from `settings`."""
    options: dict[str, Any] = {}
    if settings.api_key:
        options["api_key"] = settings.api_key
    elif settings.username:
        options["basic_auth"] = (settings.username, settings.password or "")
    elif settings.bearer_token:
        options["bearer_auth"] = settings.bearer_token
    if url.startswith("http://") and options and urlsplit(url).hostname not in _LOOPBACK:
        logging.getLogger("es360.config").warning(
            "warning: credentials are sent to %s over plain HTTP; use an https:// ES360_ES_URL.", url)
    if url.startswith("https://"):
        if settings.ssl_fingerprint:
            options["ssl_assert_fingerprint"] = settings.ssl_fingerprint
        elif settings.ca_cert:
            options["ca_certs"] = settings.ca_cert
        if not settings.verify_certs:
            options["verify_certs"] = False
            options["ssl_show_warn"] = False  # es360 warns once, in its own words
            logging.getLogger("es360.config").warning(
                "warning: TLS certificate verification is off (ES360_VERIFY_CERTS=false); anyone on the network "
                "path could read the credentials and data.")
    return options
