"""Fellegi-Sunter weights: EM recovers m, u and lambda; the fitted model scores real-looking pairs sensibly."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from es360.identity.compare import FIELD_INDEX, FIELDS
from es360.identity.matcher import Resolution, match, score_pair
from es360.identity.model import MIN_PAIRS_FOR_EM, Model, NameFrequencies, _em, train
from tests.identity.conftest import make_rec


def _draw(rng: np.random.Generator, probs: list[list[float]], n: int) -> np.ndarray:
    cols = [rng.choice(np.arange(1, len(p) + 1), size=n, p=p) for p in probs]
    return np.stack(cols, axis=1)


def test_em_recovers_known_parameters_on_a_synthetic_mixture() -> None:
    rng = np.random.default_rng(7)
    m = [[0.8, 0.08, 0.05, 0.03, 0.02, 0.02], [0.85, 0.1, 0.02, 0.03], [0.75, 0.01, 0.04, 0.05, 0.15],
         [0.7, 0.01, 0.1, 0.19], [0.9, 0.07, 0.03], [0.7, 0.15, 0.01, 0.09, 0.05]]
    u = [[0.05, 0.03, 0.02, 0.02, 0.08, 0.8], [0.1, 0.05, 0.05, 0.8], [0.01, 0.02, 0.01, 0.06, 0.9],
         [0.005, 0.005, 0.01, 0.98], [0.01, 0.01, 0.98], [0.01, 0.01, 0.05, 0.13, 0.8]]
    matches, others = _draw(rng, m, 6000), _draw(rng, u, 14000)
    levels = np.vstack([matches, others])
    levels[rng.random(levels.shape) < 0.2] = 0  # 20% missing values
    model = train(levels)
    assert model.converged
    assert abs(model.lam - 0.3) < 0.02
    for f in range(len(FIELDS)):
        assert np.allclose(model.m[f], m[f], atol=0.04), FIELDS[f].name
        assert np.allclose(model.u[f], u[f], atol=0.04), FIELDS[f].name
    weights = model.level_weights()
    assert all(w[1] > 0 > w[-1] for w in weights)  # exact agreement is evidence for, difference against


def test_model_round_trips_through_json() -> None:
    model = train(np.array([[1, 1, 1, 1, 1, 1], [6, 4, 5, 4, 3, 5]] * 50))
    model.tf = {"first_name": NameFrequencies.from_values(["sam", "sam", "ann"])}
    again = Model.from_dict(model.as_dict())
    assert again.level_weights() == model.level_weights() and again.tf["first_name"].counts == {"sam": 2}


def test_rare_names_weigh_more_than_common_ones() -> None:
    freq = NameFrequencies.from_values(["smith"] * 50 + ["jones"] * 30 + ["quispe"] + ["x"] * 19)
    assert freq.adjustment("quispe") > 0 > freq.adjustment("smith")


def test_the_fitted_model_links_one_person_and_keeps_a_family_apart(fitted: Resolution) -> None:
    model = fitted.model
    sam = make_rec(0, "crm:C-1", "Samuel", "Smith", email="sam.smith@gmail.com", phone="+447700900123",
                   birth_date="1984-03-07")
    sammy = make_rec(1, "shop:S-1", "Sammy", "Smith", email="samsmith@gmail.com", phone="+447700900123")
    assert score_pair(model, sam, sammy).weight > model.threshold_weight
    father = make_rec(2, "crm:C-2", "John", "Smith", email="thesmiths@gmail.com", phone="+441132000000",
                      birth_date="1950-01-01", address={"street": "1 Elm Road", "postcode": "LS1 1AA", "city": "Leeds"})
    daughter = make_rec(3, "shop:S-2", "Jane", "Smith", email="thesmiths@gmail.com", phone="+441132000000",
                        address={"street": "1 Elm Road", "postcode": "LS1 1AA", "city": "Leeds"})
    assert score_pair(model, father, daughter).weight < 0


def test_the_same_name_with_nothing_else_in_common_is_not_a_match(fitted: Resolution) -> None:
    model = fitted.model
    a = make_rec(0, "crm:C-1", "John", "Lee", email="john.lee@gmail.com", phone="+12125550101", birth_date="1970-05-05")
    b = make_rec(1, "crm:C-2", "John", "Lee", email="jlee77@yahoo.com", phone="+13105550199", birth_date="1988-11-21")
    assert score_pair(model, a, b).weight < 0


def test_em_on_a_small_world_keeps_the_fit_where_agreeing_on_a_contact_means_a_match() -> None:
    rows = []
    for line in (Path(__file__).parent / "data" / "small_world_levels.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            pattern, count = line.split()
            rows += [[int(c) for c in pattern]] * int(count)
    levels = np.array(rows, dtype=np.int8)
    first_start = _em(*np.unique(levels.astype(np.int64), axis=0, return_counts=True)[:2], 0.3, 300, 1e-6)
    assert not first_start.oriented  # what a single EM start settles on here
    model = train(levels)
    weights = model.level_weights()
    for name in ("email", "phone", "birth_date", "address"):
        field = FIELD_INDEX[name]
        assert weights[field][1] > 0 > weights[field][-1], name  # exact speaks for, different against


def test_a_handful_of_records_uses_the_built_in_weights_and_links_the_obvious() -> None:
    recs = [make_rec(0, "crm:C-1", "Ada", "Lovelace", email="ada@x.org"),
            make_rec(1, "marketing:M-1", "Ada", "Lovelace", email="ada@x.org"),
            make_rec(2, "crm:C-2", "Alan", "Turing", email="alan@y.org"),
            make_rec(3, "shop:S-3", "Alan", "Smith", email="alan.smith@z.org")]
    result = match(recs)
    assert result.model.iterations == 0 and result.model.pairs < MIN_PAIRS_FOR_EM  # priors, no EM
    assert result.labels[0] == result.labels[1]
    assert len({result.labels[2], result.labels[3], result.labels[0]}) == 3
