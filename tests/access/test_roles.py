"""The role and API-key templates in security/ are valid, least-privilege, and match the mappings."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest

from es360.access.roles import (
    ROLE_NAMES,
    api_key_request,
    field_groups,
    kinds_named,
    load_role,
    load_roles,
    mapped_fields,
    security_root,
)
from es360.assets import INDEX_KINDS
from es360.errors import Es360Error

ROLE_KEYS = {"cluster", "indices", "applications", "run_as", "metadata", "remote_indices"}
ENTRY_KEYS = {"names", "privileges", "field_security", "query", "allow_restricted_indices"}
# From Elasticsearch's "Security privileges" reference (8.x).
CLUSTER_PRIVILEGES = {"all", "monitor", "manage", "manage_index_templates", "manage_ingest_pipelines",
                      "manage_pipeline", "read_pipeline", "manage_enrich", "monitor_enrich", "manage_transform",
                      "monitor_transform", "manage_own_api_key", "manage_api_key", "manage_security"}
INDEX_PRIVILEGES = {"all", "read", "write", "index", "create", "create_doc", "delete", "manage", "maintenance",
                    "view_index_metadata", "create_index", "delete_index", "monitor", "auto_configure"}
PERSONAL_KINDS = {"customers", "records", "identity", "tickets", "merge-log"}


def _visible(entry: dict, kind: str) -> set[str]:
    """The leaf fields of `kind` that an index entry's field_security lets through."""
    fls = entry.get("field_security")
    fields = {f for f, leaf in mapped_fields(kind).items() if leaf}
    if not fls:
        return fields
    grant = fls.get("grant", ["*"])
    hidden = fls.get("except", [])
    return {f for f in fields if any(fnmatch.fnmatchcase(f, g) for g in grant)
            and not any(fnmatch.fnmatchcase(f, e) for e in hidden)}


def _hidden_by(group: set[str], visible: set[str], kind: str) -> set[str]:
    """The visible fields that are in `group`, or multi-fields / keys of a leaf field in it."""
    leaves = {f for f, leaf in mapped_fields(kind).items() if leaf}
    return {f for f in visible if f in group or any(f.startswith(g + ".") for g in group & leaves)}


def _entries(role: str, kind: str) -> list[dict]:
    return [e for e in load_role(role).body["indices"] if kind in kinds_named(e["names"])]


def test_every_role_is_a_valid_role_descriptor() -> None:
    for role in load_roles():
        assert set(role.body) <= ROLE_KEYS, role.name
        assert set(role.body["cluster"]) <= CLUSTER_PRIVILEGES, role.name
        assert role.body["metadata"]["application"] == "es360"
        for entry in role.body["indices"]:
            assert set(entry) <= ENTRY_KEYS, role.name
            assert set(entry["privileges"]) <= INDEX_PRIVILEGES, role.name
            assert entry.get("allow_restricted_indices") is False


def test_every_index_pattern_names_an_es360_alias() -> None:
    for role in load_roles():
        for entry in role.body["indices"]:
            for name in entry["names"]:
                assert kinds_named([name]), f"{role.name}: {name} matches no es360 alias"


def test_every_field_security_field_exists_in_the_mappings_it_applies_to() -> None:
    for role in load_roles():
        for entry in role.body["indices"]:
            fls = entry.get("field_security")
            if not fls:
                continue
            fields = {f for kind in kinds_named(entry["names"]) for f in mapped_fields(kind)}
            for pattern in fls.get("grant", []) + fls.get("except", []):
                base = pattern.removesuffix(".*")
                assert pattern == "*" or base in fields, f"{role.name}: {pattern} is in no mapping it applies to"


def test_field_groups_name_real_leaf_fields() -> None:
    leaves = {f for kind in INDEX_KINDS for f, leaf in mapped_fields(kind).items() if leaf}
    for group, fields in field_groups().items():
        for name in fields:
            assert name in leaves, f"{group}: {name} is not a field of any es360 mapping"
    assert {"birth_date", "address.street"} <= set(field_groups()["sensitive"])


def test_support_reads_only_and_never_sees_a_sensitive_field() -> None:
    sensitive = set(field_groups()["sensitive"])
    role = load_role("es360_support").body
    assert role["cluster"] == []
    for entry in role["indices"]:
        assert entry["privileges"] == ["read"]
    for kind in ("customers", "activity", "tickets"):
        assert _entries("es360_support", kind), f"support cannot read {kind}"
    for kind in INDEX_KINDS:
        for entry in _entries("es360_support", kind):
            visible = _visible(entry, kind)
            leaked = _hidden_by(sensitive, visible, kind)
            assert not leaked, f"support sees {leaked} in {kind}"
            assert "customer_id" in visible


def test_analyst_sees_aggregates_without_direct_identifiers() -> None:
    identifiers = set(field_groups()["direct_identifiers"])
    for kind in PERSONAL_KINDS:
        assert not _entries("es360_analyst", kind), f"analyst can read {kind}"
    for kind in ("rollup", "activity"):
        entries = _entries("es360_analyst", kind)
        assert entries
        for entry in entries:
            visible = _visible(entry, kind)
            assert not _hidden_by(identifiers, visible, kind), kind
            assert {"customer_id"} <= visible
    assert {"spend.lifetime_net", "churn.risk"} <= _visible(_entries("es360_analyst", "rollup")[0], "rollup")


def test_ingest_writes_but_cannot_delete_manage_or_read_personal_data() -> None:
    role = load_role("es360_ingest").body
    assert role["cluster"] == ["read_pipeline"]
    for kind in ("records", "activity", "tickets", "ingest-log"):
        privileges = {p for e in _entries("es360_ingest", kind) for p in e["privileges"]}
        assert {"create_doc", "index"} <= privileges
        assert not privileges & {"read", "delete", "write", "manage", "all", "delete_index"}
    for kind in ("customers", "identity", "rollup"):
        assert not _entries("es360_ingest", kind)


def test_admin_manages_every_es360_index_but_not_security() -> None:
    role = load_role("es360_admin").body
    assert set(INDEX_KINDS) <= {k for e in role["indices"] for k in kinds_named(e["names"])}
    assert "manage_security" not in role["cluster"] and "all" not in role["cluster"]
    assert {"manage_index_templates", "manage_ingest_pipelines", "manage_enrich", "manage_transform"} <= set(
        role["cluster"])


def test_prefix_rewrites_index_names_only() -> None:
    role = load_role("es360_support", "acme-").body
    assert role["indices"][0]["names"][0] == "acme-customers"
    assert role["indices"][0]["field_security"] == load_role("es360_support").body["indices"][0]["field_security"]


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_api_key_templates_carry_exactly_their_role(role: str) -> None:
    body = api_key_request(role, name="job", expiration="7d")
    assert body["name"] == "job" and body["expiration"] == "7d"
    assert list(body["role_descriptors"]) == [role]
    descriptor = body["role_descriptors"][role]
    expected = {k: v for k, v in load_role(role).body.items() if k != "metadata"}
    assert descriptor == expected
    assert body["metadata"]["role"] == role
    assert api_key_request(role)["expiration"]  # every template expires by default


def test_unknown_role_is_a_clear_error() -> None:
    with pytest.raises(Es360Error, match="es360_support"):
        api_key_request("superuser")


def test_security_folder_is_packaged_into_the_wheel() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    includes = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert includes.get("security") == "es360/_assets/security"
    assert (security_root() / "roles" / "es360_admin.json").is_file()
