"""Turning Elasticsearch's answers to `_security` calls into one clear sentence."""

from __future__ import annotations

from elasticsearch import ApiError, TransportError

from es360.errors import Es360Error, api_reason

_DISABLED_HINTS = ("security must be explicitly enabled", "security is not enabled", "security is disabled",
                   "no handler found", "unknown url", "incorrect http method")


def security_error(exc: Exception, doing: str) -> Es360Error:
    """An `Es360Error` saying why `doing` (e.g. "install role es360_admin") failed, without secrets."""
    if not isinstance(exc, ApiError):
        text = str(exc).split("\n")[0][:200] if isinstance(exc, TransportError) else type(exc).__name__
        return Es360Error(f"Could not {doing}: cannot reach Elasticsearch ({text}).")
    status = exc.status_code
    reason = api_reason(exc)
    if any(hint in reason.lower() for hint in _DISABLED_HINTS) or status in (404, 405) and "role" not in reason:
        return Es360Error(f"Could not {doing}: security is not enabled on this cluster (enable "
                          f"xpack.security, or start the embedded engine with --security).")
    if status == 401:
        return Es360Error(f"Could not {doing}: the cluster rejected the credentials (401).")
    if status == 403:
        return Es360Error(f"Could not {doing}: the configured user lacks the privilege for it (403); run it as a "
                          f"user with manage_security (roles) or manage_api_key (API keys), such as elastic.")
    return Es360Error(f"Could not {doing}: Elasticsearch answered {status} ({reason}).")

