"""CLI wiring for tickets: `es360 backfill embeddings` and `es360 search tickets`.

`register(app)` adds both commands to the `backfill` and `search` groups, reusing groups that
another module already registered. Parsing and rendering only; the work is in es360.tickets.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

import typer

BACKFILL_HELP = "Fill in derived data (such as ticket embeddings) for documents that lack it."
SEARCH_HELP = "Search customers and support tickets."
_EM = re.compile(r"<em>(.*?)</em>", re.S)


class Mode(StrEnum):
    """Ticket search modes."""

    keyword = "keyword"
    semantic = "semantic"
    hybrid = "hybrid"


def register(app: typer.Typer) -> None:
    """Add `backfill embeddings` and `search tickets` to `app`."""
    group(app, "backfill", BACKFILL_HELP).command("embeddings")(backfill_embeddings_cmd)
    group(app, "search", SEARCH_HELP).command("tickets")(search_tickets_cmd)


def group(app: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """The sub-app called `name` on `app`, created if no module registered it yet."""
    for info in app.registered_groups:
        instance = info.typer_instance
        info_name = info.name if isinstance(info.name, str) else None
        if info_name is None and instance is not None and isinstance(instance.info.name, str):
            info_name = instance.info.name
        if info_name == name and instance is not None:
            return instance
    sub = typer.Typer(help=help_text, no_args_is_help=True)
    app.add_typer(sub, name=name)
    return sub


def backfill_embeddings_cmd(
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=10_000,
                                            help="Tickets read, embedded and written per batch.")] = 512,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Embed at most this many tickets.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count the tickets that need embedding.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Embed tickets that have no vector or one from another model/version (resumable: re-run to continue).

    The model is $ES360_EMBEDDING_MODEL (a local sentence-transformers directory) or the packaged
    all-MiniLM-L6-v2; search uses the same setting. Prints scanned = embedded + skipped + failed.
    Examples: es360 backfill embeddings;
    es360 backfill embeddings --dry-run; ES360_EMBEDDING_MODEL=./my-model es360 backfill embeddings
    """
    from es360.cli import _client, _emit_json, _fail, _settings, console, err_console
    from es360.embeddings import get_embedder
    from es360.errors import Es360Error
    from es360.progress import PhaseProgress
    from es360.tickets.backfill import backfill_embeddings, count_stale

    settings = _settings()
    try:
        embedder = get_embedder()
        es = _client(settings)
        if dry_run:
            stale = count_stale(es, settings.prefix, embedder)
            if as_json:
                _emit_json({"model": embedder.name, "version": embedder.version, "stale": stale})
            else:
                console.print(f"{stale:,} tickets need embedding with {embedder.name} ({embedder.version})",
                              highlight=False)
            return
        with PhaseProgress(err_console) as phases:
            report = backfill_embeddings(es, settings.prefix, embedder, batch_size=batch_size, limit=limit,
                                         progress=lambda r: phases("embedding tickets", r.scanned, r.total))
    except Es360Error as exc:
        _fail(str(exc))
        return
    if as_json:
        _emit_json(report.as_dict())
    elif report.total == 0 and report.scanned == 0:
        console.print(f"nothing to embed: every ticket has a vector from {report.model} ({report.version})",
                      highlight=False)
    else:
        console.print(f"[bold]embeddings[/] ({report.model} {report.version}): scanned {report.scanned:,} = "
                      f"embedded {report.embedded:,} + skipped {report.skipped:,} + failed {report.failed:,}  "
                      f"({report.seconds:.1f}s, {report.rate:,.1f} tickets/s; model alone "
                      f"{report.encode_rate:,.1f}/s)", highlight=False)
        for reason, n in report.skip_reasons.items():
            console.print(f"  skipped {n:,}: {reason}", highlight=False)
        for failure in report.failures:
            console.print(f"  failed {failure['ticket_id']}: {failure['reason']}", highlight=False)
    if not report.reconciles:
        _fail("counts do not reconcile; please report this as a bug.")
    if report.failed:
        _fail(f"{report.failed:,} tickets could not be updated; run the command again to retry them.")


def search_tickets_cmd(
    text: Annotated[str, typer.Argument(help="What the ticket is about, in any words.")] = "",
    mode: Annotated[Mode, typer.Option("--mode", case_sensitive=False,
                                       help="keyword (BM25), semantic (embeddings) or hybrid (both, fused).")
                    ] = Mode.hybrid,
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer's tickets (customer id "
                                                                    "or requester email).")] = None,
    status: Annotated[list[str] | None, typer.Option("--status", help="Only tickets in this status (repeat or "
                                                                      "comma-separate: open,pending).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Created on or after a date (2025-06-01) or date "
                                                              "math (now-30d).")] = None,
    similar_to: Annotated[str | None, typer.Option("--similar-to", metavar="TICKET_ID",
                                                   help="Find tickets like this one.")] = None,
    size: Annotated[int, typer.Option("--size", min=1, max=100, help="How many tickets to show.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Find support tickets by meaning and words, even when worded differently.

    Examples: es360 search tickets "charged twice for one order";
    es360 search tickets "parcel never arrived" --status open --since now-30d;
    es360 search tickets --similar-to T-10042 --mode semantic
    """
    from es360.cli import _client, _emit_json, _fail, _settings
    from es360.errors import Es360Error
    from es360.tickets.search import search_tickets

    settings = _settings()
    try:
        es = _client(settings)
        results = search_tickets(es, settings.prefix, text, mode=mode.value, customer=customer, status=status,
                                 since=since, similar_to=similar_to, size=size)
    except Es360Error as exc:
        _fail(str(exc))
        return
    if as_json:
        _emit_json(results.as_dict())
        return
    _render_results(results)


def _render_results(results: Any) -> None:
    from rich.markup import escape
    from rich.table import Column, Table

    from es360.cli import console

    how = f"{results.mode} ({results.fusion} fusion)" if results.fusion else results.mode
    what = f"like {results.similar_to}" if results.similar_to else ""
    if results.query:
        what = f"{what} matching {results.query!r}".strip()
    console.print(f"[bold]{len(results.hits)}[/] tickets {escape(what)} · {how} · {results.took_ms:,.0f} ms",
                  highlight=False)
    if results.warning:
        console.print(f"[yellow]{escape(results.warning)}[/]", highlight=False)
    if not results.hits:
        return
    table = Table("#", Column("ticket", no_wrap=True), Column("subject", ratio=2), Column("status", no_wrap=True),
                  Column("created", no_wrap=True), Column("customer", no_wrap=True), Column("match", ratio=3))
    for i, hit in enumerate(results.hits, 1):
        table.add_row(str(i), escape(hit.ticket_id), escape(hit.subject), escape(hit.status or "-"),
                      (hit.created_at or "-")[:10], escape(hit.customer_id or hit.requester_email or "-"),
                      _marked(hit.snippet))
    console.print(table)


def _marked(snippet: str) -> str:
    """A highlighted snippet as rich markup: everything escaped, <em> pairs shown bold."""
    from rich.markup import escape

    out, pos = [], 0
    for m in _EM.finditer(snippet):
        out.append(escape(snippet[pos:m.start()]))
        out.append(f"[bold yellow]{escape(m.group(1))}[/]")
        pos = m.end()
    out.append(escape(snippet[pos:]))
    return "".join(out)
