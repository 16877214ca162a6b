"""The one exception type the CLI turns into a clear one-line message, and reading ES's reasons."""

from __future__ import annotations


class Es360Error(Exception):
    """A user-facing failure: its message is one sentence, printed without a traceback."""


def api_reason(exc: Exception, limit: int = 300) -> str:
    """Elasticsearch's own `error.reason` from an API error (else its first line), for one-sentence errors."""
    body = getattr(exc, "body", None)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        text = str(error.get("reason") or error.get("type") or "")
    elif isinstance(error, str):
        text = error
    else:
        text = str(getattr(exc, "message", None) or exc).split("\n")[0]
    return text[:limit]
