"""Experiment settings from TOML: lists become the dataclass's tuples, unknown keys are refused by name."""

from pathlib import Path

import pytest

from rnnlab.experiments.clipping import ClippingConfig
from rnnlab.experiments.config import config_from_dict, load_config
from rnnlab.experiments.skip import SkipConfig


def test_lists_become_tuples_and_round_trip(tmp_path: Path) -> None:
    from dataclasses import asdict

    import tomli_w

    config = SkipConfig(cells=("sigmoid", "skip"), lengths=(6,), seeds=(0, 3), decay_seeds=(1,))
    path = tmp_path / "S4.toml"
    path.write_text(tomli_w.dumps(asdict(config)))
    assert load_config(SkipConfig, path) == config


def test_unknown_keys_are_named_with_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown key\(s\) clip, seed; valid keys: task, cell, T, hidden"):
        config_from_dict(ClippingConfig, {"clip": "norm:1", "seed": 0, "T": 10})


def test_bad_values_and_files_are_value_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown cell"):
        config_from_dict(SkipConfig, {"cells": ["elman"]})
    bad = tmp_path / "bad.toml"
    bad.write_text("seeds = [0,")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(ClippingConfig, bad)
    with pytest.raises(ValueError, match="cannot read config"):
        load_config(ClippingConfig, tmp_path / "missing.toml")


@pytest.mark.parametrize("data, message", [
    ({"hidden": "ten"}, "hidden must be a whole number, got the string 'ten'"),
    ({"hidden": 2.5}, "hidden must be a whole number, got the number 2.5"),
    ({"hidden": True}, "hidden must be a whole number, got true"),
    ({"lr": "fast"}, "lr must be a number, got the string 'fast'"),
    ({"lr": float("nan")}, "lr is nan; it must be a finite number"),
    ({"seeds": [0, "a"]}, "seeds[1] must be a whole number, got the string 'a'"),
    ({"seeds": 3}, "seeds must be a list, got the number 3"),
    ({"cells": ["tanh", 1]}, "cells[1] must be a string, got the number 1"),
    ({"task": ["adding"]}, "task must be a string, got a list"),
])
def test_values_of_the_wrong_type_are_named_by_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as e:
        config_from_dict(SkipConfig, data, "S4.toml")
    assert str(e.value) == f"S4.toml: {message}"


def test_an_int_where_a_float_belongs_is_read_as_the_float() -> None:
    assert config_from_dict(SkipConfig, {"lr": 1}).lr == 1.0
