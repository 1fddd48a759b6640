"""The package builds, and the built wheel installs and works in a fresh virtual environment.

One module-scoped build: ``python -m build`` makes the sdist and, from the unpacked sdist,
the wheel (so a file missing from the sdist shows up as a broken wheel). It runs without
build isolation (setuptools and build come with the ``test`` extra), from a copy of the
files a distribution is made of, so nothing is downloaded and the source tree is not
touched. The fresh environment is made without pip and without system site-packages; the
runtime dependencies the wheel declares (numpy, numba and theirs) are linked into it from
this environment, and pip installs the wheel with ``--no-index``: the wheel's own
requirements are resolved against exactly those, offline.
"""
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from email.parser import Parser
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
# what a distribution is made of (pyproject.toml names README and LICENSE)
SOURCES = ["pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "dualad"]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _run(cmd, **kw):
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert done.returncode == 0, (f"{' '.join(map(str, cmd))} failed ({done.returncode}):\n"
                                  f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """(sdist path, wheel path), built from a copy of the sources."""
    for module in ("build", "setuptools"):
        try:
            __import__(module)
        except ImportError as e:       # a missing extra is a failure, not a skip
            pytest.fail(f"building the package needs the test extra "
                        f"(pip install -e '.[test]'): {e}")
    tmp = tmp_path_factory.mktemp("packaging")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(path, src / name)
    out = tmp / "dist"
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)])
    sdists, wheels = list(out.glob("*.tar.gz")), list(out.glob("*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, os.listdir(out)
    return sdists[0], wheels[0]


def _metadata(text):
    return Parser().parsestr(text)


def test_the_wheel_holds_every_module_and_the_type_marker(dists):
    _, wheel = dists
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = _metadata(z.read(info).decode())
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "dualad").rglob("*.py")}
    assert sources and not sources - names, f"not in the wheel: {sorted(sources - names)}"
    assert "dualad/py.typed" in names
    assert meta["Name"] == "dualad" and meta["Version"] == PYPROJECT["version"]
    assert meta["License-Expression"] == "MIT"
    assert "License" not in meta                  # the deprecated field is gone
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    runtime = [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]
    assert sorted(runtime) == sorted(PYPROJECT["dependencies"])


def test_the_sdist_holds_the_sources_and_the_license(dists):
    sdist, _ = dists
    with tarfile.open(sdist) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    for name in ("pyproject.toml", "README.md", "LICENSE", "PKG-INFO", "dualad/__init__.py",
                 "dualad/py.typed"):
        assert name in names, f"{name} is not in {sdist.name}"


def _requirements(names, seen=None):
    """The installed distributions of `names` and of everything they require, recursively."""
    from packaging.requirements import Requirement
    seen = {} if seen is None else seen
    for spec in names:
        req = Requirement(spec)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        key = req.name.lower().replace("_", "-")
        if key in seen:
            continue
        dist = metadata.distribution(req.name)
        assert dist.version in req.specifier, f"{req.name} {dist.version} does not meet {req}"
        seen[key] = dist
        _requirements(dist.requires or [], seen)
    return seen


def _link_distribution(dist, site):
    """Symlink the top-level files and directories of an installed distribution into site."""
    assert dist.files, f"{dist.metadata['Name']} lists no files (no RECORD)"
    tops = {f.parts[0] for f in dist.files if f.parts[0] not in ("..", "__pycache__")}
    for top in tops:
        target = Path(dist.locate_file(top))
        if target.exists() and not (site / top).exists():
            (site / top).symlink_to(target)


@pytest.fixture(scope="module")
def fresh_env(dists, tmp_path_factory):
    """A fresh venv (no pip, no system site-packages) with the wheel and its dependencies."""
    _, wheel = dists
    env = tmp_path_factory.mktemp("venv") / "env"
    _run([sys.executable, "-m", "venv", "--without-pip", str(env)])
    python = env / "bin" / "python"
    site = Path(_run([str(python), "-I", "-c",
                      "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    with zipfile.ZipFile(wheel) as z:
        info = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        requires = _metadata(z.read(info).decode()).get_all("Requires-Dist") or []
    for dist in _requirements(requires).values():
        _link_distribution(dist, site)
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index",
          "--no-cache-dir", "--disable-pip-version-check", "--quiet", str(wheel)])
    return python


CHECK = r"""
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import dualad as ad

assert Path(ad.__file__).resolve().is_relative_to(Path(sys.prefix).resolve()), ad.__file__
assert ad.__version__ == metadata.version("dualad"), ad.__version__

x = np.linspace(0.1, 1.0, 5)
g = ad.grad(lambda x: np.sum(np.sin(x) ** 2))(x)            # array code
assert np.allclose(g, np.sin(2 * x), rtol=1e-13, atol=0)

def horner(x):                                               # scalar code on the tape
    y = 0.0
    for c in (1.0, -2.0, 3.0, 0.5):
        y = y * x + c
    return y
assert abs(ad.grad(horner)(0.7) - (3 * 0.7 ** 2 - 4 * 0.7 + 3)) < 1e-12
assert np.allclose(ad.jacfwd(np.tanh)(x), np.diag(1 - np.tanh(x) ** 2))
print(ad.__version__)
"""


def test_the_wheel_works_in_a_fresh_venv(fresh_env, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    out = _run([str(fresh_env), "-I", "-c", CHECK], cwd=tmp_path, env=env)
    assert out.strip() == PYPROJECT["version"]


def test_the_fresh_venv_has_only_the_declared_dependencies(fresh_env, tmp_path):
    """What the wheel runs on in the test above is what it declares, nothing more."""
    out = _run([str(fresh_env), "-I", "-c",
                "from importlib import metadata\n"
                "print(' '.join(sorted(d.metadata['Name'].lower() "
                "for d in metadata.distributions())))"], cwd=tmp_path)
    names = set(out.split())
    declared = {k for k in _requirements(PYPROJECT["dependencies"])}
    assert names == declared | {"dualad"}, names
