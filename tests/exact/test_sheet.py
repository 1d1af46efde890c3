"""The sheet's nets (S1, S7, S8) against independent oracles: integer arithmetic, brute force, autograd."""

import itertools
import json
import random
from dataclasses import replace

import numpy as np
import pytest
import torch

from rnnlab.cli.main import main
from rnnlab.core.activations import sigmoid
from rnnlab.exact.alternating_check import check_alternating, check_gradients, check_output, check_parity
from rnnlab.exact.sheet import add_numbers, alternating_closed_form, bits_tensor, check_adder, get_net


def all_inputs(T: int, n: int = 1) -> torch.Tensor:
    """Every input of T steps with n bits per step, lexicographic: (2^(nT), T, n)."""
    rows = list(itertools.product([0, 1], repeat=n * T))
    return torch.tensor(rows, dtype=torch.float64).reshape(-1, T, n)


# --- S1 ---------------------------------------------------------------------------------------------


def alternating_sums(x: np.ndarray) -> np.ndarray:
    """Integer oracle: h_t = sum_{i<=t} (-1)^(t-i) x_i for every prefix t of every row of x (B, T) of ints."""
    T = x.shape[1]
    sign = (-1) ** np.arange(1, T + 1)  # (-1)^i
    return sign * np.cumsum(x * sign, axis=1)  # (-1)^t sum_i (-1)^i x_i = sum_i (-1)^(t-i) x_i


def test_closed_form_equals_simulation_on_every_binary_input_up_to_16() -> None:
    x = all_inputs(16)[..., 0]  # (65536, 16): every input of length <= 16 is a prefix of one of these
    h = get_net("alternating").run(x.unsqueeze(-1)).states[0][..., 0]  # (B, 16)
    closed = torch.stack([alternating_closed_form(x[:, :t]) for t in range(1, 17)], dim=1)
    oracle = alternating_sums(x.numpy().astype(np.int64))
    assert torch.equal(h, closed)  # exactly: every number is a small integer
    assert np.array_equal(h.numpy(), oracle)


@pytest.mark.parametrize("h0", [0.0, 1.0, -2.0])
def test_closed_form_with_h0_on_random_real_inputs(h0: float) -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(200, 25, generator=gen, dtype=torch.float64)
    h = get_net("alternating").with_h0(h0).run(x.unsqueeze(-1)).states[0][..., 0]
    for t in range(1, 26):
        torch.testing.assert_close(h[:, t - 1], alternating_closed_form(x[:, :t], h0), rtol=1e-12, atol=1e-12)


def test_output_is_a_soft_sign_test_of_the_alternating_sum() -> None:
    x = all_inputs(10)[..., 0]
    y = get_net("alternating").run(x.unsqueeze(-1)).y[..., 0]  # (B, 10)
    s = torch.from_numpy(alternating_sums(x.numpy().astype(np.int64)))
    assert (y[s >= 1] > 0.9999).all()
    assert (y[s == 0] == 0.5).all()
    assert (y[s <= -1] < 1e-4).all()


def test_not_a_parity_detector() -> None:
    net = get_net("alternating")

    def y(bits: str) -> float:
        return float(net.run(bits_tensor([int(c) for c in bits])).y[0, -1, 0])

    # same parity (odd), opposite outputs; and different parity, the same output
    assert y("10") < 0.01 and y("01") > 0.99
    assert y("00") == y("11") == 0.5 and y("0") == 0.5 and y("011") == y("0")
    # exhaustively, at every length 3..10: the decision (y above, at or below 1/2) is no function of the parity,
    # nor the parity a function of the decision
    for T in range(3, 11):
        x = all_inputs(T)[..., 0]
        out = torch.sign(net.run(x.unsqueeze(-1)).y[:, -1, 0] - 0.5).tolist()
        parity = (x.sum(dim=1) % 2).int().tolist()
        outs = {p: {o for o, q in zip(out, parity, strict=True) if q == p} for p in (0, 1)}
        assert len(outs[0]) > 1 and len(outs[1]) > 1
        assert outs[0] & outs[1]


@pytest.mark.parametrize("bits", ["1", "10", "0110", "1111111", "10101010101"])
def test_gradients_unit_in_h_and_saturating_in_y(bits: str) -> None:
    T = len(bits)
    x = torch.tensor([[float(c)] for c in bits], dtype=torch.float64, requires_grad=True)
    trace = get_net("alternating").run(x)
    h_T, y = trace.states[0][0, -1, 0], trace.y[0, -1, 0]
    (dh,) = torch.autograd.grad(h_T, x, retain_graph=True)
    (dy,) = torch.autograd.grad(y, x)
    signs = torch.tensor([(-1.0) ** (T - i) for i in range(1, T + 1)], dtype=torch.float64)
    assert torch.equal(dh[:, 0].abs(), torch.ones(T, dtype=torch.float64))
    assert torch.equal(dh[:, 0], signs)
    s = torch.sigmoid(10 * h_T.detach())
    torch.testing.assert_close(dy[:, 0], 10 * s * (1 - s) * signs)
    if abs(float(h_T.detach())) >= 1:  # saturation: 10 sigmoid'(10) ~ 4.5e-4
        assert dy.abs().max() <= 10 * torch.sigmoid(torch.tensor(10.0)) * (1 - torch.sigmoid(torch.tensor(10.0)))


def test_check_alternating_holds_and_catches_a_wrong_closed_form() -> None:
    net = get_net("alternating")
    ok = check_alternating(net, max_len=10, n_real=50)
    assert ok.holds and ok.binary_sequences == 2**11 - 2 and ok.real_sequences == 50
    assert ok.max_abs_error < 1e-12

    def wrong(x: torch.Tensor, h0: float = 0.0) -> torch.Tensor:
        h = alternating_closed_form(x, h0)
        return h + (x.sum(dim=-1) == 3).to(h.dtype)  # off by one whenever three 1s were read

    bad = check_alternating(net, max_len=6, n_real=0, closed_form=wrong)
    assert not bad.holds and bad.counterexample is not None
    assert bad.counterexample["input"] == "000111"  # lexicographically first input reaching three 1s


def test_check_alternating_catches_wrong_weights_and_a_missing_sign_on_h0() -> None:
    net = get_net("alternating")
    h = net.layers[0]
    plain_sum = replace(net, layers=(replace(h, W=((1.0,),)), net.layers[1]))  # h_t = h_{t-1} + x_t
    assert not check_alternating(plain_sum, max_len=4, n_real=0).holds

    def h0_unsigned(x: torch.Tensor, h0: float = 0.0) -> torch.Tensor:  # h_0 in place of (-1)^T h_0
        return alternating_closed_form(x, 0.0) + h0

    assert check_alternating(net, max_len=6, closed_form=h0_unsigned).holds  # h_0 = 0 cannot tell them apart
    bad = check_alternating(net.with_h0(1.0), max_len=6, closed_form=h0_unsigned)
    assert not bad.holds and bad.counterexample is not None and bad.counterexample["input"] == "0"


def test_check_alternating_rejects_other_nets() -> None:
    with pytest.raises(ValueError, match="not the S1 alternating-sum net"):
        check_alternating(get_net("carry"))


@pytest.mark.parametrize("h0", [0.0, 1.0, -3.0])
def test_check_output_is_the_integer_sign_test(h0: float) -> None:
    net = get_net("alternating").with_h0(h0)
    out = check_output(net, max_len=10)
    assert out.holds and out.sign_violations == 0
    assert out.positive + out.zero + out.negative == 2**10 * 10 and out.zero > 0
    assert out.min_y_sum_at_least_1 == pytest.approx(float(torch.sigmoid(torch.tensor(10.0))))
    # a bias on y moves y off 1/2 where the sum is 0
    y = net.layers[1]
    biased = replace(net, layers=(net.layers[0], replace(y, b=(0.01,))))
    bad = check_output(biased, max_len=6)
    assert not bad.holds and bad.first_violation is not None and bad.first_violation["S"] == 0


def test_check_parity_counts_against_a_brute_force_oracle() -> None:
    net = get_net("alternating")
    got = check_parity(net, max_len=6)
    x = all_inputs(6)[..., 0]
    y = net.run(x.unsqueeze(-1)).y[..., 0]
    parity = torch.cumsum(x, dim=1) % 2
    assert got.disagreements == int(((y > 0.5).double() != parity).sum()) > 0
    assert got.decisions == 64 * 6


@pytest.mark.parametrize("h0", [0.0, 1.0, -3.0])
def test_check_gradients_holds_and_catches_small_weight_errors(h0: float) -> None:
    net = get_net("alternating").with_h0(h0)
    ok = check_gradients(net, T=8)
    assert ok.holds and ok.dh_max_abs_error == 0 and ok.dy_max_rel_error < 1e-11
    assert ok.resolved_inputs + ok.saturated_inputs >= ok.inputs and ok.max_abs_dy == pytest.approx(2.5)
    h, y = net.layers
    leaky = replace(net, layers=(replace(h, W=((-0.999,),)), y))  # |W| < 1: dh/dx decays
    assert not check_gradients(leaky, T=8).holds
    other_gain = replace(net, layers=(h, replace(y, act=sigmoid(10.001))))  # dy off by 1e-4 relative
    assert not check_gradients(other_gain, T=8).holds
    with pytest.raises(ValueError, match="T must be between 1 and 16"):
        check_gradients(net, T=17)


def test_check_adder_against_python_integers() -> None:
    ok = check_adder(200, additions=4, seed=1)
    assert ok.holds and ok.wrong_sums == 0 and ok.additions == 4
    bad = check_adder(200, additions=4, seed=1, add=lambda a, b: a ^ b)  # no carries
    assert not bad.holds and bad.first_wrong is not None


# --- S7 ---------------------------------------------------------------------------------------------


def test_run_all_ones_on_the_sheets_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "all-ones", "--input", "11110100", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["y"] == [1, 1, 1, 1, 0, 0, 0, 0]


def test_all_ones_from_h0_zero_fails_on_input_1() -> None:
    assert get_net("all-ones").run(bits_tensor([1])).y[0, 0, 0] == 1
    assert get_net("all-ones").with_h0(0).run(bits_tensor([1])).y[0, 0, 0] == 0


@pytest.mark.parametrize("name", ["all-ones", "all-ones-from-zero"])
def test_all_ones_nets_by_brute_force(name: str) -> None:
    x = all_inputs(10)[..., 0]
    y = get_net(name).run(x.unsqueeze(-1)).y[..., 0]
    for row, out in zip(x.int().tolist(), y.tolist(), strict=True):
        assert out == [float(all(row[: t + 1])) for t in range(10)]


# --- S8 ---------------------------------------------------------------------------------------------


def pair_inputs(T: int) -> tuple[list[list[int]], list[list[int]], torch.Tensor]:
    x = all_inputs(T, 2)  # (4^T, T, 2)
    return x[..., 0].int().tolist(), x[..., 1].int().tolist(), x


def test_equality_by_brute_force() -> None:
    x1s, x2s, x = pair_inputs(6)
    y = get_net("equality").run(x).y[..., 0].tolist()
    for a, b, out in zip(x1s, x2s, y, strict=True):
        assert out == [float(a[: t + 1] == b[: t + 1]) for t in range(6)]


def test_equality_as_written_is_wrong_at_step_1_even_when_bits_match() -> None:
    net = get_net("equality-as-written")
    for bit in (0, 1):
        assert net.run(bits_tensor([bit], [bit])).y[0, 0, 0] == 0
    # from step 2 on it is the correct recurrence, but the wrong y(1) = 0 sticks (r y(t-1) is needed)
    assert net.run(bits_tensor([1, 1, 0], [1, 1, 0])).y[0, :, 0].tolist() == [0, 0, 0]


def test_carry_and_adder_against_python_integers() -> None:
    x1s, x2s, x = pair_inputs(6)
    carry = get_net("carry").run(x).y[..., 0].tolist()
    total = get_net("adder").run(x).y[..., 0].tolist()
    for a_bits, b_bits, c, s in zip(x1s, x2s, carry, total, strict=True):
        a = sum(v << i for i, v in enumerate(a_bits))  # LSB first
        b = sum(v << i for i, v in enumerate(b_bits))
        for t in range(6):
            low = (a % (1 << (t + 1))) + (b % (1 << (t + 1)))
            assert c[t] == low >> (t + 1)  # carry out of bit t
            assert s[t] == (low >> t) & 1  # sum bit t


def test_adder_adds_3000_bit_numbers_exactly() -> None:
    rng = random.Random(0)
    for _ in range(3):
        a, b = rng.getrandbits(3000), rng.getrandbits(3000)
        assert add_numbers(a, b) == a + b
    assert add_numbers((1 << 3000) - 1, 1) == 1 << 3000  # a carry through every bit
