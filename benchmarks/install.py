"""Install dualad and the benchmark peers into the running (benchmark) environment.

Used by ``make bench``; run it with the benchmark environment's Python::

    .venv-bench/bin/python benchmarks/install.py

The peers come from the ``bench`` extra in pyproject.toml. torch is installed first, by
itself, with the extra's pinned version (the CPU build; a loose range would pull several GB
of CUDA packages), so that the extra is already satisfied when it is installed. When a peer
cannot be installed here, the others still are, and the runner skips the missing one.
"""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench_requirements():
    text = (ROOT / "pyproject.toml").read_text()
    try:
        import tomllib
        return tomllib.loads(text)["project"]["optional-dependencies"]["bench"]
    except ImportError:  # Python 3.10: a small parse of the one list we need
        block = re.search(r"^bench\s*=\s*\[(.*?)\]", text, re.S | re.M).group(1)
        return re.findall(r'"([^"]+)"', block)


def pip(*args):
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", *args]
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT) == 0


def main():
    reqs = bench_requirements()
    torch = [r for r in reqs if re.match(r"torch\b", r)]
    failed = []
    for r in torch:
        if not pip(r):
            failed.append(r)
    if not failed and pip("-e", ".[bench]"):
        print("benchmark environment ready")
        return 0
    # Something could not be installed: install dualad and each remaining peer on its own.
    if not pip("-e", "."):
        return 1
    for r in reqs:
        if r in torch:
            continue
        if not pip(r):
            failed.append(r)
    for r in failed:
        print(f"WARNING: could not install {r}; the benchmark runner will skip it",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
