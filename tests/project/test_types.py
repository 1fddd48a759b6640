"""Types: the package ships its annotations (py.typed), the public API is annotated, mypy
passes on the package (configured in pyproject.toml's [tool.mypy]), and a user's code is
checked against the annotations (a wrong call is reported). mypy comes with the test extra.
"""
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dualad

ROOT = Path(__file__).resolve().parents[2]

# Classes of the public API whose members a user calls; their public methods and
# constructors must be annotated too.
CLASSES = ["Dual", "Tensor", "CostModel", "CostReport"]
OPTIMIZERS = ["Optimizer", "SGD", "Adam", "AdamW"]


def _mypy(*args, cwd=ROOT):
    try:
        import mypy  # noqa: F401
    except ImportError as e:             # a missing extra is a failure, not a skip
        pytest.fail(f"type checking needs the test extra (pip install -e '.[test]'): {e}")
    env = dict(os.environ, MYPYPATH=str(ROOT))      # this checkout's dualad, not another
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


def test_the_package_ships_py_typed():
    assert (Path(dualad.__file__).parent / "py.typed").is_file()


def _callables():
    """(qualified name, function) of every public callable that must be annotated."""
    out = []
    for name in dualad.__all__:
        obj = getattr(dualad, name)
        if inspect.isfunction(obj):
            out.append((f"dualad.{name}", obj))
    classes = [(f"dualad.{n}", getattr(dualad, n)) for n in CLASSES]
    classes += [(f"dualad.optim.{n}", getattr(dualad.optim, n)) for n in OPTIMIZERS]
    for qual, cls in classes:
        for attr, member in vars(cls).items():
            if attr.startswith("_") and attr != "__init__":
                continue
            if isinstance(member, property):
                member = member.fget
            elif isinstance(member, (classmethod, staticmethod)):
                member = member.__func__
            if inspect.isfunction(member):
                out.append((f"{qual}.{attr}", member))
    return out


def _unannotated(fn):
    sig = inspect.signature(fn)
    missing = [p.name for i, p in enumerate(sig.parameters.values())
               if p.annotation is inspect.Parameter.empty
               and not (i == 0 and p.name in ("self", "cls"))]
    if sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_the_public_api_is_annotated():
    gaps = {q: m for q, fn in _callables() if (m := _unannotated(fn))}
    assert not gaps, f"public callables with unannotated parameters or returns: {gaps}"


def test_unannotated_detects_a_gap():
    def f(x, y: int) -> int:
        return y
    assert _unannotated(f) == ["x"]


def test_mypy_passes_on_the_package():
    done = _mypy()                      # files and options from [tool.mypy]
    assert done.returncode == 0, f"mypy failed:\n{done.stdout}\n{done.stderr}"


USER_CODE = '''
import numpy as np
import dualad as ad

def f(x: np.ndarray) -> float:
    return float(np.sum(x ** 2))

g = ad.grad(f)
value, grads = ad.value_and_grad(f)(np.ones(3))
out, tangent = ad.jvp(f, (np.ones(3),), (np.ones(3),))
J = ad.jacobian(np.sin, mode="reverse")(np.ones(3))
t = ad.Tensor([1.0, 2.0], requires_grad=True)
loss = np.sum((t * 2.0 - 1.0) ** 2)      # operators and NumPy calls on tensors type-check
loss.backward()
opt = ad.optim.Adam([t], lr=0.1)
opt.step()
d = ad.Dual(0.5, 1.0) * 3.0
print(d.tangent, t.grad, t.detach().numpy(), loss.item())
'''


def test_user_code_is_checked_against_the_annotations(tmp_path):
    good = tmp_path / "good.py"
    good.write_text(USER_CODE)
    bad = tmp_path / "bad.py"
    bad.write_text(USER_CODE + 'ad.grad(f, argnums="first")\nad.optim.SGD([t], lr="fast")\n')
    # dualad's own modules are analysed (their errors are the other test's business)
    opts = ("--config-file=", "--follow-imports=silent", "--ignore-missing-imports",
            f"--cache-dir={tmp_path / 'cache'}")
    ok = _mypy(*opts, str(good), cwd=tmp_path)
    assert ok.returncode == 0, f"mypy rejected correct user code:\n{ok.stdout}"
    wrong = _mypy(*opts, str(bad), cwd=tmp_path)
    assert wrong.returncode == 1
    assert 'Argument "argnums" to "grad" has incompatible type "str"' in wrong.stdout
    assert 'Argument "lr" to "SGD" has incompatible type "str"' in wrong.stdout
