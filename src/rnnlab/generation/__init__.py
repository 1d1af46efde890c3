"""Sequence generation (SPEC S2, S6): text data, RNN language models, scheduled sampling, exposure bias,
an exact oracle source, and one-hot versus dense embeddings."""
