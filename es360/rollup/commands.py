"""`es360 rollup start|stop|status|recompute`: drive the per-customer rollup transform.

Wired into the main app by `es360.cli` with `register(app)`; each command parses, calls one
function of es360.rollup.service and renders the result. (No `from __future__ import annotations`:
Typer reads the options' annotations at registration, and `JsonOption` is imported from es360.cli
inside `register` to avoid a circular import.)
"""

import re
from collections.abc import Callable
from typing import Annotated, Any

import typer

from es360.errors import Es360Error

MaxAgeOption = Annotated[str | None, typer.Option(
    "--max-age", help="Only recompute when the oldest rollup is older than this (e.g. 24h, 90m); for cron.")]
TimeoutOption = Annotated[int, typer.Option("--timeout", min=1, help="Seconds to wait for the full recompute.")]


def parse_duration(text: str) -> float:
    """Seconds in a duration like `24h`, `90m`, `3600s` or `2d`."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise Es360Error(f"--max-age must look like 24h, 90m, 3600s or 2d, got {text!r}.")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a service call against the configured cluster; failures become one clear sentence."""
    from elastic_transport import TransportError
    from elasticsearch import ApiError

    from es360.cli import _client, _fail, _settings

    settings = _settings()
    es = _client(settings)
    try:
        return fn(es, settings.prefix, *args, **kwargs)
    except Es360Error as exc:
        _fail(str(exc))
    except ApiError as exc:
        _fail(f"Elasticsearch refused the request: {exc.message}.")
    except TransportError as exc:
        _fail(f"Cannot reach Elasticsearch: {exc.message}.")


def _render(status: Any, as_json: bool) -> None:
    from rich.table import Table

    from es360.cli import _emit_json, _fail, console

    if as_json:
        _emit_json(status.as_dict())
    else:
        colour = {"started": "green", "indexing": "green", "stopped": "yellow", "failed": "red"}.get(status.state,
                                                                                                     "white")
        console.print(f"rollup [bold]{status.transform_id}[/]: [{colour}]{status.state}[/] (health {status.health})",
                      highlight=False)
        table = Table(show_header=False, box=None)
        rows = [
            ("checkpoint", str(status.checkpoint)),
            ("last checkpoint", status.last_checkpoint_at or "-"),
            ("lag", f"{_age(status.lag_seconds)} (now - time upper bound {status.time_upper_bound or '-'})"),
            ("documents", f"{status.documents_processed:,} processed, {status.documents_indexed:,} indexed, "
                          f"{status.index_failures:,} failed"),
            ("customers", "-" if status.customers is None else f"{status.customers:,}"),
            ("windows as of", "- (no rollups yet)" if status.oldest_computed_at is None else
             f"{status.oldest_computed_at} (oldest rollup, {_age(status.windows_age_seconds)} old; refresh with "
             "`es360 rollup recompute`)"),
        ]
        if status.pipeline_errors:
            rows.append(("pipeline errors", f"{status.pipeline_errors:,} rollups with churn.stage=error"))
        for key, value in rows:
            table.add_row(key, value)
        console.print(table)
    if status.state == "failed":
        _fail(f"The rollup transform failed: {status.reason or 'no reason given'}.")


def register(app: typer.Typer) -> None:
    """Add the `rollup` command group to the es360 app."""
    from es360.cli import JsonOption

    rollup_app = typer.Typer(help="Run the per-customer rollup (spend, RFM, churn risk): a continuous transform.",
                             no_args_is_help=True)
    app.add_typer(rollup_app, name="rollup")

    @rollup_app.command("start")
    def start_cmd(as_json: JsonOption = False) -> None:
        """Start the continuous rollup transform (no-op if it runs). Example: es360 rollup start"""
        from es360.rollup import service

        _render(_call(service.start), as_json)

    @rollup_app.command("stop")
    def stop_cmd(as_json: JsonOption = False) -> None:
        """Stop the rollup transform after its current checkpoint. Example: es360 rollup stop"""
        from es360.rollup import service

        _render(_call(service.stop), as_json)

    @rollup_app.command("status")
    def status_cmd(as_json: JsonOption = False) -> None:
        """Show state, checkpoint, lag, documents and how fresh the rolling windows are.

        Example: es360 rollup status --json
        """
        from es360.rollup import service

        _render(_call(service.status), as_json)

    @rollup_app.command("recompute")
    def recompute_cmd(max_age: MaxAgeOption = None, timeout: TimeoutOption = 3600, as_json: JsonOption = False) -> None:
        """Recompute every customer (reset + start) so rolling windows and recency are exact again.

        Run it daily (cron), or after a backfill or late ingest. Leaves the transform started.
        Examples: es360 rollup recompute;  es360 rollup recompute --max-age 24h
        """
        from es360.cli import _emit_json, _fail, console
        from es360.rollup import service

        try:
            seconds = parse_duration(max_age) if max_age is not None else None
        except Es360Error as exc:
            _fail(str(exc))
            return
        report = _call(service.recompute, max_age_s=seconds, timeout_s=float(timeout))
        if as_json:
            _emit_json(report.as_dict())
        elif report.skipped:
            console.print(f"rollup {report.transform_id}: recompute skipped, {report.reason}", highlight=False)
        else:
            console.print(f"rollup {report.transform_id}: recomputed {report.customers:,} customers in "
                          f"{report.seconds:.1f}s; removed {report.removed_orphans:,} rollups of customer ids "
                          f"without activity", highlight=False)
