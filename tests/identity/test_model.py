"""Fellegi-Sunter weights: EM recovers m, u and lambda; the fitted model scores real-looking pairs sensibly."""

from __future__ import annotations

import numpy as np

from es360.identity.compare import FIELDS
from es360.identity.matcher import Resolution, score_pair
from es360.identity.model import Model, NameFrequencies, train
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
