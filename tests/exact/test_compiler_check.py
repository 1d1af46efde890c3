"""The compiler checked twice per automaton; the config read from TOML the way `rnnlab compile --config` reads it."""

import tomllib

import pytest
import tomli_w

from rnnlab.exact.compiler_check import CompilerCheckConfig, automata, check_compiler


def test_config_round_trips_through_toml_and_names_bad_keys() -> None:
    cfg = CompilerCheckConfig(random_sizes=(2, 3), dtypes=("float64", "float32"))
    assert CompilerCheckConfig.from_dict(tomllib.loads(tomli_w.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ValueError, match="unknown setting"):
        CompilerCheckConfig.from_dict({"sizes": [2]})
    with pytest.raises(ValueError, match="must be a list"):
        CompilerCheckConfig.from_dict({"random_sizes": 2})
    with pytest.raises(ValueError, match=r"random_sizes\[1\] must be a whole number, got the string '4'"):
        CompilerCheckConfig.from_dict({"random_sizes": [2, "4"]})
    with pytest.raises(ValueError, match="seed must be a whole number, got true"):
        CompilerCheckConfig.from_dict({"seed": True})
    with pytest.raises(ValueError, match="unknown built-in"):
        CompilerCheckConfig(builtin=("parity",))
    with pytest.raises(ValueError, match="dtypes"):
        CompilerCheckConfig(dtypes=("float16",))


def test_every_listed_automaton_is_compiled_and_checked_both_ways() -> None:
    cfg = CompilerCheckConfig(builtin=("serial-sum",), random_sizes=(3,), random_pair_sizes=(2,), exhaustive_len=6,
                              sim_length=1000, sim_inputs=300, dtypes=("float64", "float32"))
    assert list(automata(cfg)) == ["serial-sum", "random-3", "random-pairs-2"]
    step = check_compiler(cfg, "step")
    assert all(c.holds and c.proved and c.exhaustive_holds for c in step)
    assert [c.exhaustive_len for c in step] == [3, 6, 3]
    sig = check_compiler(cfg, "sigmoid")
    for c in sig:
        assert c.holds and c.gain is not None and c.eps is not None and len(c.runs) == 2
        assert all(r.length == 1000 and r.inputs == 300 and r.agree for r in c.runs)
        row = c.row()
        assert row["holds"] and None not in row.values()  # no blank cells
