"""docs/COVERAGE.md is generated from the tables (scripts/gen_coverage.py) and must be
current; every supported NumPy function has a test case; the autograd comparison holds."""
import importlib.util
import pathlib

import numpy as np
import pytest

from dualad.numpy import registry as D

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_coverage",
                                                  ROOT / "scripts" / "gen_coverage.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GEN = _generator()


def test_coverage_page_is_current():
    want = GEN.render()
    have = (ROOT / "docs" / "COVERAGE.md").read_text()
    assert have == want, ("docs/COVERAGE.md is out of date: run "
                          ".venv/bin/python scripts/gen_coverage.py")


def test_every_supported_function_has_a_case():
    supported = GEN.classify()[0]
    cov = GEN.case_coverage()
    untested = [ns[0] for ns, obj, fn in supported if id(obj) not in cov]
    assert not untested, f"supported without a case in tests/numpy/numpy_cases.py: {untested}"


def test_every_case_covers_something_real():
    for c in GEN.numpy_cases.CASES:
        for x in c.covers:
            if isinstance(x, str):
                continue
            assert x in D.FUNCTIONS or x in D.UFUNCS, (c.label, x)


def test_autograd_parity():
    rows = GEN.autograd_parity(GEN.classify()[5])
    gaps = {name for name, ok in rows if not ok}
    assert gaps == set(GEN.AUTOGRAD_GAPS), gaps ^ set(GEN.AUTOGRAD_GAPS)
    assert len(rows) - len(gaps) >= 140


@pytest.mark.parametrize("name", ["numpy.unique", "numpy.histogram", "numpy.linalg.tensorinv",
                                  "numpy.nextafter", "numpy.polyfit"])
def test_page_lists_known_unsupported_functions(name):
    text = (ROOT / "docs" / "COVERAGE.md").read_text()
    prefix, short = name.rsplit(".", 1)
    line = next(l for l in text.splitlines() if l.startswith(f"**{prefix}**"))
    assert f"`{short}`" in line
