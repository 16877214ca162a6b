"""`es360 kibana import|export` against a fake Kibana: wire format, outcomes, round-trip, clear failures."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from es360.config import Settings
from es360.errors import Es360Error
from es360.kibana.client import KibanaClient
from es360.kibana.saved_objects import kibana_root, load_saved_objects, to_ndjson
from es360.kibana.sync import export_saved_objects, import_saved_objects
from tests.helpers import free_port
from tests.kibana.fake_kibana import FakeKibana, serve

API_KEY = "a2liYW5hOnNlY3JldA=="


@pytest.fixture()
def fake() -> Iterator[FakeKibana]:
    basic = base64.b64encode(b"elastic:changeme").decode()
    kibana = FakeKibana(authorization={f"ApiKey {API_KEY}", f"Basic {basic}"}, spaces={"default", "team"})
    server, _ = serve(kibana)
    yield kibana
    server.shutdown()
    server.server_close()


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "kibana"
    shutil.copytree(kibana_root(), root)
    return root


def _client(fake: FakeKibana, **kwargs: Any) -> KibanaClient:
    settings = Settings(kibana_url=fake.url, **{"kibana_api_key": API_KEY, **kwargs})
    return KibanaClient.from_settings(settings)


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.json"))}


def test_import_sends_multipart_ndjson_with_xsrf_auth_and_space(fake: FakeKibana, folder: Path) -> None:
    with _client(fake, kibana_space="team") as client:
        report = import_saved_objects(client, folder)
    request = fake.requests[-1]
    assert request.path == "/s/team/api/saved_objects/_import"
    assert request.query == {"overwrite": ["true"]}
    assert request.headers["kbn-xsrf"] and request.headers["authorization"] == f"ApiKey {API_KEY}"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert to_ndjson(load_saved_objects(folder)).encode() in request.body
    assert report.sent == len(load_saved_objects(folder)) == report.count("created")
    assert report.reconciles and not report.count("error")
    assert set(fake.objects("team")) == {(o["type"], o["id"]) for o in load_saved_objects(folder)}
    assert not fake.objects("default"), "nothing lands outside the configured space"


def test_second_import_updates_every_object(fake: FakeKibana, folder: Path) -> None:
    with _client(fake) as client:
        import_saved_objects(client, folder)
        report = import_saved_objects(client, folder)
    assert report.count("updated") == report.sent and report.count("created") == 0
    assert fake.requests[-1].path == "/api/saved_objects/_import", "the default space has no /s/ prefix"


def test_import_errors_are_reported_per_object_and_reconcile(fake: FakeKibana, folder: Path) -> None:
    shutil.rmtree(folder / "index-pattern")  # every lens now references a data view Kibana lacks
    with _client(fake) as client:
        report = import_saved_objects(client, folder)
    assert report.count("error") > 0 and report.reconciles
    failed = [r for r in report.results if r.outcome == "error"]
    assert all(r.reason.startswith("missing references: index-pattern/es360-dv-") for r in failed if r.type == "lens")
    assert report.as_dict()["errors"] == len(failed)


def test_export_of_what_was_imported_changes_nothing(fake: FakeKibana, folder: Path) -> None:
    before = _snapshot(folder)
    with _client(fake) as client:
        import_saved_objects(client, folder)
        report = export_saved_objects(client, folder)
    assert _snapshot(folder) == before
    assert report.count("unchanged") == len(before) and not report.count("written") and not report.count("new")
    exported = fake.requests[-1]
    assert exported.path == "/api/saved_objects/_export"
    body = json.loads(exported.body)
    assert body["includeReferencesDeep"] is True and {"type": "dashboard", "id": "es360-dashboard-spend"} in body["objects"]


def test_round_trip_with_another_prefix(fake: FakeKibana, folder: Path) -> None:
    before = _snapshot(folder)
    with _client(fake) as client:
        import_saved_objects(client, folder, prefix="acme-")
        export_saved_objects(client, folder, prefix="acme-")
    assert ("index-pattern", "acme-dv-rollup") in fake.objects()
    assert _snapshot(folder) == before


def test_export_brings_back_an_edit_made_in_kibana(fake: FakeKibana, folder: Path) -> None:
    with _client(fake) as client:
        import_saved_objects(client, folder)
        store = fake.objects()
        store[("lens", "es360-lens-top-pages")]["attributes"]["title"] = "Top landing pages"
        new_lens = json.loads(json.dumps(store[("lens", "es360-lens-sessions")]))
        new_lens["id"] = "es360-lens-added-in-kibana"
        store[("lens", new_lens["id"])] = new_lens
        dash = store[("dashboard", "es360-dashboard-behavior")]
        dash["references"].append({"type": "lens", "id": new_lens["id"], "name": "extra:panel_extra"})
        report = export_saved_objects(client, folder)
    outcomes = {(r.type, r.id): r.outcome for r in report.results}
    assert outcomes[("lens", "es360-lens-top-pages")] == "written"
    assert outcomes[("lens", "es360-lens-added-in-kibana")] == "new"
    assert outcomes[("dashboard", "es360-dashboard-behavior")] == "written"
    assert sum(1 for o in outcomes.values() if o != "unchanged") == 3
    edited = json.loads((folder / "lens" / "es360-lens-top-pages.json").read_text())
    assert edited["attributes"]["title"] == "Top landing pages" and "updated_at" not in edited
    assert (folder / "lens" / "es360-lens-added-in-kibana.json").is_file()


def test_export_fails_clearly_when_kibana_lacks_an_object(fake: FakeKibana, folder: Path) -> None:
    before = _snapshot(folder)
    with _client(fake) as client, pytest.raises(Es360Error, match="answered 400 .*Error fetching objects"):
        export_saved_objects(client, folder)
    assert _snapshot(folder) == before


def test_es_credentials_are_reused_when_no_kibana_credentials_are_set(fake: FakeKibana, folder: Path) -> None:
    settings = Settings(kibana_url=fake.url, username="elastic", password="changeme")
    with KibanaClient.from_settings(settings) as client:
        import_saved_objects(client, folder)
    assert fake.requests[-1].headers["authorization"].startswith("Basic ")


@pytest.mark.parametrize(("settings", "message"), [
    ({}, "No Kibana URL is configured; set ES360_KIBANA_URL"),
    ({"kibana_url": "FAKE", "kibana_api_key": "wrong"}, "rejected the credentials (401)"),
    ({"kibana_url": "FAKE", "kibana_api_key": API_KEY, "kibana_space": "nope"}, "has no space 'nope' (404)"),
    ({"kibana_url": "DOWN"}, "Cannot reach Kibana at http://127.0.0.1:"),
])
def test_failures_are_one_clear_sentence(fake: FakeKibana, folder: Path, settings: dict[str, Any],
                                         message: str) -> None:
    settings = dict(settings)
    url = settings.get("kibana_url")
    if url == "FAKE":
        settings["kibana_url"] = fake.url
    elif url == "DOWN":
        settings["kibana_url"] = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(Es360Error) as info, KibanaClient.from_settings(Settings(**settings)) as client:
        import_saved_objects(client, folder)
    assert message in str(info.value) and "\n" not in str(info.value)


def _cli(args: list[str], env: dict[str, str]) -> Any:
    from es360.cli import app

    base = {"ES360_KIBANA_URL": "", "ES360_KIBANA_API_KEY": "", "ES360_KIBANA_SPACE": "", "ES360_API_KEY": "",
            "ES360_USERNAME": "", "ES360_PASSWORD": "", "ES360_PREFIX": "es360-"}
    return CliRunner().invoke(app, args, env={**base, **env})


def test_cli_import_and_export(fake: FakeKibana, folder: Path) -> None:
    env = {"ES360_KIBANA_URL": fake.url, "ES360_KIBANA_API_KEY": API_KEY}
    result = _cli(["kibana", "import", "--dir", str(folder), "--json"], env)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["sent"] == body["created"] + body["updated"] + body["errors"] and body["errors"] == 0
    result = _cli(["kibana", "export", "--dir", str(folder)], env)
    assert result.exit_code == 0, result.output
    assert "written 0 + new 0" in result.stdout


def test_cli_exits_non_zero_with_one_sentence(fake: FakeKibana, folder: Path) -> None:
    result = _cli(["kibana", "import", "--dir", str(folder)], {})
    assert result.exit_code == 1 and "No Kibana URL is configured" in result.output
    assert "Traceback" not in result.output
    shutil.rmtree(folder / "index-pattern")
    env = {"ES360_KIBANA_URL": fake.url, "ES360_KIBANA_API_KEY": API_KEY}
    result = _cli(["kibana", "import", "--dir", str(folder)], env)
    assert result.exit_code == 1 and "saved objects were not imported" in result.output


def test_export_ignores_reference_and_key_order(fake: FakeKibana, folder: Path) -> None:
    """Kibana may return references and JSON-string keys in another order: that is not a change."""
    before = _snapshot(folder)
    with _client(fake) as client:
        import_saved_objects(client, folder)
        dash = fake.objects()[("dashboard", "es360-dashboard-churn")]
        dash["references"].reverse()
        panels = json.loads(dash["attributes"]["panelsJSON"])
        dash["attributes"]["panelsJSON"] = json.dumps([dict(reversed(list(p.items()))) for p in panels], indent=1)
        report = export_saved_objects(client, folder)
    assert _snapshot(folder) == before and report.count("unchanged") == len(before)


def test_export_refuses_ids_that_are_not_file_names(fake: FakeKibana, folder: Path) -> None:
    before = _snapshot(folder)
    with _client(fake) as client:
        import_saved_objects(client, folder)
        dash = fake.objects()[("dashboard", "es360-dashboard-churn")]
        fake.objects()[("lens", "../../escape")] = {"id": "../../escape", "type": "lens", "attributes": {},
                                                    "references": []}
        dash["references"].append({"type": "lens", "id": "../../escape", "name": "x:panel_x"})
        with pytest.raises(Es360Error, match="cannot be a file name; nothing was written"):
            export_saved_objects(client, folder)
    assert _snapshot(folder) == before and not (folder.parent / "escape.json").exists()


def test_a_response_that_does_not_account_for_every_object_does_not_reconcile(folder: Path) -> None:
    import httpx

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"success": True, "successCount": 1,
                                         "successResults": [{"type": "lens", "id": "es360-lens-sessions"}]})

    client = KibanaClient("http://kibana.invalid", transport=httpx.MockTransport(answer))
    report = import_saved_objects(client, folder)
    assert report.count("created") == 1 and not report.reconciles


def test_an_id_colon_key_api_key_is_sent_encoded(fake: FakeKibana, folder: Path) -> None:
    with _client(fake, kibana_api_key=base64.b64decode(API_KEY).decode()) as client:
        report = import_saved_objects(client, folder)
    assert report.reconciles and fake.requests[-1].headers["authorization"] == f"ApiKey {API_KEY}"


def test_export_into_an_empty_folder_writes_the_shipped_objects(fake: FakeKibana, folder: Path, tmp_path: Path) -> None:
    with _client(fake) as client:
        import_saved_objects(client, folder)
        report = export_saved_objects(client, tmp_path / "mine")
    assert report.count("new") == len(report.results) and _snapshot(tmp_path / "mine") == _snapshot(folder)
