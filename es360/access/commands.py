"""CLI wiring for access: `es360 security apply` and `es360 security api-key ROLE`.

Parsing and rendering only; the work is in es360.access.apply and es360.access.api_keys.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from es360.access.roles import ROLE_NAMES

SECURITY_HELP = "Least-privilege access: install es360's roles and create API keys for them."

RoleName = StrEnum("RoleName", {name: name for name in ROLE_NAMES})  # type: ignore[misc]


def register(app: typer.Typer) -> None:
    """Add the `security` group (apply, api-key) to `app`."""
    from es360.tickets.commands import group

    sub = group(app, "security", SECURITY_HELP)
    sub.command("apply")(apply_cmd)
    sub.command("api-key")(api_key_cmd)


def apply_cmd(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be created or updated; change "
                                                            "nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON (with each role's "
                                                         "body).")] = False,
) -> None:
    """Install es360's roles (es360_admin, es360_ingest, es360_support, es360_analyst) on the cluster.

    Needs a user with manage_security (such as elastic). Idempotent: a role that already matches
    security/roles/ is left unchanged. Examples: es360 security apply --dry-run; es360 security apply
    """
    from rich.table import Table

    from es360.access.apply import apply_roles
    from es360.cli import _client, _emit_json, _fail, _settings, console
    from es360.errors import Es360Error

    settings = _settings()
    es = _client(settings)
    try:
        results = apply_roles(es, settings.prefix, dry_run=dry_run)
    except Es360Error as exc:
        _fail(str(exc))
    if as_json:
        _emit_json({"dry_run": dry_run, "roles": [r.as_dict() for r in results]})
        return
    table = Table("role", "action", "indices")
    colours = {"created": "green", "updated": "cyan", "unchanged": "dim", "create": "yellow", "update": "yellow"}
    for r in results:
        names = ", ".join(n for e in r.body.get("indices", []) for n in e.get("names", []))
        table.add_row(r.role, f"[{colours.get(r.action, 'white')}]{r.action}[/]", names)
    console.print(table)
    if dry_run:
        console.print("dry run: nothing was changed", highlight=False)


def api_key_cmd(
    role: Annotated[RoleName, typer.Argument(help="The es360 role the key carries.")],
    name: Annotated[str, typer.Option("--name", help="A name for the key, e.g. who or what uses it.")],
    expiration: Annotated[str | None, typer.Option("--expiration", help="Lifetime such as 30d, 12h (default: "
                                                   "the template's, from security/api-keys/).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print id, name, role, expiration and the encoded "
                                                         "key as JSON.")] = False,
) -> None:
    """Create an API key limited to one es360 role and print the encoded key once, on stdout.

    The key cannot be shown again: store it in a secret store, then use it with ES360_API_KEY or
    ES360_API_KEY_FILE. Example: es360 security api-key es360_support --name helpdesk --expiration 30d
    """
    from es360.access.api_keys import check_request, create_api_key
    from es360.cli import _client, _emit_json, _fail, _settings, err_console
    from es360.errors import Es360Error

    settings = _settings()
    try:
        check_request(name, expiration)
    except Es360Error as exc:
        _fail(str(exc))
    es = _client(settings)
    try:
        key = create_api_key(es, role.value, name, settings.prefix, expiration)
    except Es360Error as exc:
        _fail(str(exc))
    if as_json:
        _emit_json(key.as_dict())
        return
    err_console.print(f"API key {key.name!r} (id {key.id}) for {key.role}; shown once, store it now:",
                      highlight=False)
    sys.stdout.write(key.encoded + "\n")
