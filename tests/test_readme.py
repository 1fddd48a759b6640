"""Every ```python block of README.md and docs/MIGRATING.md runs.

The blocks of a document run in order in one namespace (a later block may use names an
earlier one defined, as a reader pasting them into one session would), in a temporary
directory, each once; the test of block i fails with block i's error.
"""
import os
import re
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ("README.md", "docs/MIGRATING.md")
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def python_blocks(text):
    """(line number, code) of each ```python fenced block."""
    return [(text[:m.start()].count("\n") + 1, m.group(1)) for m in FENCE.finditer(text)]


BLOCKS = [(doc, line, code) for doc in DOCUMENTS
          for line, code in python_blocks((ROOT / doc).read_text(encoding="utf-8"))]


@pytest.mark.parametrize("doc", DOCUMENTS)
def test_the_documents_have_python_examples(doc):
    assert any(d == doc for d, _, _ in BLOCKS), f"{doc} has no ```python blocks"


def test_block_extraction():
    text = "intro\n```python\nx = 1\n```\ntext\n```\nmake demo\n```\n```python\ny = x\n```\n"
    assert python_blocks(text) == [(2, "x = 1\n"), (9, "y = x\n")]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Run all blocks once, in order, one namespace per document; {index: None or the
    formatted error}."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    namespaces = {doc: {"__name__": "__readme__"} for doc in DOCUMENTS}
    results = {}
    cwd = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("readme"))
    try:
        for i, (doc, line, code) in enumerate(BLOCKS):
            try:
                exec(compile(code, f"{doc} (block at line {line})", "exec"), namespaces[doc])
                results[i] = None
            except BaseException:            # noqa: B902 - report whatever the block raised
                results[i] = traceback.format_exc()
    finally:
        os.chdir(cwd)
    return results


@pytest.mark.parametrize("index", range(len(BLOCKS)),
                         ids=[f"{doc}:line{line}" for doc, line, _ in BLOCKS])
def test_readme_block_runs(index, outcomes):
    error = outcomes[index]
    doc, line, _ = BLOCKS[index]
    assert error is None, f"{doc} block at line {line} failed:\n{error}"
