"""`es360 dashboard --out FILE.html`: the Kibana dashboards as one offline HTML snapshot.

Wired into the main app by `es360.cli` with `register(app)`. (No `from __future__ import
annotations`: Typer reads the options' annotations at registration.)
"""

from pathlib import Path
from typing import Annotated

import typer

from es360.errors import Es360Error

OutOption = Annotated[Path, typer.Option("--out", help="The HTML file to write (one self-contained page).")]
FromOption = Annotated[str | None, typer.Option(
    "--from", help="Start of the time range: date math (now-1y, now-90d/d) or an ISO date. Default: each "
                   "dashboard's saved range, else now-1y.")]
ToOption = Annotated[str | None, typer.Option("--to", help="End of the time range (default now).")]


def register(app: typer.Typer) -> None:
    """Add the `dashboard` command to the es360 app."""
    from es360.cli import JsonOption

    @app.command("dashboard")
    def dashboard_cmd(out: OutOption, time_from: FromOption = None, time_to: ToOption = None,
                      as_json: JsonOption = False) -> None:
        """Render es360's Kibana dashboards (behavior, spend, churn) to one offline HTML file.

        Every Lens panel runs the same aggregations Kibana would, against the configured cluster
        (or the embedded engine). Example: es360 dashboard --out dashboards.html --from now-90d
        """
        from elastic_transport import TransportError
        from rich.markup import escape

        from es360.cli import _client, _emit_json, _fail, _settings, console
        from es360.dashboard.build import build_dashboard_html

        settings = _settings()
        try:
            es = _client(settings)
            summary = build_dashboard_html(es, settings, out, time_from=time_from, time_to=time_to)
        except Es360Error as exc:
            _fail(str(exc))
            return
        except TransportError as exc:
            _fail(f"Cannot reach Elasticsearch: {exc.message}.")
            return
        if as_json:
            _emit_json(summary.as_dict())
        else:
            for dash in summary.dashboards:
                line = (f"[bold]{dash.title}[/]: {dash.count('rendered')} rendered, {dash.count('empty')} empty, "
                        f"{dash.count('failed')} failed")
                console.print(line + (f", {dash.count('skipped')} not rendered" if dash.count("skipped") else ""),
                              highlight=False)
                for panel in dash.panels:
                    if panel.status == "failed":
                        console.print(f"  [red]✗[/] {escape(panel.title)}: {escape(panel.error or '')}",
                                      highlight=False)
            console.print(f"wrote {summary.out_path} ({summary.seconds:.1f}s)", highlight=False)
            if not summary.found_data:
                console.print(f"no data found under the prefix {settings.prefix!r}: load some with `es360 demo` "
                              "or `es360 ingest`, then `es360 resolve` and `es360 rollup start`.", highlight=False)
        panels = sum(len(d.panels) for d in summary.dashboards)
        if panels and summary.total("failed") == panels:
            _fail(f"Every panel failed ({panels}); is es360 set up on this cluster (`es360 setup`)?")
