"""Issue 12, item 8: Ctrl-C at any point while numba is first imported, or inside
``no_grad()``'s enter/exit, leaves the process usable. Deterministic: the interrupt is
raised at chosen points by hooks (an import hook at the k-th numba module; a trace
function at every bytecode of enter/exit), in subprocesses with a fresh interpreter."""
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

NUMBA_CUT = textwrap.dedent("""
    import sys, importlib.abc
    import numpy as np
    K = int(sys.argv[1])

    class Cut(importlib.abc.MetaPathFinder):
        seen = 0
        def find_spec(self, name, path, target=None):
            if name.partition(".")[0] in ("numba", "llvmlite"):
                Cut.seen += 1
                if Cut.seen == K:
                    raise KeyboardInterrupt   # Ctrl-C while the k-th module loads
            return None

    import dualad as ad

    def f(x):                                 # scalar code: the tape kernel needs numba
        for _ in range(60):
            x = x * 1.01 + 0.1
        return x

    sys.meta_path.insert(0, Cut())
    try:
        ad.grad(f)(1.0)
        print("not interrupted", Cut.seen)
    except KeyboardInterrupt:
        print("interrupted at", Cut.seen)
    sys.meta_path.pop(0)
    want = 1.01 ** 60
    assert abs(ad.grad(f)(1.0) - want) < 1e-12 * want
    g = ad.grad(lambda x: np.sum(np.sin(x)))(np.ones(5000))   # a fused numba kernel
    assert np.array_equal(g, np.cos(np.ones(5000)))
    print("ok")
""")


@pytest.mark.parametrize("k", [5, 40, 150])
def test_interrupt_while_numba_imports(k):
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("DUALAD_DISABLE_NUMBA", None)
    r = subprocess.run([sys.executable, "-c", NUMBA_CUT, str(k)], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "ok"
    assert f"interrupted at {k}" in r.stdout, r.stdout


NO_GRAD_CUT = textwrap.dedent("""
    import sys
    import numpy as np
    import dualad as ad
    from dualad.modes import tensor

    CODES = {tensor._GradMode.__enter__.__code__, tensor._GradMode.__exit__.__code__}

    def interrupted(block, k):
        '''Run block with a KeyboardInterrupt raised at the k-th step (a call or a
        bytecode) of a grad-mode __enter__/__exit__; the number of steps seen.'''
        count = [0]
        def step():
            count[0] += 1
            if count[0] == k:
                raise KeyboardInterrupt
        def local(frame, event, arg):
            if event == "opcode":
                step()
            return local
        def tracer(frame, event, arg):
            if frame.f_code in CODES:
                frame.f_trace_opcodes = True
                step()
                return local
            return None
        sys.settrace(tracer)
        try:
            block()
        except KeyboardInterrupt:
            pass
        finally:
            sys.settrace(None)
        return count[0]

    def simple():
        with ad.no_grad():
            pass

    def nested():
        with ad.no_grad():
            with ad.enable_grad():
                pass

    @ad.no_grad()
    def decorated():
        pass

    x = ad.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    tried = 0
    for block in (simple, nested, decorated):
        k = 1
        while interrupted(block, k) >= k:
            tried += 1
            assert ad.is_grad_enabled(), (block.__name__, k)
            y = (x * x).sum()                     # recording works: the next derivative
            y.backward()
            assert np.array_equal(x.grad.value, 2.0 * x.value * tried), (block.__name__, k)
            k += 1
    print("ok", tried)
""")


def test_interrupt_inside_no_grad_enter_exit():
    r = subprocess.run([sys.executable, "-c", NO_GRAD_CUT], env=dict(os.environ, PYTHONPATH=ROOT),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ok"), r.stdout
    assert int(r.stdout.split()[1]) > 50     # every step of enter and exit was tried
