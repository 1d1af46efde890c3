"""Automata from trained networks (SPEC S11): learn a language, extract its DFA, prove it for every length."""
