"""The es360 command line: parse, call one service function, render. No logic lives here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from es360 import __version__
from es360.config import Settings
from es360.errors import Es360Error, api_reason
from es360.progress import PhaseProgress, RowProgress

app = typer.Typer(help="es360: a search-centric Customer 360 on Elasticsearch.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
engine_app = typer.Typer(help="Run the embedded Elasticsearch-compatible engine (the default when no "
                              "ES360_ES_URL is set).", no_args_is_help=True)
app.add_typer(engine_app, name="engine")
console = Console()
err_console = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
DataOption = Annotated[Path | None, typer.Option("--data", help="Engine data directory (default: $ES360_HOME/engine).")]
PortOption = Annotated[int | None, typer.Option("--port", help="Port on 127.0.0.1 (default 9260 or $ES360_ENGINE_PORT).")]


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(1)


def _emit_json(payload: Any) -> None:
    sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except Es360Error as exc:
        _fail(str(exc))
        raise  # unreachable


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"es360 {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                               help="Show the version and exit.")] = False) -> None:
    """es360 unifies customer data from many systems into Elasticsearch."""


def _render_status(status: Any, as_json: bool) -> None:
    if as_json:
        _emit_json(status.as_dict())
        return
    if not status.running:
        console.print(f"engine: [yellow]not running[/] (data dir {status.data_dir})")
        return
    table = Table(show_header=False, box=None)
    for key, value in status.as_dict().items():
        table.add_row(key, str(value))
    console.print("engine: [green]running[/]")
    console.print(table)


@engine_app.command("start")
def engine_start(
    data: DataOption = None,
    port: PortOption = None,
    as_json: JsonOption = False,
    security: Annotated[bool, typer.Option(
        "--security", help="Require authentication and enforce roles (superuser `elastic`, password from "
                           "$ES360_ENGINE_ELASTIC_PASSWORD).")] = False,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="PEM certificate: serve HTTPS.")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key of --tls-cert.")] = None,
) -> None:
    """Start the engine in the background (no-op if it already runs on this data dir).

    Example: es360 engine start --port 9260
    Example: ES360_ENGINE_ELASTIC_PASSWORD=... es360 engine start --security --tls-cert c.pem --tls-key k.pem
    """
    from es360.engine_control import start_engine

    settings = _settings()
    try:
        status = start_engine(data or settings.engine_data_dir, port or settings.engine_port, security=security,
                              tls_cert=tls_cert, tls_key=tls_key)
    except Es360Error as exc:
        _fail(str(exc))
    _render_status(status, as_json)


@engine_app.command("stop")
def engine_stop(data: DataOption = None, as_json: JsonOption = False) -> None:
    """Stop the engine of a data directory.

    Example: es360 engine stop
    """
    from es360.engine_control import stop_engine

    settings = _settings()
    stopped = stop_engine(data or settings.engine_data_dir)
    if as_json:
        _emit_json({"stopped": stopped})
    else:
        console.print("engine stopped" if stopped else "engine was not running")


@engine_app.command("status")
def engine_status_cmd(data: DataOption = None, as_json: JsonOption = False) -> None:
    """Show whether the engine runs, where, and how many indices and documents it holds.

    Example: es360 engine status --json
    """
    from es360.engine_control import engine_status

    settings = _settings()
    status = engine_status(data or settings.engine_data_dir)
    _render_status(status, as_json)
    if not status.running:
        raise typer.Exit(3)


def _client(settings: Settings) -> Any:
    from es360.config import connect

    try:
        return connect(settings)
    except Es360Error as exc:
        _fail(str(exc))


@app.command("setup")
def setup_cmd(
    check: Annotated[bool, typer.Option("--check", help="Only report drift between the cluster and the repo's "
                                                        "assets; change nothing (exit 1 on drift).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Install or upgrade es360's templates, indices (behind aliases), enrich policy, pipelines and transforms.

    Idempotent: running it again changes nothing. Examples: es360 setup; es360 setup --check
    """
    from es360.setup import has_drift, run_setup

    settings = _settings()
    es = _client(settings)
    try:
        items = run_setup(es, settings.prefix, check=check)
    except Es360Error as exc:
        _fail(str(exc))
    if as_json:
        _emit_json([i.as_dict() for i in items])
    else:
        table = Table("kind", "name", "action", "detail")
        colours = {"created": "green", "updated": "cyan", "unchanged": "dim", "missing": "yellow",
                   "drift": "yellow", "needs_reindex": "red", "error": "red"}
        for item in items:
            table.add_row(item.kind, item.name, f"[{colours.get(item.action, 'white')}]{item.action}[/]", item.detail)
        console.print(table)
    if any(i.action in ("error", "needs_reindex") for i in items) or (check and has_drift(items)):
        raise typer.Exit(1)


@app.command("status")
def status_cmd(as_json: JsonOption = False) -> None:
    """Show the cluster (or embedded engine), es360's assets and versions, documents per index, last ingests.

    Example: es360 status --json
    """
    from elasticsearch import ApiError

    from es360.status import collect_status

    settings = _settings()
    es = _client(settings)
    try:
        status = collect_status(es, settings)
    except ApiError as exc:
        _fail(f"Elasticsearch refused a status request ({exc.status_code}): {api_reason(exc)}.")
    if as_json:
        _emit_json(status)
        return
    cluster = status["cluster"]
    kind = "embedded engine" if cluster["embedded"] else "Elasticsearch"
    console.print(f"[bold]{kind}[/] {cluster['version']} at {cluster['url']}", highlight=False)
    assets = Table("asset", "name", "state")
    for item in status["assets"]:
        assets.add_row(item["kind"], item["name"], item["action"])
    console.print(assets)
    indices = Table("index", "alias", "behind it", "docs")
    for name, row in status["indices"].items():
        docs = "missing" if row["docs"] is None else f"{row['docs']:,}"
        indices.add_row(name, row["alias"], ", ".join(row["indices"]) or "-", docs)
    console.print(indices)
    if status["last_ingest"]:
        runs = Table("source", "last ingest", "read", "indexed", "duplicates", "rejected", "suppressed")
        for run in status["last_ingest"]:
            runs.add_row(run["source"], str(run["finished_at"]), f"{run['read']:,}", f"{run['indexed']:,}",
                         f"{run['duplicates']:,}", f"{run['rejected']:,}", f"{run.get('suppressed') or 0:,}")
        console.print(runs)
    else:
        console.print("no ingest runs yet")


@app.command("demo")
def demo_cmd(
    customers: Annotated[int, typer.Option("--customers", min=100, max=1_000_000,
                                           help="People in the generated world (1k to 1M).")] = 6000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed and --now give the same world.")] = 360,
    now: Annotated[str | None, typer.Option("--now", help="The world's current time (ISO 8601); default "
                                                          "midnight UTC today.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where the generated files go "
                                                            "(default $ES360_HOME/demo).")] = None,
    embeddings: Annotated[bool, typer.Option("--embeddings/--no-embeddings",
                                             help="Embed the tickets for semantic search (loads the model).")] = True,
    as_json: JsonOption = False,
) -> None:
    """Generate a realistic, messy multi-system world and run es360 on it end to end.

    Installs the assets, writes CRM, shop, support, marketing and web exports (with nicknames,
    typos, phone formats, shared family emails, refunds, churned customers, and a ground-truth
    file), ingests them all, resolves identities (scored against the ground truth), tags activity
    with customer ids, runs the rollup (spend, RFM, churn risk), embeds the tickets and renders
    the dashboards to $ES360_HOME/demo/dashboards.html. Example: es360 demo --customers 20000
    """
    from es360.demo.run import NEXT_STEPS, demo_now, run_demo

    settings = _settings()
    try:
        moment = demo_now(now)
    except ValueError:
        _fail(f"--now must be an ISO 8601 date or time, got {now!r}.")
    es = _client(settings)

    def show(step: Any) -> None:
        if not as_json:
            console.print(f"[green]✓[/] {step.name:<24} {step.detail}  [dim]({step.seconds:.1f}s)[/]",
                          highlight=False)

    try:
        with RowProgress(err_console) as progress, PhaseProgress(err_console) as phases:
            report = run_demo(es, settings, customers=customers, seed=seed, now=moment, out_dir=out,
                              embeddings=embeddings, progress=progress, phase_progress=phases, on_step=show)
    except Es360Error as exc:
        _fail(str(exc))
    if as_json:
        _emit_json(report.as_dict())
        return
    console.print("\n[bold]Try next:[/]")
    for command, why in NEXT_STEPS:
        console.print(f"  [cyan]{command}[/]\n      {why}", highlight=False)


@app.command("ingest")
def ingest_cmd(
    source: Annotated[str, typer.Argument(help="A built-in source mapping (crm, shop-customers, shop-orders, "
                                               "support, marketing-subscribers, marketing-events, web), or any "
                                               "name with --mapping.")],
    files: Annotated[list[str], typer.Argument(help="CSV or JSONL files, optionally .gz; - reads stdin.")],
    mapping: Annotated[Path | None, typer.Option("--mapping", help="A TOML file mapping this system's columns "
                                                                   "to es360 fields.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv or jsonl (default: from the file name).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate every row through the real pipelines; "
                                                            "write nothing.")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=50_000, help="Rows per bulk request.")] = 1000,
    dead_letter: Annotated[Path | None, typer.Option("--dead-letter", help="Where rejected rows go (NDJSON; "
                                                     "default $ES360_HOME/dead-letter/SOURCE-RUN.ndjson).")] = None,
    embed: Annotated[bool, typer.Option("--embed", help="After ingesting tickets, embed the new ones for "
                                                        "semantic search.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Ingest source files through es360's pipelines; prints read = indexed + duplicates + rejected + suppressed.

    Rows that cannot be read or are rejected go to a dead-letter file with file, line and reason.
    An interrupted run resumes where it stopped. Examples:
    es360 ingest crm contacts.csv;  es360 ingest shop-orders orders.csv.gz --dry-run;
    zcat events.jsonl.gz | es360 ingest web - --format jsonl
    """
    from es360.ingest.mapping import load_mapping
    from es360.ingest.run import IngestRun

    settings = _settings()
    try:
        source_mapping = load_mapping(source, mapping)
        es = _client(settings)
        with RowProgress(err_console) as progress:
            run = IngestRun(es, source_mapping, settings.prefix, settings.home, fmt=fmt, dry_run=dry_run,
                            batch_size=batch_size, dead_letter=dead_letter, progress=progress)
            report = run.run(files)
        embedded = None
        if embed and not dry_run and any(t.kind == "tickets" for t in source_mapping.targets):
            from es360.tickets.backfill import embed_new_tickets

            embedded = embed_new_tickets(es, settings.prefix)
    except Es360Error as exc:
        _fail(str(exc))
    if as_json:
        _emit_json({**report.as_dict(), "embeddings": embedded.as_dict() if embedded is not None else None})
    else:
        verb = "would index" if report.dry_run else "indexed"
        console.print(f"[bold]{report.source}[/]: read {report.read:,} = {verb} {report.indexed:,} + duplicates "
                      f"{report.duplicates:,} + rejected {report.rejected:,} + suppressed {report.suppressed:,}  "
                      f"({report.seconds:.1f}s, "
                      f"{report.read / max(report.seconds, 1e-9):,.0f} rows/s)", highlight=False)
        for file, line in report.resumed.items():
            console.print(f"resumed {file} after line {line:,}", highlight=False)
        if report.dead_letter:
            console.print(f"rejected rows: {report.dead_letter}", highlight=False)
        if embedded is not None:
            console.print(f"embedded {embedded.embedded:,} new tickets with {embedded.model}", highlight=False)
    if not report.reconciles:
        _fail("counts do not reconcile; please report this as a bug.")


def _register_commands() -> None:
    """Commands owned by their capability's package."""
    from es360.access.commands import register as register_access
    from es360.dashboard.commands import register as register_dashboard
    from es360.identity.commands import register as register_identity
    from es360.kibana.commands import register as register_kibana
    from es360.privacy.commands import register as register_privacy
    from es360.rollup.commands import register as register_rollup
    from es360.search.commands import register as register_search
    from es360.tickets.commands import register as register_tickets

    for register in (register_identity, register_rollup, register_search, register_tickets,
                     register_kibana, register_dashboard, register_privacy, register_access):
        register(app)


_register_commands()


def run() -> None:
    """The console script: the Typer app, with cluster failures no command anticipated turned into one
    sentence (and exit status 1) instead of a traceback."""
    from elasticsearch import ApiError, TransportError

    try:
        app()
        return
    except ApiError as exc:
        message = f"Elasticsearch answered {exc.status_code} ({api_reason(exc)}); the command stopped there."
    except TransportError as exc:
        message = f"Lost the connection to Elasticsearch ({api_reason(exc, 200)}); the command stopped there."
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    sys.exit(1)


if __name__ == "__main__":
    run()
