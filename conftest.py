"""Fixtures on real infrastructure for every test in the repository (see deploy/local)."""

pytest_plugins = ["shopflow_stack.pytest_plugin", "shopflow_kit.testing"]
