"""rnnlab: the classic mechanics of recurrent neural networks, run, verified, measured and plotted."""

__version__ = "0.1.0"

__all__ = ["__version__", "from_torch"]


def __getattr__(name: str) -> object:
    """`rnnlab.from_torch` on first use, so that `import rnnlab` stays light (no torch)."""
    if name == "from_torch":
        from rnnlab.extract.torch_net import from_torch

        return from_torch
    raise AttributeError(f"module 'rnnlab' has no attribute {name!r}")
