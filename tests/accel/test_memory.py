"""dualad.accel.memory: freed memory kept for reuse (glibc), on by default, off by env var."""
import os
import platform
import subprocess
import sys

import pytest

from dualad.accel import memory

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def _kept_after_a_grad(env_value):
    env = dict(os.environ)
    env.pop("DUALAD_KEEP_MEMORY", None)
    if env_value is not None:
        env["DUALAD_KEEP_MEMORY"] = env_value
    code = ("import numpy as np, dualad, dualad.accel.memory as m\n"
            "before = m.kept()\n"
            "dualad.grad(lambda x: np.sum(x * x))(np.ones(3))\n"
            "print(before, m.kept())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return out


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_kept_from_the_first_derivative_on():
    assert _kept_after_a_grad(None) == ["False", "True"]


@pytest.mark.parametrize("value", ["0", "off", "false"])
def test_environment_variable_turns_it_off(value):
    assert _kept_after_a_grad(value) == ["False", "False"]


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_keep_freed_memory_applies_the_settings():
    assert memory.keep_freed_memory() is True
    assert memory.keep_freed_memory(64 * 2 ** 20) is True
