"""Tests of the sans-I/O core: no event loop, no socket."""
