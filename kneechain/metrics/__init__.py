"""Metrics: pure functions, arrays and tables in, arrays and tables out, no I/O."""
