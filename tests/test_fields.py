"""The strict JSON field reader: each accessor takes only its JSON type and names the bad field by its path."""

import json
import math
import warnings
from typing import Any

import numpy as np
import pytest

from rnnlab.fields import FLOAT32_MAX, Field, FieldError

DATA = json.loads('{"readout": {"v": [1, 2.5], "c": 0.1}, "layers": [{"W": [[1, 2], [3, 4]], "name": "h"}],'
                  ' "flag": true, "n": 3, "odd key": [1], "nan": NaN, "big": 1e39, "huge": 1e400}')


def at(path: str) -> Field:
    f = Field(DATA)
    for part in path.replace("]", "").replace("[", ".").split("."):
        f = f.elements()[int(part)] if part.isdigit() else f[part]
    return f


def test_good_values_are_read_with_their_paths() -> None:
    f = Field(DATA)
    assert f["readout"]["v"].numbers() == (1.0, 2.5) and f["readout"]["c"].number() == 0.1
    assert f["layers"].elements()[0]["W"].matrix() == ((1.0, 2.0), (3.0, 4.0))
    assert f["layers"].elements()[0]["W"].path == "layers[0].W"
    assert f["layers"].elements()[0]["name"].string() == "h" and f["flag"].boolean() is True
    assert f["n"].integer(min=1) == 3 and f["odd key"].path == '["odd key"]'
    assert f.get("absent") is None and f["readout"].get("c") is not None


@pytest.mark.parametrize("read, message", [
    (lambda: at("readout.c").numbers(), "readout.c must be a list of numbers, got the number 0.1"),
    (lambda: at("readout").number(), "readout must be a number, got an object"),
    (lambda: at("readout.v").number(), "readout.v must be a number, got a list"),
    (lambda: at("readout.w").numbers(), "readout.w is missing; it must be a list of numbers"),
    (lambda: at("layers.0.name").number(), "layers[0].name must be a number, got the string 'h'"),
    (lambda: at("flag").number(), "flag must be a number, got true"),
    (lambda: at("n").boolean(), "n must be true or false, got the number 3"),
    (lambda: at("n").string(), "n must be a string, got the number 3"),
    (lambda: at("layers.0.name").string(("x", "y")), "layers[0].name must be one of 'x', 'y', got 'h'"),
    (lambda: at("readout.c").integer(), "readout.c must be a whole number, got the number 0.1"),
    (lambda: at("n").integer(min=4), "n must be a whole number >= 4, got 3"),
    (lambda: at("flag").integer(), "flag must be a whole number, got true"),
    (lambda: at("nan").number(), "nan is nan; it must be a finite number"),
    (lambda: at("huge").number(), "huge is inf; it must be a finite number"),
    (lambda: at("big").number(float32=True), "big is 1e+39, beyond float32's range"),
    (lambda: at("layers.0.W.1").matrix(), "layers[0].W[1][0] must be a list of numbers, got the number 3"),
    (lambda: at("readout.v").strings(), "readout.v[0] must be a string, got the number 1"),
    (lambda: at("n")["x"].number(), "n must be an object, got the number 3"),
    (lambda: at("readout").only(("v",)), "readout has unknown field(s) 'c'; valid: v"),
    (lambda: Field([1]).object(), "the top level must be an object, got a list"),
])
def test_bad_values_name_their_path_and_what_was_expected(read: Any, message: str) -> None:
    with pytest.raises(FieldError) as e:
        read()
    assert message in str(e.value) and str(e.value).count("\n") == 0


@pytest.mark.parametrize("bad, shown", [("0.1", "the string '0.1'"), (True, "true"), (None, "null"), ([1], "a list"),
                                        ({}, "an object"), (math.nan, "nan"), (-math.inf, "-inf")])
def test_a_list_of_numbers_names_its_one_bad_element(bad: Any, shown: str) -> None:
    with pytest.raises(FieldError, match=r"^b\[2\] ") as e:
        Field({"b": [0.0, 1, bad, 3.0]})["b"].numbers()
    assert shown in str(e.value)


def test_float32_rounds_to_float32_values_and_refuses_beyond_its_range_without_a_warning() -> None:
    values = [0.1, -FLOAT32_MAX, 1e-50, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow warning would be an error here
        got = Field({"v": values})["v"].numbers(float32=True)
        assert got == tuple(float(np.float32(v)) for v in values)
        for big in (1e39, -3.5e38, 10**40):
            with pytest.raises(FieldError, match=r"v\[1\] is .*beyond float32's range"):
                Field({"v": [0.0, big]})["v"].numbers(float32=True)
    assert Field({"v": [1e39]})["v"].numbers() == (1e39,)  # within float64's range


def test_ints_too_large_for_a_float_are_refused_not_overflowed() -> None:
    with pytest.raises(FieldError, match="beyond float64's range"):
        Field({"x": 10**400})["x"].number()
    with pytest.raises(FieldError, match=r"x\[0\] is a number over 1e308"):
        Field({"x": [10**400]})["x"].numbers()


def test_rows_of_a_matrix_must_have_one_length() -> None:
    with pytest.raises(FieldError, match=r"W\[1\] has 1 number\(s\) but W\[0\] has 2"):
        Field({"W": [[1, 2], [3]]})["W"].matrix()
    assert Field({"W": []})["W"].matrix() == ()
