"""The Pascanu et al. 2013 rerun: the initialisations as the authors' code draws them, the protocol, the labels
against the paper's statements, and a run end to end that resumes from its finished cells."""

from pathlib import Path

import pytest
import torch
from torch import nn

from rnnlab.core import TANH, Recurrent, sigmoid
from rnnlab.experiments import pascanu2013 as p13
from rnnlab.experiments.pascanu2013 import SMART_NONZEROS, init_weights, sparse_recurrent


def test_smart_tanh_is_sparse_per_unit_at_radius_095() -> None:
    W = sparse_recurrent(50, 0.01, 15, 0.95, torch.Generator().manual_seed(0))
    assert ((W != 0).sum(dim=0) == 15).all()  # each unit's 15 outgoing weights (a column of W)
    assert float(torch.linalg.eigvals(W).abs().max()) == pytest.approx(0.95, rel=1e-12)


@pytest.mark.parametrize(("init", "std"), [("sigmoid", 0.01), ("tanh", 0.1)])
def test_dense_inits_are_normal_with_that_std(init: str, std: float) -> None:
    rnn = Recurrent(6, 50, sigmoid() if init == "sigmoid" else TANH, batch_first=True)
    readout = nn.Linear(50, 4)
    init_weights(rnn, readout, init, torch.Generator().manual_seed(1))
    assert float(rnn.W.detach().std()) == pytest.approx(std, rel=0.05)  # 2500 draws
    assert rnn.b is not None and not rnn.b.any() and not readout.bias.any()


def test_smart_init_on_a_cell_and_refusals() -> None:
    rnn, readout = Recurrent(6, 50, TANH, batch_first=True), nn.Linear(50, 4)
    init_weights(rnn, readout, "tanh_smart", torch.Generator().manual_seed(2))
    assert ((rnn.W != 0).sum(dim=0) == SMART_NONZEROS).all()
    with pytest.raises(ValueError, match="plain sigmoid"):
        init_weights(rnn, readout, "sigmoid", torch.Generator())
    with pytest.raises(ValueError, match="unknown initialisation"):
        init_weights(rnn, readout, "orthogonal", torch.Generator())


# --- the protocol through TrainConfig ------------------------------------------------------------------------------

def test_build_model_applies_the_papers_init_drawn_from_the_seed() -> None:
    from rnnlab.dynamics.training import TrainConfig, build_model

    config = TrainConfig(cell="tanh", init="tanh_smart", hidden=50, seed=7)
    model = build_model(config)
    rnn, readout = Recurrent(6, 50, TANH, batch_first=True), nn.Linear(50, 4)
    init_weights(rnn, readout, "tanh_smart", torch.Generator().manual_seed(7))  # the oracle: the same draws
    assert torch.equal(model.rnn.W, rnn.W.float()) and torch.equal(model.readout.weight, readout.weight.float())
    assert not torch.equal(build_model(TrainConfig(cell="tanh", init="tanh_smart", hidden=50, seed=8)).rnn.W,
                           model.rnn.W)
    with pytest.raises(ValueError, match="needs cell 'sigmoid'"):
        TrainConfig(cell="tanh", init="sigmoid")
    with pytest.raises(ValueError, match="unknown initialisation"):
        TrainConfig(cell="tanh", init="orthogonal")


def test_cell_configs_state_the_protocol() -> None:
    configs = p13.cell_configs("sigmoid", "MSGD-CR", 50, 1000)
    assert [c.seed for c in configs] == list(range(5))
    c = configs[0]
    assert (c.cell, c.init, c.hidden, c.lr, c.batch, c.optimizer) == ("sigmoid", "sigmoid", 50, 0.01, 20, "sgd")
    assert (c.clip.kind, c.clip.c, c.omega, c.test_sequences, c.steps) == ("norm", 1.0, 4.0, 10_000, 1000)
    assert p13.cell_configs("tanh", "MSGD", 50, 10)[0].clip.kind == "none"
    assert p13.BUDGETS["paper"].updates == 5_000_000


# --- labels against the paper's statements ----------------------------------------------------------------------

def _cell(init: str, method: str, T: int, successes: int, updates: int | None = 10_000) -> p13.CellResult:
    solved = tuple(i < successes for i in range(5))
    return p13.CellResult(init, method, T, updates, solved, tuple(500 if s else updates or 0 for s in solved),
                          tuple(0.0 if s else 0.5 for s in solved))


def test_solves_statement_flips_with_the_successes() -> None:
    key = ("tanh_smart", "MSGD-CR", 200)
    assert p13.label({key: _cell(*key, 5)}, key)[0] == "reproduced"
    status, why = p13.label({key: _cell(*key, 4)}, key)
    assert status == "not reproduced" and "10,000 updates" in why and "5,000,000" in why  # the budget beside theirs
    paper = _cell(*key, 4, updates=p13.PAPER_UPDATES)
    assert "the paper allowed" not in p13.label({key: paper}, key)[1]
    assert p13.label({}, key)[0] == "not run at this budget"
    assert p13.label({key: p13.CellResult(*key, None, (), (), ())}, key)[0] == "not run at this budget"


def test_comparison_statements_flip_and_need_both_cells() -> None:
    c, m, cr = ("tanh", "MSGD-C", 100), ("tanh", "MSGD", 100), ("tanh", "MSGD-CR", 100)
    cells = {c: _cell(*c, 3), m: _cell(*m, 1), cr: _cell(*cr, 5)}
    assert p13.label(cells, c)[0] == "reproduced"  # clipping at least as often as MSGD
    assert p13.label(cells, m)[0] == "reproduced"  # MSGD no more often than MSGD-C
    cells = {c: _cell(*c, 1), m: _cell(*m, 3), cr: _cell(*cr, 2)}
    assert p13.label(cells, c)[0] == "not reproduced"
    assert p13.label(cells, m)[0] == "not reproduced"
    cells = {c: _cell(*c, 0), m: _cell(*m, 0), cr: _cell(*cr, 0)}
    assert p13.label(cells, c) == ("not reproduced", "neither MSGD-C nor MSGD solved it within 10,000 updates per "
                                   "run (the paper allowed 5,000,000)")
    assert p13.label({c: _cell(*c, 3)}, c)[0] == "not run at this budget"  # MSGD not run: nothing to compare


def test_beyond_the_papers_lengths_there_is_no_statement() -> None:
    key = ("tanh", "MSGD-CR", 400)
    assert p13.label({key: _cell(*key, 5)}, key)[0] == "not run at this budget"


def test_median_updates_counts_the_successful_seeds_only() -> None:
    cell = p13.CellResult("tanh", "MSGD", 50, 1000, (True, False, True, True, False), (300, 1000, 100, 700, 1000),
                          (0.0,) * 5)
    assert cell.successes == 3 and cell.median_updates == 300
    assert _cell("tanh", "MSGD", 50, 0).median_updates is None


# --- a run end to end, resumed ------------------------------------------------------------------------------------

TINY = p13.Budget("tiny", (5,), 400, 50, "tests: a length the protocol solves in a few hundred updates", (10, 20))


def test_tiny_budget_runs_labels_generalises_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = p13.reproduce(TINY, tmp_path, workers=1, inits=("tanh_smart",))
    cells = {k: c for k, c in r.cells.items() if c.run}
    assert sorted(cells) == [("tanh_smart", m, 5) for m in sorted(p13.METHODS)]
    assert len(list((tmp_path / "trials").glob("*.json"))) == 15  # one record per seed
    rows = {(row["init"], row["method"], row["T"]): row for row in r.rows()}
    assert rows[("tanh_smart", "MSGD-CR", 5)]["successes"] == 5  # T = 5 is solved within 400 updates
    assert rows[("tanh_smart", "MSGD-CR", 5)]["status"] == "reproduced"
    assert rows[("sigmoid", "MSGD", 5)]["status"] == "not run at this budget"
    assert {g["method"] for g in r.generalisation} == set(p13.METHODS)
    assert all(set(g["errors"]) == {10, 20} for g in r.generalisation)
    assert p13.latest(tmp_path) is None  # not one of the named budgets, and a subset of the inits

    stamps = {f: f.stat().st_mtime_ns for f in (tmp_path / "trials").glob("*.json")}
    again = p13.reproduce(TINY, tmp_path, workers=1, inits=("tanh_smart",))
    assert {f: f.stat().st_mtime_ns for f in (tmp_path / "trials").glob("*.json")} == stamps  # nothing rerun
    assert again.rows() == r.rows()


def test_an_interrupted_run_redoes_only_the_missing_cell(tmp_path: Path) -> None:
    budget = p13.Budget("tiny", (5,), 30, 10, "tests", (10,))
    first = p13.reproduce(budget, tmp_path, workers=1, inits=("tanh",))
    lost = p13._trials(p13.cell_configs("tanh", "MSGD-C", 5, 30), ("tanh", "MSGD-C", 5))
    (tmp_path / "trials" / f"{lost[2].id}.json").unlink()  # as if killed while that cell ran
    assert not p13.load(tmp_path, budget, inits=("tanh",)).cells[("tanh", "MSGD-C", 5)].run
    stamps = {f: f.stat().st_mtime_ns for f in (tmp_path / "trials").glob("*.json")}
    r = p13.reproduce(budget, tmp_path, workers=1, inits=("tanh",))
    rewritten = {f.stem for f in (tmp_path / "trials").glob("*.json") if stamps.get(f) != f.stat().st_mtime_ns}
    assert rewritten == {t.id for t in lost}  # that cell's 5 seeds, trained together again; nothing else
    assert r.rows() == first.rows()  # seeded: the same numbers


def test_bad_arguments_are_value_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown initialisation"):
        p13.reproduce(TINY, tmp_path, inits=("orthogonal",))
    with pytest.raises(ValueError, match="unknown backend"):
        p13.reproduce(TINY, tmp_path, backend="slurm")
    with pytest.raises(ValueError, match="--address"):
        p13.reproduce(TINY, tmp_path, address="auto")
    with pytest.raises(ValueError, match="unknown method"):
        p13.cell_configs("tanh", "Adam", 50, 10)


def test_cost_estimate_scales_the_measured_rate_to_every_cell() -> None:
    budget = p13.Budget("paper-like", (5, 6), 1_000_000, 10, "tests")
    est = p13.estimate_cost(budget, updates=3)
    assert set(est.per_1k) == {(m, T) for m in p13.METHODS for T in (5, 6)} and est.cells == 18
    assert est.total_cpu_s == pytest.approx(sum(3 * s * 1000 for s in est.per_1k.values()))  # 3 inits, 1000 x 1k
    assert "CPU-hours" in est.lines()[1]
