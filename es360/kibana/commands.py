"""CLI wiring for `es360 kibana import` and `es360 kibana export`: parse, call es360.kibana.sync, render."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

KIBANA_HELP = "Import es360's dashboards, data views and saved searches into Kibana, or export them back."
DirOption = Annotated[Path | None, typer.Option("--dir", help="Saved objects folder (default: es360's kibana/).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def register(app: typer.Typer) -> None:
    """Add the `kibana` group with `import` and `export` to `app`."""
    from es360.tickets.commands import group

    kibana = group(app, "kibana", KIBANA_HELP)
    kibana.command("import")(import_cmd)
    kibana.command("export")(export_cmd)


def import_cmd(folder: DirOption = None, as_json: JsonOption = False) -> None:
    """Create or overwrite es360's saved objects in Kibana (POST /api/saved_objects/_import?overwrite=true).

    Connection: ES360_KIBANA_URL, ES360_KIBANA_SPACE (default space if unset), ES360_KIBANA_API_KEY or
    ES360_KIBANA_USERNAME/PASSWORD, secrets also as *_FILE (else the Elasticsearch credentials). Prints created/updated/errors
    per object and exits 1 if any object failed. Example: es360 setup && es360 kibana import
    """
    from es360.cli import _emit_json, _fail, _settings
    from es360.errors import Es360Error
    from es360.kibana.client import KibanaClient
    from es360.kibana.sync import import_saved_objects

    settings = _settings()
    try:
        with KibanaClient.from_settings(settings) as client:
            report = import_saved_objects(client, folder, settings.prefix)
    except Es360Error as exc:
        _fail(str(exc))
        return
    if as_json:
        _emit_json(report.as_dict())
    else:
        _render(report.results)
        from es360.cli import console

        console.print(f"[bold]kibana import[/] into {report.where}: sent {report.sent} = created "
                      f"{report.count('created')} + updated {report.count('updated')} + errors "
                      f"{report.count('error')}", highlight=False)
    if not report.reconciles:
        _fail(f"Kibana reported {len(report.results)} outcomes for {report.sent} objects sent; check Kibana's logs.")
    if report.count("error"):
        _fail(f"{report.count('error')} of {report.sent} saved objects were not imported; see the errors above.")


def export_cmd(folder: DirOption = None, as_json: JsonOption = False) -> None:
    """Write es360's saved objects as Kibana now holds them back into kibana/ (one JSON file per object).

    Exports the dashboards, data views and saved searches of the folder with every object they
    reference (includeReferencesDeep), so panels edited or added in Kibana come back as a small,
    reviewable diff. Files are only rewritten when they changed. Example: es360 kibana export
    """
    from es360.cli import _emit_json, _fail, _settings, console
    from es360.errors import Es360Error
    from es360.kibana.client import KibanaClient
    from es360.kibana.saved_objects import kibana_root
    from es360.kibana.sync import export_saved_objects

    settings = _settings()
    root = folder or kibana_root()
    try:
        if folder is None and "_assets" in root.parts:
            raise Es360Error("es360 is installed as a package; pass --dir FOLDER to choose where the export goes.")
        with KibanaClient.from_settings(settings) as client:
            report = export_saved_objects(client, root, settings.prefix)
    except Es360Error as exc:
        _fail(str(exc))
        return
    if as_json:
        _emit_json(report.as_dict())
        return
    _render([r for r in report.results if r.outcome != "unchanged"])
    console.print(f"[bold]kibana export[/] from {report.where} into {report.folder}: {len(report.results)} objects = "
                  f"written {report.count('written')} + new {report.count('new')} + unchanged "
                  f"{report.count('unchanged')}", highlight=False)


def _render(results: list[Any]) -> None:
    from rich.markup import escape
    from rich.table import Column, Table

    from es360.cli import console

    if not results:
        return
    with_reasons = any(r.reason for r in results)
    columns = [Column("outcome", no_wrap=True), Column("type", no_wrap=True), Column("id", no_wrap=True),
               Column("title")] + ([Column("reason")] if with_reasons else [])
    table = Table(*columns)
    colors = {"error": "red", "created": "green", "new": "green"}
    for r in results:
        color = colors.get(r.outcome, "cyan")
        row = [f"[{color}]{r.outcome}[/]", r.type, escape(r.id), escape(r.title)]
        table.add_row(*row, *([escape(r.reason)] if with_reasons else []))
    console.print(table)
