"""Execute notebooks and store them with their outputs (figures included).

    python scripts/execute_notebooks.py notebooks/03_forward_vs_reverse.ipynb [...]

Each notebook runs in a fresh kernel of this Python, from a temporary copy (files it writes
land there), under MPLBACKEND=Agg as in the tests: a notebook shows its figures only if it
selects the inline backend itself (``%matplotlib inline`` in its first cell), which
tests/project/test_notebooks.py checks. Needs the ``notebooks`` extra.
"""
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CELL_TIMEOUT = 600


def execute(path):
    path = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        shutil.copy(path, copy)
        nb = nbformat.read(copy, as_version=4)
        os.environ["MPLBACKEND"] = "Agg"
        start = time.perf_counter()
        NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                       resources={"metadata": {"path": tmp}}).execute()
        nbformat.write(nb, path)
    print(f"{path}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        execute(arg)
