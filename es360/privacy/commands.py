"""CLI commands of privacy: `es360 forget` (erasure) and `es360 export` (subject access request).

es360/cli.py wires them in with `register(app)`. Parsing and rendering only; the work happens in
es360.privacy.forget and es360.privacy.export.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

CustomerArg = Annotated[str, typer.Argument(help="A customer id, or an email, phone or source id (crm:C-1) that "
                                                 "belongs to exactly one customer.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _cli() -> Any:
    import es360.cli as cli

    return cli


def _interactive() -> bool:
    """Whether someone can answer a confirmation prompt."""
    return sys.stdin.isatty()


def forget_cmd(
    customer: CustomerArg,
    yes: Annotated[bool, typer.Option("--yes", help="Erase without asking for confirmation.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be erased; change nothing.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Erase one person from es360 (GDPR/CCPA): profile, identity, records, activity, tickets, rollup, merge log.

    Their identifiers go on the suppression list (salted hashes) so re-ingesting old files skips
    them, the identity enrich policy is re-executed, every index is checked to hold nothing of
    them, and an audit entry (no personal data) records who did it.
    Examples: es360 forget cus_3f2a9c --dry-run;  es360 forget sam@example.com --yes
    """
    from es360.errors import Es360Error
    from es360.privacy.forget import dry_run_report, execute_forget, plan_forget

    cli = _cli()
    settings = cli._settings()
    try:
        es = cli._client(settings)
        plan = plan_forget(es, settings.prefix, customer)
        if dry_run:
            report = dry_run_report(plan)
        else:
            if not yes:
                if not _interactive():
                    cli._fail("Refusing to erase without confirmation: pass --yes when not running interactively.")
                _render(cli.console, dry_run_report(plan))
                if not typer.confirm(f"Erase customer {plan.footprint.customer_id} permanently?", default=False):
                    cli._fail("Nothing was erased.")
            report = execute_forget(es, settings.prefix, settings.home, plan)
    except Es360Error as exc:
        cli._fail(str(exc))
        return
    if as_json:
        cli._emit_json(report.as_dict())
    else:
        _render(cli.console, report)
    if not report.dry_run and not report.verified:
        cli._fail(f"Some documents of {report.customer_id} remain (see 'left'); run the same `es360 forget` again.")


def _render(console: Any, report: Any) -> None:
    from rich.table import Table

    verb = "would remove" if report.dry_run else "removed"
    table = Table("index", verb, *(() if report.dry_run else ("left",)))
    for row in report.indices:
        table.add_row(row.index, f"{row.count:,}", *(() if report.dry_run else (f"{row.remaining:,}",)))
    console.print(table)
    ids = report.identifiers
    console.print(f"customer {report.customer_id}: {verb} {report.total:,} documents; identifiers: "
                  f"{ids.get('email', 0)} emails, {ids.get('phone', 0)} phones, {ids.get('record', 0)} source ids"
                  f" ({ids.get('shared_kept', 0)} shared with other customers, kept)", highlight=False)
    if not report.dry_run:
        enrich = {None: "not checked", 0: "clean"}.get(report.enrich_remaining, f"{report.enrich_remaining} left")
        console.print(f"suppression list: +{report.suppression_added} hashed identifiers; enrich policy "
                      f"re-executed: {'yes' if report.enrich_executed else 'no'} ({enrich}); audit {report.audit_id}",
                      highlight=False)


def export_cmd(
    customer: CustomerArg,
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON document to this file (owner-only "
                                                           "permissions) instead of stdout.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Export everything es360 holds about one person as one JSON document (subject access request).

    Profile, identifiers, source records (raw rows included), identity entries, activity, tickets
    (embedding vectors omitted), rollup, merge log and consent. Without --out the document goes to
    stdout. Every export is recorded in the audit index.
    Examples: es360 export cus_3f2a9c --out sar.json;  es360 export sam@example.com > sar.json
    """
    from es360.errors import Es360Error
    from es360.privacy.export import export_customer, export_to_file

    cli = _cli()
    settings = cli._settings()
    try:
        es = cli._client(settings)
        if out is None:
            export_customer(es, settings.prefix, customer, sys.stdout)
            return
        report = export_to_file(es, settings.prefix, customer, out)
    except Es360Error as exc:
        cli._fail(str(exc))
        return
    if as_json:
        cli._emit_json(report.as_dict())
        return
    counts = ", ".join(f"{k} {v:,}" for k, v in report.counts.items())
    cli.console.print(f"exported customer {report.customer_id} to {report.path} ({counts}); audit {report.audit_id}",
                      highlight=False)


def register(app: typer.Typer) -> None:
    """Add `es360 forget` and `es360 export` to `app`."""
    app.command("forget")(forget_cmd)
    app.command("export")(export_cmd)
