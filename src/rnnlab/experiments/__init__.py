"""Experiments: each is a frozen config dataclass and a function that returns data and figures."""
