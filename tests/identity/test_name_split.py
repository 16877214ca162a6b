"""Full names split into first and last name at surname particles, the same in the pipeline and in Python."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import Elasticsearch

from es360.assets import load_assets
from es360.identity.features import from_source, split_full_name
from es360.identity.text import SURNAME_PARTICLES, particles_to_last

SPLITS = [
    ("Kees van den Broek", "Kees", "van den Broek"),
    ("Jean de la Fontaine", "Jean", "de la Fontaine"),
    ("Anna Maria von Trapp", "Anna Maria", "von Trapp"),
    ("  Eva   van  Leeuwen ", "Eva", "van Leeuwen"),
    ("Ludwig van", "Ludwig", "van"),  # a particle as the last word is the last name itself
    ("Van Morrison", "Van", "Morrison"),  # ... and as the first word, a first name
    ("S. del Río", "S.", "del Río"),
    ("Anna Maria Schmidt", "Anna Maria", "Schmidt"),
    ("Smith, Sam", "Sam", "Smith"),
    ("Cher", "", "Cher"),
]


def _names_script() -> dict[str, Any]:
    pipeline = next(a.body for a in load_assets() if a.kind == "pipeline" and a.name == "es360-records")
    return next(p["script"] for p in pipeline["processors"] if p.get("script", {}).get("tag") == "names")


@pytest.mark.parametrize(("full", "first", "last"), SPLITS)
def test_python_split_follows_the_rule(full: str, first: str, last: str) -> None:
    assert split_full_name(full) == (first, last)


def test_the_records_pipeline_splits_the_same_way(es: Elasticsearch) -> None:
    pipeline = next(a.body for a in load_assets() if a.kind == "pipeline" and a.name == "es360-records")
    docs = [{"_source": {"source": "crm", "source_id": str(i), "name": {"full": full}}}
            for i, (full, _, _) in enumerate(SPLITS)]
    stored = es.ingest.simulate(pipeline={"processors": pipeline["processors"]}, docs=docs)["docs"]
    got = [(d["doc"]["_source"]["name"].get("first", ""), d["doc"]["_source"]["name"].get("last", "")) for d in stored]
    assert got == [split_full_name(full) for full, _, _ in SPLITS]


def test_python_particles_are_the_pipelines() -> None:
    assert sorted(SURNAME_PARTICLES) == sorted(_names_script()["params"]["surname_particles"])


def test_particles_left_in_a_first_name_move_to_the_last_name() -> None:
    assert particles_to_last("kees van den", "broek") == ("kees", "van den broek")
    assert particles_to_last("s del", "rio") == ("s", "del rio")
    assert particles_to_last("anna maria", "schmidt") == ("anna maria", "schmidt")
    assert particles_to_last("van", "morrison") == ("van", "morrison")
    assert particles_to_last("eva van", "") == ("eva van", "")  # nothing to attach them to


def test_records_stored_by_the_former_split_compare_as_the_new_one_reads_them() -> None:
    old = from_source(0, {"source": "shop", "source_id": "1", "name": {"first": "Pieter van", "last": "Dijk"}})
    new = from_source(1, {"source": "crm", "source_id": "2", "name": {"first": "Pieter", "last": "van Dijk"}})
    assert (old.first, old.last) == (new.first, new.last) == ("pieter", "van dijk")
