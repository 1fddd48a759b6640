"""The documentation: every ```python block of the docs pages runs, and the site builds.

Each page's blocks run in order in one namespace (as in tests/project/test_readme.py), in a
temporary directory. The site is built by ``mkdocs build --strict`` (a broken reference,
a missing page or a docstring mkdocstrings cannot parse fails), and its API reference must
cover every name of ``dualad.__all__``. Building needs the ``docs`` extra.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from markdown_examples import python_blocks, run_blocks

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
BLOCKS = [(page, i, line) for page in PAGES
          for i, (line, _) in enumerate(python_blocks(page.read_text(encoding="utf-8")))]


def _name(page):
    return page.relative_to(ROOT).as_posix()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """{page: {index: None or the formatted error}}, each page run once."""
    results = {}
    for page in PAGES:
        blocks = python_blocks(page.read_text(encoding="utf-8"))
        if blocks:
            results[page] = run_blocks(blocks, _name(page), tmp_path_factory.mktemp("docs"))
    return results


def test_the_guides_have_examples():
    guides = sorted((DOCS / "guides").glob("*.md"))
    assert guides
    for page in guides:
        assert python_blocks(page.read_text(encoding="utf-8")), f"{_name(page)} has no example"


@pytest.mark.parametrize("page,index,line", BLOCKS,
                         ids=[f"{_name(p)}:{line}" for p, _, line in BLOCKS])
def test_docs_block_runs(page, index, line, outcomes):
    error = outcomes[page][index]
    assert error is None, f"{_name(page)} block at line {line} failed:\n{error}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built by ``mkdocs build --strict`` (any warning fails the build)."""
    try:
        import mkdocs  # noqa: F401
        import mkdocstrings  # noqa: F401
    except ImportError as e:             # a missing extra is a failure, not a skip
        pytest.fail(f"building the docs needs the docs extra (pip install -e '.[docs]'): {e}")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                           "--site-dir", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


def test_the_reference_covers_every_public_name(site):
    import dualad
    html = "".join(p.read_text(encoding="utf-8") for p in (site / "reference").rglob("*.html"))
    documented = set(re.findall(r'id="dualad\.(\w+)"', html))
    missing = sorted(set(dualad.__all__) - documented)
    assert not missing, f"not in the API reference (docs/reference/*.md): {missing}"


def test_the_notebooks_are_pages_with_their_figures(site):
    import json
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        figures = sum("image/png" in o.get("data", {}) for c in nb["cells"]
                      for o in c.get("outputs", []))
        page = (site / "notebooks" / path.stem / "index.html").read_text(encoding="utf-8")
        assert page.count("<img ") == figures, path.name
        assert figures == len(list((site / "notebooks").glob(f"{path.stem}_*.png")))
