"""Every ```python block of README.md runs.

The blocks run in order in one namespace (a later block may use names an earlier one
defined, as a reader pasting them into one session would), in a temporary directory,
each once; the test of block i fails with block i's error.
"""
from pathlib import Path

import pytest

from markdown_examples import python_blocks, run_blocks

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_examples():
    assert BLOCKS, "README.md has no ```python blocks"


def test_block_extraction():
    text = "intro\n```python\nx = 1\n```\ntext\n```\nmake demo\n```\n```python\ny = x\n```\n"
    assert python_blocks(text) == [(2, "x = 1\n"), (9, "y = x\n")]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Run all blocks once, in order; {index: None or the formatted error}."""
    return run_blocks(BLOCKS, "README.md", tmp_path_factory.mktemp("readme"))


@pytest.mark.parametrize("index", range(len(BLOCKS)),
                         ids=[f"line{line}" for line, _ in BLOCKS])
def test_readme_block_runs(index, outcomes):
    error = outcomes[index]
    assert error is None, f"README.md block at line {BLOCKS[index][0]} failed:\n{error}"
