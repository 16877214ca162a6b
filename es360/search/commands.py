"""CLI wiring for `es360 search customers`, `es360 show` and `es360 reindex` (render only; logic lives in
es360.search.customers, es360.show and es360.reindex).

es360/cli.py calls `register(app)` once.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from es360.assets import INDEX_KINDS

SEARCH_HELP = "Search customers and support tickets."


def search_group(app: typer.Typer) -> typer.Typer:
    """The `search` command group, shared with other search commands (created if nobody has yet)."""
    for info in app.registered_groups:
        instance = info.typer_instance
        name = info.name if isinstance(info.name, str) else None
        if name is None and instance is not None and isinstance(instance.info.name, str):
            name = instance.info.name
        if name == "search" and instance is not None:
            return instance
    group = typer.Typer(help=SEARCH_HELP, no_args_is_help=True)
    app.add_typer(group, name="search")
    return group


def register(app: typer.Typer) -> None:
    """Add `search customers`, `show` and `reindex` to the es360 app."""
    search_group(app).command("customers")(search_customers_cmd)
    app.command("show")(show_cmd)
    app.command("reindex")(reindex_cmd)


# ---- es360 search customers ----------------------------------------------------------------------------
def search_customers_cmd(
    text: Annotated[list[str], typer.Argument(help="What the caller said: name, email, phone (or its last digits), "
                                                   "postcode, street, order/ticket/customer id, in any mix.")],
    size: Annotated[int, typer.Option("--size", "-n", min=1, max=200, help="How many customers to show.")] = 10,
    country: Annotated[list[str] | None, typer.Option("--country", help="Only customers in this country "
                                                      "(ISO code, e.g. GB; repeatable).")] = None,
    stage: Annotated[list[str] | None, typer.Option("--stage", help="Only customers in this lifecycle stage "
                                                    "(active, new, at_risk, churned, ...; repeatable).")] = None,
    min_spend: Annotated[float | None, typer.Option("--min-spend", help="Only customers with at least this "
                                                    "lifetime net spend (EUR).")] = None,
    prefix: Annotated[bool, typer.Option("--prefix", help="Autocomplete: every word is the start of a "
                                                          "word, and all must match.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Search golden customer profiles with one free-text box; best match first, with why it matched.

    Examples: es360 search customers sammy smith 4471;  es360 search customers "sam.smith@";
    es360 search customers "020 7946 0958";  es360 search customers ORD-10023 --json;
    es360 search customers smith --country GB --stage at_risk --min-spend 500
    """
    from es360.cli import _client, _emit_json, _fail, _settings
    from es360.errors import Es360Error
    from es360.search.customers import search_customers

    settings = _settings()
    es = _client(settings)
    try:
        result = search_customers(es, settings.prefix, " ".join(text), size=size, country=country, stage=stage,
                                  min_spend=min_spend, prefix_mode=prefix)
    except Es360Error as exc:
        _fail(str(exc))
    if as_json:
        _emit_json(result.as_dict())
        return
    _render_hits(result)


def _render_hits(result: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    from es360.cli import console

    if not result.tokens:
        console.print("Nothing searchable in that text (try a name, email, phone digits, postcode or id).")
        return
    if not result.hits:
        console.print(f"No customer matches {escape(result.query)!r}.", highlight=False)
        return
    table = Table("#", "customer", "name", "contact", "where", "stage / risk / spend", "why", show_lines=False)
    for i, hit in enumerate(result.hits, start=1):
        addr = hit.address or {}
        where = ", ".join(p for p in (addr.get("postcode"), addr.get("city"), addr.get("country")) if p)
        contact = "\n".join([*hit.emails[:2], *hit.phones[:2]])
        r = hit.rollup or {}
        facts = " / ".join(str(x) for x in (r.get("stage") or "-", r.get("churn_risk", "-"),
                                            _money(r.get("lifetime_spend")))) if hit.rollup else "-"
        table.add_row(str(i), hit.customer_id, _marked((hit.highlight.get("name.full") or [hit.name])[0]),
                      escape(contact), escape(where), facts, escape("; ".join(hit.why)))
    console.print(table)
    shown = f"{len(result.hits)} of {result.total:,}" if result.total > len(result.hits) else f"{len(result.hits)}"
    extra = f", rollup filter: {result.filter_mode}" if result.filter_mode else ""
    console.print(f"{shown} customers ({result.took_ms:.0f} ms{extra})", style="dim", highlight=False)


def _marked(text: str) -> str:
    """Highlighter output (<em>…</em>) as rich markup, everything else escaped."""
    from rich.markup import escape

    return escape(text).replace("<em>", "[bold yellow]").replace("</em>", "[/]")


def _money(value: Any) -> str:
    return "-" if value is None else f"€{float(value):,.0f}"


# ---- es360 show ----------------------------------------------------------------------------------------
def show_cmd(
    customer: Annotated[list[str], typer.Argument(help="A customer id, or anything `search customers` accepts.")],
    pick: Annotated[int | None, typer.Option("--pick", min=1, help="Choose the Nth customer of the pick list "
                                                                   "when the text fits several.")] = None,
    timeline: Annotated[int, typer.Option("--timeline", min=1, max=500, help="How many recent events.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole view as one JSON document.")] = False,
) -> None:
    """The 360 view of one customer: profile, identifiers and their sources, consent, spend and churn,
    recent activity, orders, tickets and merge history.

    Examples: es360 show C-000123;  es360 show sammy smith 4471;  es360 show smith --pick 2;
    es360 show ORD-10023 --json
    """
    from es360.cli import _client, _emit_json, _fail, _settings
    from es360.errors import Es360Error
    from es360.show import PickList, show_customer

    settings = _settings()
    es = _client(settings)
    try:
        view = show_customer(es, settings.prefix, " ".join(customer), pick=pick, timeline_size=timeline)
    except Es360Error as exc:
        _fail(str(exc))
    if as_json:
        _emit_json(view.as_dict())
    elif isinstance(view, PickList):
        _render_pick_list(view)
    else:
        _render_view(view)


def _render_pick_list(view: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    from es360.cli import console

    console.print(f"Several customers fit {escape(view.query)!r}; show one with --pick N:", highlight=False)
    table = Table("pick", "customer", "name", "contact", "where", "why")
    for i, hit in enumerate(view.candidates, start=1):
        addr = hit.address or {}
        table.add_row(str(i), hit.customer_id, escape(hit.name), escape(", ".join([*hit.emails[:1], *hit.phones[:1]])),
                      escape(", ".join(p for p in (addr.get("city"), addr.get("country")) if p)),
                      escape("; ".join(hit.why)))
    console.print(table)


def _render_view(view: Any) -> None:
    from rich.columns import Columns
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    from es360.cli import console

    p = view.profile
    name = (p.get("name") or {}).get("full") or view.customer_id
    addr = p.get("address") or {}
    lines = [f"[bold]{escape(name)}[/]  [dim]{view.customer_id}[/]"]
    if p.get("birth_date"):
        lines.append(f"born {p['birth_date']}")
    where = ", ".join(x for x in (addr.get("street"), addr.get("postcode"), addr.get("city"), addr.get("country")) if x)
    if where:
        lines.append(escape(where))
    other = sorted(set(p.get("names") or []) - {name})
    if other:
        lines.append("also known as " + escape(", ".join(other)))
    consent = (view.consent.get("email") or {})
    lines.append(f"email consent: [bold]{escape(str(consent.get('status', 'unknown')))}[/]"
                 + (f" (from {escape(str(consent['source']))})" if consent.get("source") else ""))
    if view.why:
        lines.append("[dim]matched: " + escape("; ".join(view.why)) + "[/]")
    ids = Table("identifier", "value", "sources", box=None)
    for ident in view.identifiers:
        ids.add_row(ident["type"], escape(str(ident["value"])), ", ".join(ident["sources"]))
    console.print(Panel("\n".join(lines), title="customer", expand=False))
    r = view.rollup or {}
    churn, spend, orders = r.get("churn") or {}, r.get("spend") or {}, r.get("orders") or {}
    metrics = Table(show_header=False, box=None)
    if view.rollup:
        metrics.add_row("stage", f"[bold]{churn.get('stage', '-')}[/]")
        metrics.add_row("churn risk", f"{churn.get('risk', '-')}" + (f"  ({', '.join(churn['reasons'])})"
                                                                     if churn.get("reasons") else ""))
        metrics.add_row("lifetime spend", _money(spend.get("lifetime_net")))
        metrics.add_row("last 90 days", _money(spend.get("last_90d")))
        metrics.add_row("orders", str(orders.get("count", "-")))
        metrics.add_row("segment", str((r.get("rfm") or {}).get("segment", "-")))
        metrics.add_row("last activity", str(r.get("last_activity_at", "-")))
    else:
        metrics.add_row("rollup", "no metrics yet")
    console.print(Columns([Panel(ids, title="identifiers"), Panel(metrics, title="spend & churn")]))
    timeline = Table("when", "channel", "action", "detail", title="recent activity", title_justify="left")
    for event in view.timeline:
        timeline.add_row(str(event["at"]), str(event["channel"]), str(event["action"] or ""), escape(event["summary"]))
    console.print(timeline if view.timeline else "[dim]no activity[/]")
    orders_t = Table("order", "when", "status", "amount", title="last orders", title_justify="left")
    for o in view.orders:
        amount = "" if o["amount"] is None else f"{o['amount']} {o.get('currency') or ''}"
        orders_t.add_row(escape(str(o["order_id"])), str(o["at"]), str(o["status"] or ""), amount)
    tickets_t = Table("ticket", "opened", "status", "priority", "subject", title="tickets (open first)",
                      title_justify="left")
    seen = set()
    for t in [*view.open_tickets, *view.recent_tickets]:
        if t["ticket_id"] in seen:
            continue
        seen.add(t["ticket_id"])
        tickets_t.add_row(escape(str(t["ticket_id"])), str(t.get("created_at", "")), str(t.get("status", "")),
                          str(t.get("priority", "")), escape(str(t.get("subject", ""))))
    console.print(orders_t if view.orders else "[dim]no orders[/]")
    console.print(tickets_t if seen else "[dim]no tickets[/]")
    history = view.consent.get("history") or []
    if history:
        consent_t = Table("when", "status", "source", "record", "", title="email consent history",
                          title_justify="left")
        for event in history:
            consent_t.add_row(str(event.get("at") or "unknown"), str(event.get("status", "")),
                              escape(str(event.get("source", ""))), escape(str(event.get("record_id", ""))),
                              "now" if event.get("current") else "")
        console.print(consent_t)
    if view.merges:
        merges = Table("when", "action", "with", "weight", "records", title="merge history", title_justify="left")
        for m in view.merges:
            merges.add_row(str(m["at"]), str(m["action"]), ", ".join(m["other_customer_ids"]),
                           "" if m["match_weight"] is None else f"{m['match_weight']:.1f}", ", ".join(m["record_ids"]))
        console.print(merges)
    else:
        console.print("[dim]no merges or splits[/]")


# ---- es360 reindex -------------------------------------------------------------------------------------
def reindex_cmd(
    kind: Annotated[str, typer.Argument(help=f"Which index: {', '.join(INDEX_KINDS)}.")],
    pipeline: Annotated[str | None, typer.Option("--pipeline", help="Send every document through this ingest "
                                                                    "pipeline on the way (default: copy as is).")] = None,
    do_rollback: Annotated[bool, typer.Option("--rollback", help="Point the alias back at the previous index "
                                                                 "(kept by the last reindex).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Rebuild an index from the current mappings with no search downtime: copy into the next version,
    verify counts, swap the alias atomically, keep the old one for --rollback.

    Writes to the index are blocked during the copy. Examples: es360 reindex customers;
    es360 reindex activity --pipeline es360-activity;  es360 reindex customers --rollback
    """
    from es360.cli import _client, _emit_json, _fail, _settings, console, err_console
    from es360.errors import Es360Error
    from es360.reindex import reindex, rollback

    if kind not in INDEX_KINDS:
        _fail(f"Unknown index kind {kind!r}; expected one of {', '.join(INDEX_KINDS)}.")
    if do_rollback and pipeline:
        _fail("--rollback and --pipeline cannot be combined.")
    settings = _settings()
    es = _client(settings)
    try:
        if do_rollback:
            report = rollback(es, settings.prefix, kind)
        else:
            with _ReindexProgress(err_console, kind) as progress:
                report = reindex(es, settings.prefix, kind, pipeline=pipeline, progress=progress)
    except Es360Error as exc:
        _fail(str(exc))
    if as_json:
        _emit_json(report.as_dict())
        return
    if report.action == "rolled_back":
        console.print(f"[bold]{report.alias}[/] rolled back: {report.from_index} ({report.from_count:,} docs) -> "
                      f"{report.to_index} ({report.to_count:,} docs), swapped atomically", highlight=False)
    else:
        via = f" through pipeline {report.pipeline}" if report.pipeline else ""
        console.print(f"[bold]{report.alias}[/]: copied {report.from_index} -> {report.to_index}{via}, "
                      f"{report.to_count:,} of {report.from_count:,} documents verified, alias swapped atomically "
                      f"({report.seconds:.1f}s)", highlight=False)
        if report.templates_updated:
            console.print(f"templates updated first: {', '.join(report.templates_updated)}", highlight=False)
        console.print(f"kept {report.kept_for_rollback} for `es360 reindex {kind} --rollback`", highlight=False)
        if report.deleted:
            console.print(f"deleted other generations: {', '.join(report.deleted)}", highlight=False)
    if report.transform_restarted:
        console.print(f"transform {report.transform_restarted} paused for the copy and restarted", highlight=False)
    if report.note:
        console.print(report.note, highlight=False)


class _ReindexProgress:
    """A rich progress bar for the copy on a terminal; silent otherwise."""

    def __init__(self, err_console: Any, kind: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = (Progress(TextColumn(f"copying {kind}"), BarColumn(), MofNCompleteColumn(),
                                  TimeRemainingColumn(), console=err_console, transient=True)
                         if err_console.is_terminal else None)
        self.task: Any = None

    def __enter__(self) -> _ReindexProgress:
        if self.progress is not None:
            self.progress.start()
            self.task = self.progress.add_task("copy", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=done, total=total or None)
