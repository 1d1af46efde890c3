"""Core math: the recurrence and its activations. Imports nothing else from rnnlab."""

from rnnlab.core.activations import IDENTITY, TANH, Activation, sigmoid, step
from rnnlab.core.recurrence import Recurrent, recur, unroll

__all__ = ["Activation", "IDENTITY", "TANH", "Recurrent", "recur", "sigmoid", "step", "unroll"]
