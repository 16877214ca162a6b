"""CLI commands of identity resolution: `es360 resolve`, `es360 explain`, `es360 backfill enrich`.

es360/cli.py wires them in with one line: `register(app)`. Parsing and rendering only; the work
happens in es360.identity.resolve / explain / backfill.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from es360.progress import PhaseProgress


def _cli() -> Any:
    import es360.cli as cli

    return cli


def resolve_cmd(
    evaluate: Annotated[Path | None, typer.Option("--evaluate", metavar="TRUTH",
                                                  help="After resolving, print pairwise precision, recall and F1 "
                                                       "and cluster-level figures against a truth file "
                                                       "(JSON lines, the demo's truth/people.jsonl format).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Resolve and report, but write nothing.")] = False,
    must_merge: Annotated[tuple[str, str] | None, typer.Option(
        "--must-merge", metavar="A B", help="Record that records A and B are one person (a steward override in "
                                            "$ES360_HOME/overrides.json), then resolve.")] = None,
    do_not_merge: Annotated[tuple[str, str] | None, typer.Option(
        "--do-not-merge", metavar="A B", help="Record that records A and B are different people, then resolve.")] = None,
    forget: Annotated[tuple[str, str] | None, typer.Option(
        "--forget", metavar="A B", help="Remove any override on records A and B, then resolve.")] = None,
    list_overrides: Annotated[bool, typer.Option("--list-overrides", help="Print the steward overrides and exit.")] = False,
    threshold: Annotated[float, typer.Option("--threshold", min=0.5, max=0.9999,
                                             help="Match probability at which two records link.")] = 0.9,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Resolve identities: group source records into customers, write golden profiles and the identity index.

    Reads every record from Elasticsearch, links records that are the same person (blocking, Fellegi-Sunter weights fitted by EM, anti-chaining clustering, steward overrides), keeps customer ids stable across runs, writes customers, identity and merge-log, sets customer_id on records and executes the enrich policy. See docs/identity.md.

    Examples: es360 resolve;  es360 resolve --evaluate demo-data/truth/people.jsonl;  es360 resolve --do-not-merge crm:C-7 crm:C-8
    """
    from es360.errors import Es360Error
    from es360.identity.matcher import MatchConfig
    from es360.identity.overrides import forget_override, load_overrides, overrides_path, record_override
    from es360.identity.resolve import resolve

    cli = _cli()
    settings = cli._settings()
    try:
        if list_overrides:
            overrides = load_overrides(settings.home)
            if as_json:
                cli._emit_json({"path": str(overrides_path(settings.home)), **overrides.as_dict()})
            else:
                _print_overrides(cli.console, overrides)
            return
        for kind, pair in (("must_merge", must_merge), ("do_not_merge", do_not_merge)):
            if pair is not None:
                record_override(settings.home, kind, *pair)
        if forget is not None and not forget_override(settings.home, *forget):
            cli._fail(f"There is no override on {forget[0]} and {forget[1]}.")
        es = cli._client(settings)
        with PhaseProgress(cli.err_console) as progress:
            report = resolve(es, settings.prefix, settings.home, truth=evaluate, dry_run=dry_run,
                             config=MatchConfig(threshold=threshold), progress=progress)
    except Es360Error as exc:
        cli._fail(str(exc))
        return
    if as_json:
        cli._emit_json(report.as_dict())
        return
    _print_report(cli.console, report)


def _print_overrides(console: Any, overrides: Any) -> None:
    from rich.table import Table

    table = Table("kind", "record A", "record B", "added")
    for kind in ("must_merge", "do_not_merge"):
        for a, b in getattr(overrides, kind):
            table.add_row(kind.replace("_", "-"), a, b, overrides.added_at.get((kind, a, b), ""))
    console.print(table if overrides.count() else "no overrides")


def _print_report(console: Any, report: Any) -> None:
    from rich.table import Table

    verb = "would write" if report.dry_run else "wrote"
    console.print(f"[bold]resolved[/] {report.records:,} records into {report.customers:,} customers "
                  f"({report.new_customers:,} new, {report.merges:,} merges, {report.splits:,} splits, "
                  f"{report.record_merges:,} groups of new records merged)"
                  f"{'  [yellow](dry run)[/]' if report.dry_run else ''}", highlight=False)
    console.print(f"candidate pairs {report.candidate_pairs:,}, links {report.links:,}, kept apart "
                  f"{report.rejected_links:,}, same-address joins {report.same_address_joins:,}, unique-name joins "
                  f"{report.unique_name_joins:,}; threshold p >= {report.model['threshold']} (weight >= "
                  f"{report.model['threshold_weight']:.1f} bits); {report.activity_emails:,} records gained a "
                  f"mailbox from activity, quoted orders or ticket text; {report.requesters_completed:,} support "
                  f"requesters completed from all their tickets", highlight=False)
    if report.written:
        w = report.written
        console.print(f"{verb}: customers {w['customers_written']:,} (+{w['customers_deleted']:,} deleted), identity "
                      f"{w['identity_written']:,} (+{w['identity_deleted']:,} deleted), records "
                      f"{w['records_updated']:,}, merge-log {w['merge_log']:,}; enrich policy executed",
                      highlight=False)
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items() if "." not in k)
    console.print(f"time: {timing}", highlight=False)
    if report.evaluation:
        e = report.evaluation
        table = Table("measure", "precision", "recall", "F1", title="against the truth file")
        table.add_row("pairwise", f"{e['precision']:.4f}", f"{e['recall']:.4f}", f"{e['f1']:.4f}")
        table.add_row("B-cubed", f"{e['bcubed_precision']:.4f}", f"{e['bcubed_recall']:.4f}", f"{e['bcubed_f1']:.4f}")
        console.print(table)
        console.print(f"exact cluster match: {e['exact_cluster_rate']:.2%} of {e['true_people']:,} people; "
                      f"{e['predicted_customers']:,} customers for {e['records']:,} records", highlight=False)


def explain_cmd(
    record_a: Annotated[str, typer.Argument(help="A record id: source:source_id, e.g. crm:C-1.")],
    record_b: Annotated[str, typer.Argument(help="Another record id, e.g. shop:S-000101.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Show why two records are (or are not) one customer: per-field evidence, weights and the clustering decision.

    Uses the model fitted by the last `es360 resolve`. Example: es360 explain crm:C-1 shop:S-000101
    """
    from es360.errors import Es360Error
    from es360.identity.explain import explain

    cli = _cli()
    settings = cli._settings()
    try:
        es = cli._client(settings)
        result = explain(es, settings.prefix, settings.home, record_a, record_b)
    except Es360Error as exc:
        cli._fail(str(exc))
        return
    if as_json:
        cli._emit_json(result.as_dict())
        return
    _print_explanation(cli.console, result)


def _print_explanation(console: Any, result: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table("field", "level", "weight (bits)", title=f"{result.a['record_id']}  vs  {result.b['record_id']}")
    for name, row in result.evidence["fields"].items():
        colour = "green" if row["weight"] > 0 else ("red" if row["weight"] < 0 else "dim")
        table.add_row(name, row["level"], f"[{colour}]{row['weight']:+.1f}[/]")
    table.add_row("[bold]total[/]", "swapped names" if result.evidence["swapped"] else "",
                  f"[bold]{result.evidence['weight']:+.1f}[/]")
    console.print(table)
    console.print(f"probability {result.evidence['probability']:.4f} (prior {result.prior_weight:+.1f} bits); "
                  f"link threshold {result.threshold_weight:+.1f} bits", highlight=False)
    for label, rec in (("A", result.a), ("B", result.b)):
        console.print(f"{label}: {escape(str(rec['name']))} <{rec['email']}> {rec['phone'] or ''} "
                      f"-> {rec['customer_id'] or 'no customer yet'}", highlight=False)
        if rec.get("name_from_email"):
            parts = " and ".join(f"{part} name '{rec['compared_name'][part]}'" for part in rec["name_from_email"])
            console.print(f"   {parts} read from the email address (not stated in the record)", highlight=False)
        if rec.get("completed_from_tickets"):
            console.print(f"   {' and '.join(rec['completed_from_tickets'])} from the requester's other tickets",
                          highlight=False)
        if rec.get("mailboxes_seen"):
            console.print(f"   also uses {', '.join(rec['mailboxes_seen'])} (seen with it in orders, logins or tickets)",
                          highlight=False)
    colour = "green" if result.decision == "same_customer" else "yellow"
    console.print(f"[{colour}]{result.decision.replace('_', ' ')}[/]: {escape(result.reason)}", highlight=False)
    for step in result.path:
        console.print(f"  {step['a']} -> {step['b']}  {step['weight']:+.1f}", highlight=False)


def backfill_enrich_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Re-tag existing activity and tickets with customer_id (run after `es360 resolve`).

    Runs update_by_query through each index's own pipeline, which looks customer_id up in the identity enrich index; waits for the tasks and reports counts. Example: es360 backfill enrich
    """
    from es360.errors import Es360Error
    from es360.identity.backfill import backfill_enrich

    cli = _cli()
    settings = cli._settings()
    try:
        es = cli._client(settings)
        with PhaseProgress(cli.err_console) as progress:
            report = backfill_enrich(es, settings.prefix, progress=progress)
    except Es360Error as exc:
        cli._fail(str(exc))
        return
    if as_json:
        cli._emit_json(report.as_dict())
        return
    for r in report.results:
        cli.console.print(f"[bold]{r.index}[/]: {r.total:,} documents, {r.updated:,} updated, {r.noops:,} unchanged, "
                          f"{len(r.failures):,} failures; {r.tagged:,} now carry a customer_id ({r.seconds:.1f}s)",
                          highlight=False)
        for failure in r.failures[:5]:
            cli.console.print(f"  failure: {failure}", highlight=False)
    if any(r.failures for r in report.results):
        raise typer.Exit(1)


def _backfill_app(app: typer.Typer) -> typer.Typer:
    """The `backfill` group: reuse one another module registered, or create it."""
    for group in app.registered_groups:
        if group.name == "backfill" and group.typer_instance is not None:
            return group.typer_instance
    sub = typer.Typer(help="Re-process existing documents after a change (enrich, embeddings, ...).",
                      no_args_is_help=True)
    app.add_typer(sub, name="backfill")
    return sub


def register(app: typer.Typer) -> None:
    """Add `resolve`, `explain` and `backfill enrich` to the es360 app."""
    app.command("resolve")(resolve_cmd)
    app.command("explain")(explain_cmd)
    _backfill_app(app).command("enrich")(backfill_enrich_cmd)
