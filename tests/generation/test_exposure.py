"""Exposure-bias metrics against their definitions."""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from rnnlab.generation.data import make_corpus
from rnnlab.generation.exposure import _kl, accumulated_excess, oracle_curves, position_curves
from rnnlab.generation.lm import RNNLM, LMConfig, build_model
from rnnlab.generation.oracle import HMM, random_hmm


def test_kl_matches_torch() -> None:
    logp = F.log_softmax(torch.randn(5, 7, dtype=torch.float64), -1)
    logq = F.log_softmax(torch.randn(5, 7, dtype=torch.float64), -1)
    expected = F.kl_div(logq, logp, reduction="none", log_target=True).sum(-1)
    torch.testing.assert_close(_kl(logp, logq), expected)
    assert torch.equal(_kl(logp, logp), torch.zeros(5, dtype=torch.float64))


def test_accumulated_excess() -> None:
    assert accumulated_excess([2.0, 3.0, 5.0], [1.0, 1.0, 2.0]) == [100.0, 150.0, 150.0]


def test_a_model_blind_to_its_input_has_no_exposure_bias() -> None:
    """With the input weights at zero the prediction cannot depend on the prefix: own = true exactly."""
    model = build_model(LMConfig(65, "gru", 8, 16), 0)
    with torch.no_grad():
        model.embed.weight.zero_()
    c = position_curves(model, make_corpus().val, windows=16, prompt=4, length=10)
    assert c.tf_nll == pytest.approx(c.fr_nll, rel=1e-6) and c.tf_err == c.fr_err
    assert len(c.tf_nll) == 10


def _bigram_model(logq: list[list[float]]) -> RNNLM:
    """An RNNLM whose prediction depends on the last token only: log q(. | ..., v) = logq[v] (rows normalised).

    With the recurrent weights at zero, h = tanh(U e(v)) = tanh(1) * onehot(v), so head(h) = logq[v]."""
    V = len(logq)
    model = build_model(LMConfig(V, "rnn", V, V), 0)
    cell = model.rnn[0]
    with torch.no_grad():
        model.embed.weight.copy_(torch.eye(V))
        cell.W.zero_()
        cell.U.copy_(torch.eye(V))
        cell.b.zero_()
        model.head.weight.copy_(torch.tensor(logq, dtype=torch.float64).T / math.tanh(1.0))
        model.head.bias.zero_()
    return model


def _step_curves(model: RNNLM, seq: list[int], prompt: int, length: int) -> tuple[list[float], ...]:
    """The definition of the two curves, one model.step at a time from a zero state: NLL and error of the
    true token seq[t] given the true prefix, and given the true prompt followed by the model's argmax tokens."""
    curves: list[list[float]] = []
    for own in (False, True):
        nll, err, state, token = [], [], None, seq[0]
        for t in range(1, prompt + length):
            logits, state = model.step(torch.tensor([token]), state)
            logp = F.log_softmax(logits[0].double(), -1)
            if t >= prompt:
                nll.append(-logp[seq[t]].item())
                err.append(float(int(logp.argmax()) != seq[t]))
            token = int(logp.argmax()) if own and t >= prompt else seq[t]
        curves += [nll, err]
    return tuple(curves)


def test_own_prefix_is_worse_when_the_model_derails() -> None:
    """A bigram model that is right after every token but one: from its own prefix it takes the wrong branch
    there and is off by one ever after, so the true tokens cost far more than from the true prefix."""
    V, prompt, length = 5, 3, 10
    q = [[0.1 / (V - 1)] * V for _ in range(V)]  # after v the text goes on with v + 1 (mod V)
    for v in range(1, V):
        q[v][(v + 1) % V] = 0.9
    q[0] = [0.2 / (V - 2)] * V
    q[0][1], q[0][2] = 0.3, 0.5  # after 0 the model prefers 2, the text has 1
    logq = [[math.log(p) for p in row] for row in q]
    model = _bigram_model(logq)
    for v in range(V):  # the model is the table
        got = F.log_softmax(model.step(torch.tensor([v]))[0][0].double(), -1)
        torch.testing.assert_close(got, torch.tensor(logq[v], dtype=torch.float64), rtol=0, atol=1e-5)
    seq = [t % V for t in range(prompt + length + 1)]  # only one window fits: every window is this text
    c = position_curves(model, torch.tensor(seq), windows=4, prompt=prompt, length=length)

    # Oracle 1: the definition on the table, in plain Python.
    def argmax(row: list[float]) -> int:
        return max(range(V), key=row.__getitem__)

    tf_nll = [-logq[seq[t - 1]][seq[t]] for t in range(prompt, prompt + length)]
    tf_err = [float(argmax(q[seq[t - 1]]) != seq[t]) for t in range(prompt, prompt + length)]
    fr_nll, fr_err, token = [], [], seq[prompt - 1]
    for t in range(prompt, prompt + length):
        fr_nll.append(-logq[token][seq[t]])
        fr_err.append(float(argmax(q[token]) != seq[t]))
        token = argmax(q[token])
    assert c.tf_nll == pytest.approx(tf_nll, abs=1e-5) and c.fr_nll == pytest.approx(fr_nll, abs=1e-5)
    assert c.tf_err == tf_err and c.fr_err == fr_err
    # Oracle 2: the model's step function, one token at a time.
    for got, want in zip(_step_curves(model, seq, prompt, length), (c.tf_nll, c.tf_err, c.fr_nll, c.fr_err),
                         strict=True):
        assert got == pytest.approx(want, abs=1e-5)
    # The claim: own prefix worse, by a wide margin (about -log 0.025 against -log 0.9 per derailed position).
    s = c.summary()
    assert s["gap_nll"] > 1.0 and s["fr_err"] > s["tf_err"] + 0.4
    assert all(f >= t - 1e-6 for f, t in zip(c.fr_nll, c.tf_nll, strict=True))


def test_position_curves_match_stepping_a_gru_by_hand() -> None:
    """A GRU carries state: both curves agree with stepping it from a zero state through prompt and prefix."""
    model = build_model(LMConfig(7, "gru", 4, 8), 3)
    prompt, length = 4, 8
    seq = torch.randint(7, (prompt + length + 1,), generator=torch.Generator().manual_seed(0)).tolist()
    c = position_curves(model, torch.tensor(seq), windows=2, prompt=prompt, length=length)
    for got, want in zip(_step_curves(model, seq, prompt, length), (c.tf_nll, c.tf_err, c.fr_nll, c.fr_err),
                         strict=True):
        assert got == pytest.approx(want, abs=1e-5)


# ------------------------------------------------------------------- oracle curves against brute force


def _joint(hmm: HMM, xs: tuple[int, ...]) -> float:
    """p(x_1..x_t) summed over every hidden path, in plain float64 (no forward algorithm)."""
    pi, A, B = hmm.pi.tolist(), hmm.A.tolist(), hmm.B.tolist()
    total = 0.0
    for z in itertools.product(range(hmm.n_states), repeat=len(xs)):
        p = pi[z[0]] * B[z[0]][xs[0]] if xs else 1.0
        for k in range(1, len(xs)):
            p *= A[z[k - 1]][z[k]] * B[z[k]][xs[k]]
        total += p
    return total


def _model_logq(model: RNNLM, prefix: tuple[int, ...], bos: int) -> list[float]:
    """log q(. | prefix) over the source's symbols, stepping the model from BOS."""
    logits, state = model.step(torch.tensor([bos]))
    for v in prefix:
        logits, state = model.step(torch.tensor([v]), state)
    return F.log_softmax(logits[0, :bos].double(), -1).tolist()


def _mean_var(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    """Mean and variance of a discrete random variable given as (probability, value) pairs."""
    m = sum(w * v for w, v in pairs)
    return m, sum(w * (v - m) ** 2 for w, v in pairs)


def test_oracle_curves_are_exact_divergences() -> None:
    """Every prefix of a tiny HMM enumerated: the library's per-position numbers are the brute-force KL and
    entropy at its sampled prefixes, and, as means over n samples, within 5 standard errors of the exact
    expectations over the source (kl_true, entropy) and over the model (kl_own, nll_own)."""
    hmm = random_hmm(3, 3, seed=2, concentration=1.0)
    V, T, n, seed = 3, 3, 4000, 1337
    model = build_model(LMConfig(V + 1, "gru", 4, 8), 0)  # 3 symbols + BOS
    with torch.no_grad():
        model.head.weight.mul_(4.0)  # a model far from uniform: the divergences are not all alike
    c = oracle_curves(model, hmm, n=n, T=T, seed=seed)

    prefixes = [pre for t in range(T) for pre in itertools.product(range(V), repeat=t)]
    logp = {pre: [math.log(_joint(hmm, pre + (v,)) / _joint(hmm, pre)) for v in range(V)] for pre in prefixes}
    logq = {pre: _model_logq(model, pre, V) for pre in prefixes}
    kl = {pre: sum(math.exp(a) * (a - b) for a, b in zip(logp[pre], logq[pre], strict=True)) for pre in prefixes}

    # Same prefixes as the library: it draws them first from a generator seeded with `seed`.
    x = hmm.sample(n, T, torch.Generator().manual_seed(seed)).tolist()
    for t in range(T):
        assert c.kl_true[t] == pytest.approx(sum(kl[tuple(r[:t])] for r in x) / n, abs=1e-6)
        assert c.entropy[t] == pytest.approx(sum(-logp[tuple(r[:t])][r[t]] for r in x) / n, abs=1e-9)
    assert c.tf_nll == pytest.approx(sum(-logq[tuple(r[:t])][r[t]] for r in x for t in range(T)) / (n * T), abs=1e-6)

    # Exact expectations: prefix probabilities under p (the joint) and under q (the chain rule on the model).
    for t in range(T):
        level = [pre for pre in prefixes if len(pre) == t]
        p_pre = {pre: math.exp(sum(logp[pre[:k]][pre[k]] for k in range(t))) for pre in level}
        q_pre = {pre: math.exp(sum(logq[pre[:k]][pre[k]] for k in range(t))) for pre in level}
        assert sum(p_pre.values()) == pytest.approx(1.0) and sum(q_pre.values()) == pytest.approx(1.0)
        assert all(p_pre[pre] == pytest.approx(_joint(hmm, pre)) for pre in level)
        expected = {
            "kl_true": _mean_var([(p_pre[pre], kl[pre]) for pre in level]),
            "kl_own": _mean_var([(q_pre[pre], kl[pre]) for pre in level]),
            "entropy": _mean_var([(p_pre[pre] * math.exp(logp[pre][v]), -logp[pre][v])
                                  for pre in level for v in range(V)]),
            "nll_own": _mean_var([(q_pre[pre] * math.exp(logq[pre][v]), -logp[pre][v])
                                  for pre in level for v in range(V)]),
        }
        for name, (mean, var) in expected.items():
            assert getattr(c, name)[t] == pytest.approx(mean, abs=5 * math.sqrt(var / n) + 1e-6), (name, t)
    # Not vacuous: the model is measurably off the source at every position.
    assert min(c.kl_true) > 0.05 and min(c.kl_own) > 0.05


def test_a_model_equal_to_the_source_has_zero_divergence() -> None:
    """An HMM whose states emit their own symbol is a Markov chain: p(. | x_<t) = A[x_{t-1}] (pi at t = 1).
    A bigram model with exactly those rows (BOS -> pi) is the source, so every KL is 0 and its
    teacher-forced NLL is the source's entropy on the same samples."""
    pi = torch.tensor([0.2, 0.5, 0.3], dtype=torch.float64)
    A = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.4, 0.4, 0.2]], dtype=torch.float64)
    hmm = HMM(pi, A, torch.eye(3, dtype=torch.float64))
    rows = A.tolist() + [pi.tolist()]  # inputs 0, 1, 2 and BOS = 3
    model = _bigram_model([[math.log(p) for p in row] + [0.0] for row in rows])  # BOS column: never a target
    c = oracle_curves(model, hmm, n=256, T=5)
    assert max(c.kl_true) < 1e-6 and max(c.kl_own) < 1e-6
    assert min(c.kl_true) > -1e-6 and min(c.kl_own) > -1e-6
    assert c.tf_nll == pytest.approx(sum(c.entropy) / len(c.entropy), abs=1e-6)
    # The same model against a different source is not at zero: the check can fail.
    other = HMM(pi, A.flip(0), torch.eye(3, dtype=torch.float64))
    assert min(oracle_curves(model, other, n=256, T=5).kl_true[1:]) > 0.05
