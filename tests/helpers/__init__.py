"""Helpers the tests share: the anvil harness, the in-process tournament's fixtures and
schedules, permits, revert matchers and bomb files."""
