"""rnnlab: the classic mechanics of recurrent neural networks, run, verified, measured and plotted."""

__version__ = "0.1.0"
