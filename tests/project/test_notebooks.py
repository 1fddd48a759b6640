"""Every notebook in notebooks/ executes without error (none is skipped).

Each notebook runs from a copy in a temporary directory (so files it writes land there
and the stored outputs in the repository are untouched), in a fresh kernel of this
Python, with a time limit per cell. The notebooks assert their key claims in their cells,
so executing them is a real test. Needs the ``notebooks`` extra (``make test`` installs
it).
"""
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 300          # seconds per cell


def test_there_are_notebooks():
    names = [p.name for p in NOTEBOOKS]
    for prefix in ("01_", "02_", "03_", "04_"):
        assert any(n.startswith(prefix) for n in names), f"no notebook {prefix}*.ipynb"


def cells_without_figure(cells):
    """Indices of the code cells that call plt.show() but have no image output."""
    missing = []
    for i, c in enumerate(cells):
        source = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        if c["cell_type"] != "code" or "plt.show()" not in source:
            continue
        if not any("image/png" in o.get("data", {}) for o in c.get("outputs", [])):
            missing.append(i)
    return missing


def test_figure_check_sees_a_missing_figure():
    shown = {"cell_type": "code", "source": "plt.plot([1]); plt.show()",
             "outputs": [{"output_type": "display_data", "data": {"image/png": "..."}}]}
    lost = {"cell_type": "code", "source": ["plt.plot([1])\n", "plt.show()"], "outputs": []}
    assert cells_without_figure([shown, lost]) == [1]


def test_notebooks_are_stored_with_their_figures():
    import json
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        missing = cells_without_figure(nb["cells"])
        assert not missing, (f"{path.name}: cells {missing} call plt.show() but are stored "
                             "without their figure (re-execute with "
                             "scripts/execute_notebooks.py)")


def test_notebooks_are_stored_with_outputs():
    import json
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert any(c.get("outputs") for c in code), f"{path.name} is stored without outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path):
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
    except ImportError as e:     # a missing extra is a failure, not a skip
        pytest.fail(f"executing notebooks needs the notebooks extra "
                    f"(pip install -e '.[notebooks]'): {e}")
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    nb = nbformat.read(copy, as_version=4)
    env_backup = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"                  # the kernel inherits it: no windows
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as e:
        pytest.fail(f"{path.name} failed:\n{e}")
    finally:
        if env_backup is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backup
    elapsed = time.perf_counter() - start
    sys.stderr.write(f"{path.name}: {elapsed:.1f} s\n")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    # under MPLBACKEND=Agg, plt.show() displays nothing unless the notebook selects the
    # inline backend itself (%matplotlib inline): then its figures would be lost when stored
    missing = cells_without_figure(nb.cells)
    assert not missing, f"{path.name}: cells {missing} showed no figure when executed"
