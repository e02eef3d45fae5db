"""The code base passes ruff (the linter configured in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT


def test_ruff_check_is_clean():
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", str(PROJECT_ROOT)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if "No module named ruff" in completed.stderr:
        pytest.fail("ruff is not installed: install the test extra (pip install -e '.[test]')")
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_readme_test_command_is_what_ci_runs():
    readme = (PROJECT_ROOT / "README.md").read_text().split("```bash")
    test_command = readme[2].split("```")[0].strip()
    assert "pytest" in test_command
    assert test_command in (PROJECT_ROOT / ".ci" / "run").read_text()
    assert sys.version_info >= (3, 10)
