"""The peers: autograd, JAX, PyTorch and mygrad, each loaded only if installed.

A peer that is not installed is skipped (and reported as such), never faked. Each loader
pins its library to one thread and to float64, so every contender computes the same thing.
"""
import importlib
import warnings

import numpy as np

PEERS = ("autograd", "jax", "torch", "mygrad")

_loaded = {}
_errors = {}


def load(name):
    """The peer's module namespace (a dict of what the workloads use), or None."""
    if name in _loaded:
        return _loaded[name]
    try:
        mod = globals()["_load_" + name]()
    except Exception as e:  # not installed, or broken: skipped with the reason
        _errors[name] = f"{type(e).__name__}: {e}".splitlines()[0][:120]
        mod = None
    _loaded[name] = mod
    return mod


def why_missing(name):
    return _errors.get(name, "not requested")


def version(name):
    mod = _loaded.get(name)
    return None if mod is None else mod["version"]


def _load_autograd():
    autograd = importlib.import_module("autograd")
    anp = importlib.import_module("autograd.numpy")
    from importlib.metadata import version as v
    return {"module": autograd, "np": anp, "version": v("autograd")}


def _load_jax():
    jax = importlib.import_module("jax")
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    jnp = importlib.import_module("jax.numpy")
    jnp.zeros(1).block_until_ready()
    return {"module": jax, "np": jnp, "version": jax.__version__}


def _load_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch = importlib.import_module("torch")
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set (or work already started): keep going
        pass
    tf = importlib.import_module("torch.func")
    return {"module": torch, "func": tf, "version": torch.__version__}


def _load_mygrad():
    mg = importlib.import_module("mygrad")
    return {"module": mg, "version": mg.__version__}


def to_numpy(x):
    """A peer's result as a NumPy array (for the correctness check)."""
    if isinstance(x, (list, tuple)):
        return [to_numpy(v) for v in x]
    if hasattr(x, "detach"):          # torch
        return x.detach().cpu().numpy()
    if hasattr(x, "block_until_ready"):  # jax
        return np.asarray(x)
    if type(x).__module__.startswith("mygrad"):
        return np.asarray(x.data)
    return np.asarray(x)


def ready(x):
    """Wait for an asynchronous result (JAX dispatches asynchronously)."""
    if isinstance(x, (list, tuple)):
        for v in x:
            ready(v)
    elif hasattr(x, "block_until_ready"):
        x.block_until_ready()
    return x
