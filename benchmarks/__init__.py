"""dualad benchmarks against autograd, JAX, PyTorch and mygrad: ``python -m benchmarks``.

Importing this package pins every library to one thread *before* any of them is imported
(BLAS/OpenMP, numba, XLA, torch), so all contenders run on equal terms on a shared
machine. See ``benchmarks/runner.py`` for the command line.
"""
import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                           " --xla_cpu_multi_thread_eigen=false"
                           " intra_op_parallelism_threads=1").strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("JAX_ENABLE_X64", "1")        # float64 everywhere, like the others
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
