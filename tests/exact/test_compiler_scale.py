"""Compiled nets at scale: sparse matrices, the sparse-state proof held against the dense one (the oracle)
and against the exhaustive checker, on correct and deliberately broken nets."""

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from rnnlab.exact.automaton import Automaton, random_dfa
from rnnlab.exact.compiler import compile_dfa, reachable_states
from rnnlab.exact.exhaustive import exhaustive_check
from rnnlab.exact.net import Layer, Net, Sparse
from rnnlab.exact.verifier import interval_margins, prove
from rnnlab.resources import compile_bytes


def dense(net: Net) -> Net:
    """The same net with every sparse matrix written out densely (runs the dense code paths)."""
    return replace(net, layers=tuple(replace(L, W=L.W.dense() if isinstance(L.W, Sparse) else L.W)
                                     for L in net.layers))


def redirect(net: Net, unit: int) -> Net:
    """A broken net: the qa unit `unit` loses its first incoming transition edge (a wrong state update)."""
    qa = net.layers[1]
    assert isinstance(qa.W, Sparse)
    entries = {(i, j): v for i, j, v in qa.W.items()}
    victim = next(k for k in sorted(entries) if k[0] == unit)
    del entries[victim]
    W = Sparse.from_entries(qa.W.shape, entries)
    return replace(net, layers=(net.layers[0], replace(qa, W=W), net.layers[2]))


def flip_accept(spec: Automaton, k: int) -> Automaton:
    """A wrong spec: the k-th reachable state's accept bit flipped."""
    q = reachable_states(spec)[k]
    return replace(spec, accept=spec.accept ^ {q})


@pytest.mark.parametrize("seed", [0, 1])
def test_large_compiled_nets_are_sparse_and_proofs_match_the_dense_path(seed: int) -> None:
    spec = random_dfa(300, ["0", "1"], seed)
    net = compile_dfa(spec)
    assert isinstance(net.layers[1].W, Sparse)  # more than 256 units: sparse
    d = dense(net)
    assert not any(L.is_sparse for L in d.layers)
    for subject, against in ((net, spec), (net, flip_accept(spec, 5 + seed)), (redirect(net, 3 + 7 * seed), spec)):
        got, want = prove(subject, against), prove(dense(subject), against)
        assert (got.holds, got.states_explored) == (want.holds, want.states_explored)
        assert got.counterexample == want.counterexample
    broken = prove(net, flip_accept(spec, 5 + seed))
    assert not broken.holds and broken.counterexample is not None


def test_sparse_counterexample_is_shortest_by_exhaustive_search() -> None:
    spec = random_dfa(300, ["0", "1"], 4)
    bad_spec = flip_accept(spec, 17)
    proof = prove(compile_dfa(spec), bad_spec)
    ex = exhaustive_check(dense(compile_dfa(spec)), bad_spec, 14)
    assert not proof.holds and not ex.holds
    assert proof.counterexample is not None and len(proof.counterexample.input) == len(ex.counterexample.input)


def test_sigmoid_margins_match_dense_path() -> None:
    spec = random_dfa(300, ["0", "1"], 3)
    net = compile_dfa(spec, "sigmoid")
    assert isinstance(net.layers[1].W, Sparse)
    a, b = interval_margins(net, spec), interval_margins(dense(net), spec)
    assert a == b
    assert prove(net).holds and prove(net).interval == prove(dense(net)).interval


def test_sparse_net_runs_round_trips_and_equals_dense(tmp_path: Path) -> None:
    spec = random_dfa(300, ["0", "1"], 5)
    net = compile_dfa(spec)
    x = torch.randint(0, 2, (3, 30, 1), generator=torch.Generator().manual_seed(0)).double()
    assert torch.equal(net.run(x).y, dense(net).run(x).y)
    net.save(tmp_path / "n.json")
    back = Net.load(tmp_path / "n.json")
    assert back == net and isinstance(back.layers[1].W, Sparse)
    assert back.layers[1].W == dense(net).layers[1].W  # a sparse matrix equals its dense writing


def test_thousand_state_dfa_compiles_and_proves_within_its_estimate() -> None:
    import tracemalloc

    spec = random_dfa(1000, ["0", "1"], 0)
    prove(compile_dfa(random_dfa(200, ["0", "1"], 1)))  # imports and first-use caches outside the measure
    tracemalloc.start()
    proof = prove(compile_dfa(spec))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert proof.holds and proof.states_explored > 1000
    estimate = compile_bytes(1000, 2).bytes
    assert peak / 3 <= estimate <= 3 * peak


@pytest.mark.slow
def test_ten_thousand_state_dfa_compiles_and_proves() -> None:
    spec = random_dfa(10_000, ["0", "1"], 0)
    net = compile_dfa(spec)
    assert isinstance(net.layers[1].W, Sparse) and net.layers[1].size == 20_001
    assert prove(net).holds


def test_layer_type_is_unchanged_for_small_nets() -> None:
    net = compile_dfa(random_dfa(10, ["0", "1"], 0))
    assert all(isinstance(L, Layer) and not L.is_sparse for L in net.layers)
