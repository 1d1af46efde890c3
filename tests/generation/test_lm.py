"""The language model: fused teacher forcing against the stepped unroll, free running, training, checkpoints."""

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from rnnlab.generation.data import char_vocab, make_corpus
from rnnlab.generation.lm import (
    CELLS,
    LMConfig,
    TrainConfig,
    build_model,
    load_checkpoint,
    sample,
    save_checkpoint,
    streaming_nll,
    train_lm,
    unroll,
    windowed_nll,
)
from rnnlab.generation.schedules import STRATEGIES, parse_strategy


def _model(cell: str, layers: int = 2, seed: int = 0):  # type: ignore[no-untyped-def]
    return build_model(LMConfig(11, cell, embed_dim=5, hidden=7, layers=layers), seed).double()


def _grads(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.grad.clone() for p in model.parameters() if p.grad is not None]


@pytest.mark.parametrize("cell", CELLS)
def test_eps_one_is_teacher_forcing_same_logits_and_gradients(cell: str) -> None:
    """Scheduled sampling with eps = 1 steps the same weights to the fused full-sequence pass's result."""
    model = _model(cell)
    x = torch.randint(11, (4, 9), generator=torch.Generator().manual_seed(0))
    y = torch.randint(11, (4, 9), generator=torch.Generator().manual_seed(1))
    fused, _ = model(x)
    F.cross_entropy(fused.flatten(0, 1), y.flatten()).backward()
    g_fused = _grads(model)
    model.zero_grad()
    stepped = unroll(model, x, 1.0)
    F.cross_entropy(stepped.logits.flatten(0, 1), y.flatten()).backward()
    torch.testing.assert_close(stepped.logits, fused)
    assert torch.equal(stepped.inputs, x)
    for a, b in zip(_grads(model), g_fused, strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("feed", ["argmax", "sample"])
def test_eps_zero_is_free_running(cell: str, feed: str) -> None:
    """eps = 0: every input after the first is the model's own previous token; the result (and its gradient)
    is the fused pass over that self-generated sequence."""
    model = _model(cell)
    x = torch.randint(11, (3, 8), generator=torch.Generator().manual_seed(2))
    run = unroll(model, x, 0.0, feed, torch.Generator().manual_seed(3))
    assert torch.equal(run.inputs[:, 0], x[:, 0])
    if feed == "argmax":
        assert torch.equal(run.inputs[:, 1:], run.logits[:, :-1].argmax(-1))
    run.logits.sum().backward()
    g_run = _grads(model)
    model.zero_grad()
    fused, _ = model(run.inputs)
    fused.sum().backward()
    torch.testing.assert_close(run.logits, fused)
    for a, b in zip(_grads(model), g_run, strict=True):
        torch.testing.assert_close(a, b)


def test_scheduled_mixes_truth_and_own_tokens_at_rate_eps() -> None:
    model = _model("gru", layers=1)
    x = torch.randint(11, (200, 30), generator=torch.Generator().manual_seed(4))
    run = unroll(model, x, 0.7, "sample", torch.Generator().manual_seed(5))
    own = run.logits[:, :-1]  # whatever was fed, the logits are the fused pass over the fed tokens
    torch.testing.assert_close(run.logits, model(run.inputs)[0])
    truth_rate = (run.inputs[:, 1:] == x[:, 1:]).float().mean().item()
    # Fed the truth with probability 0.7; an own token equals the truth by chance about 1/11 of the time.
    assert 0.7 <= truth_rate <= 0.7 + 0.3 * 0.2 and own.shape == (200, 29, 11)
    with pytest.raises(ValueError, match="eps"):
        unroll(model, x, 1.5)


def test_windowed_nll_of_a_uniform_model_is_log_v() -> None:
    model = build_model(LMConfig(65, "gru", 8, 8), 0)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    ids = make_corpus().val
    assert windowed_nll(model, ids, windows=16) == pytest.approx(math.log(65), rel=1e-6)


def test_streaming_carries_the_state() -> None:
    """Chunked streaming equals one pass over the whole text (the state crosses every chunk boundary)."""
    model = build_model(LMConfig(11, "lstm", 4, 6), 0).double()
    ids = torch.randint(11, (500,), generator=torch.Generator().manual_seed(6))
    logits, _ = model(ids[None, :-1])
    whole = F.cross_entropy(logits[0], ids[1:]).item()
    assert streaming_nll(model, ids, chunk=37) == pytest.approx(whole, rel=1e-6)  # float32 losses
    assert streaming_nll(model, ids, chunk=4096) == pytest.approx(whole, rel=1e-6)


def test_checkpoint_round_trip_and_sampling(tmp_path: Path) -> None:
    vocab = char_vocab("abcdefgh ")
    model = build_model(LMConfig(vocab.size, "gru", 4, 8), 0)
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, vocab)
    loaded, v2 = load_checkpoint(path)
    assert v2 == vocab and loaded.config == model.config
    x = vocab.encode("abc def")[None]
    assert torch.equal(loaded(x)[0], model(x)[0])
    a = sample(model, vocab, "ab", 30, 1.0, seed=7)
    assert a == sample(loaded, vocab, "ab", 30, 1.0, seed=7) and len(a) == 30 and set(a) <= set("abcdefgh ")
    with pytest.raises(ValueError, match="not in the model"):
        sample(model, vocab, "xyz", 5)
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint")
    for p in (bad, tmp_path / "missing.pt"):
        with pytest.raises(ValueError, match="checkpoint"):
            load_checkpoint(p)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_small_real_training_run_per_strategy(strategy: str) -> None:
    """A few dozen steps on Tiny Shakespeare beat the uniform model (ln 65 = 4.17 nats) and the untrained one."""
    corpus = make_corpus()
    model = build_model(LMConfig(corpus.vocab.size, "gru", 16, 48), 0)
    before = windowed_nll(model, corpus.val, 64)
    config = TrainConfig(strategy=parse_strategy(strategy, 40), steps=40, time_budget_s=None, batch=16, seq_len=32,
                         lr=1e-2, feed="sample", bf16=False, eval_points=2, eval_windows=32, threads=1)
    result = train_lm(model, corpus, config)
    after = windowed_nll(model, corpus.val, 64)
    assert result.steps == 40 and result.tokens == 40 * 16 * 32
    assert after < before - 0.5 and after < math.log(65) - 0.5
    assert [p.step for p in result.curve][-1] == 40
    assert all(0 <= p.eps <= 1 for p in result.curve)


def test_time_budget_stops_training() -> None:
    corpus = make_corpus()
    model = build_model(LMConfig(corpus.vocab.size, "gru", 8, 16), 0)
    result = train_lm(model, corpus, TrainConfig(steps=10**6, time_budget_s=0.5, batch=4, seq_len=16,
                                                 eval_points=1, eval_windows=4))
    assert 0 < result.steps < 10**6 and result.train_s < 5


def test_bad_configs() -> None:
    with pytest.raises(ValueError, match="unknown cell"):
        LMConfig(10, "transformer")
    with pytest.raises(ValueError, match="hidden"):
        LMConfig(10, "gru", hidden=0)
    with pytest.raises(ValueError, match="feed"):
        TrainConfig(feed="beam")
    with pytest.raises(ValueError, match="time budget"):
        TrainConfig(time_budget_s=-1)


def test_thread_chooser_switches_to_the_faster_setting_and_backs_off() -> None:
    from rnnlab.generation.lm import _ThreadChooser

    fixed = _ThreadChooser(1, 10.0)
    assert [fixed.before_step(t) for t in (0.0, 100.0)] == [1, 1]
    c = _ThreadChooser(None, 10.0)
    c.auto, c.current, c.other = True, 2, 1
    assert c.before_step(0.0) == 2
    c.after_step(1.0, 1.0)  # all cores: 1 s per step
    assert c.before_step(5.0) == 2  # not yet time to try
    assert c.before_step(10.0) == 1 and c.trying == 2
    c.after_step(0.6, 10.6)
    assert c.before_step(10.6) == 1
    c.after_step(0.5, 11.1)  # one thread is faster: switch
    assert c.current == 1 and c.est == 0.5 and c.next_try == 11.1 + 10.0
    assert c.before_step(21.2) == 2
    c.after_step(2.0, 23.2)  # a try 4x slower stops after one step and doubles the wait
    assert c.trying == 0 and c.current == 1 and c.wait_s == 20.0 and c.next_try == 43.2
    assert c.before_step(30.0) == 1
