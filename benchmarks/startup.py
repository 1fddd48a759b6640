"""startup: ``import dualad`` and the first grad calls, with a cold and a warm numba cache.

Each measurement runs in a fresh interpreter. "Cold" points ``NUMBA_CACHE_DIR`` at a new,
empty directory, so every numba kernel the first calls need is compiled; "warm" reruns
with that same directory, now filled, so the kernels load from disk. A run with
``DUALAD_DISABLE_NUMBA=1`` (no numba at all) is the baseline.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from .timing import median

IMPORT_SCRIPT = """
import time
t = time.perf_counter()
import dualad
print(time.perf_counter() - t)
"""

NUMPY_SCRIPT = """
import time
t = time.perf_counter()
import numpy
print(time.perf_counter() - t)
"""

FIRST_CALLS = """
import json, time
t0 = time.perf_counter()
import numpy as np
import dualad as ad
from benchmarks.workloads import rosen_loop, rosen_vec, mlp_data, _mlp_numpy_like
t1 = time.perf_counter()
x = np.linspace(-1.0, 1.0, 100)
g = ad.grad(lambda v: rosen_loop(v, 100))
g(x); t2 = time.perf_counter()
g(x); t3 = time.perf_counter()
xv = np.linspace(-1.0, 1.0, 10000)
gv = ad.grad(rosen_vec)
gv(xv); t4 = time.perf_counter()
params, X, Y = mlp_data()
loss = _mlp_numpy_like(np)
gm = ad.grad(lambda p: loss(p, X, Y))
gm(params); t5 = time.perf_counter()
gm(params); t6 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "scalar_loop_grad": t2 - t1,
                  "scalar_loop_grad_again": t3 - t2, "vec_rosen_grad": t4 - t3,
                  "mlp_grad": t5 - t4, "mlp_grad_again": t6 - t5,
                  "first_grads": (t2 - t1) + (t4 - t3) + (t5 - t4)}))
"""

# Array code only: no numba should be imported (issue 16), so no cold/warm difference.
ARRAY_FIRST_CALLS = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import dualad as ad
from benchmarks.workloads import rosen_vec, mlp_data, _mlp_numpy_like
t1 = time.perf_counter()
xv = np.linspace(-1.0, 1.0, 10000)
ad.grad(rosen_vec)(xv); t2 = time.perf_counter()
params, X, Y = mlp_data()
loss = _mlp_numpy_like(np)
ad.grad(lambda p: loss(p, X, Y))(params); t3 = time.perf_counter()
print(json.dumps({"vec_rosen_grad": t2 - t1, "mlp_grad": t3 - t2,
                  "first_grads": t3 - t1, "numba_imported": "numba" in sys.modules,
                  "max_rss_mib": [int(l.split()[1]) for l in open("/proc/self/status")
                                  if l.startswith("VmHWM")][0] / 1024}))
"""

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python(script, **env):
    full = dict(os.environ)
    full.update(env)
    full["PYTHONPATH"] = ROOT + os.pathsep + full.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       cwd=ROOT, env=full, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip().splitlines()[-1] if r.stderr else "failed")
    return r.stdout.strip().splitlines()[-1]


def _median_dicts(ds):
    return {k: median([d[k] for d in ds]) for k in ds[0]}


def run(ctx):
    reps = 5 if ctx.quick else 9
    ctx.say(f"startup: import dualad x{reps}")
    imports = [float(_python(IMPORT_SCRIPT)) for _ in range(reps)]
    numpy_imports = [float(_python(NUMPY_SCRIPT)) for _ in range(reps)]
    cold, warm, array_only = [], [], []
    for rep in range(2 if ctx.quick else 3):
        cache = tempfile.mkdtemp(prefix="dualad-numba-cache-")
        try:
            ctx.say(f"startup: first grad calls, cold numba cache ({rep + 1})")
            cold.append(json.loads(_python(FIRST_CALLS, NUMBA_CACHE_DIR=cache)))
            for _ in range(2):
                ctx.say(f"startup: first grad calls, warm numba cache ({rep + 1})")
                warm.append(json.loads(_python(FIRST_CALLS, NUMBA_CACHE_DIR=cache)))
            ctx.say(f"startup: first grad calls of array code only ({rep + 1})")
            array_only.append(json.loads(_python(ARRAY_FIRST_CALLS, NUMBA_CACHE_DIR=cache)))
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    ctx.say("startup: first grad calls, numba disabled")
    off = [json.loads(_python(FIRST_CALLS, DUALAD_DISABLE_NUMBA="1")) for _ in range(3)]
    return {
        "import_dualad": median(imports), "import_dualad_samples": imports,
        "import_numpy": median(numpy_imports),
        "cold": _median_dicts(cold), "warm": _median_dicts(warm),
        "numba_disabled": _median_dicts(off), "array_code_only": _median_dicts(array_only),
        "note": "first_grads = first grad(scalar_loop n=100) + grad(vec_rosen n=1e4) + "
                "grad(mlp), each the first call in a fresh interpreter, after import; "
                "array_code_only: grad(vec_rosen) + grad(mlp) alone (no scalar code)",
    }
