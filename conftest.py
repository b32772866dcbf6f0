"""Fixtures on real infrastructure for every test in the repository (see libs/testing)."""

pytest_plugins = ["shopflow_testing.plugin"]
