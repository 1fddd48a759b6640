"""Smoke test of the benchmark runner: tiny sizes, dualad alone, no peers needed.

This checks that ``python -m benchmarks`` runs end to end and writes well-formed results;
it measures nothing (speed is measured by the benchmarks themselves, never in tests).
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKLOADS = ("scalar_loop", "deep_chain", "vec_rosen", "mlp", "jac_sweep", "hessian")


def test_runner_tiny_dualad_only(tmp_path):
    cmd = [sys.executable, "-m", "benchmarks", "--tiny", "--peers", "none", "--no-plot",
           "--out", str(tmp_path), "--only", ",".join(WORKLOADS + ("kernels",))]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert "scalar_loop" in r.stdout and "targets:" in r.stdout
    assert "[" in r.stderr                      # progress lines while it runs

    data = json.loads((tmp_path / "results.json").read_text())
    for key in ("command", "machine", "versions", "rows", "targets", "kernels",
                "numba_enabled"):
        assert key in data, key
    assert data["tiny"] is True
    assert {r["workload"] for r in data["rows"]} == set(WORKLOADS)
    for row in data["rows"]:
        for key in ("case", "task", "f_time", "ref", "results"):
            assert key in row, (row["workload"], key)
        assert row["f_time"] > 0
        ref = row["results"][row["ref"]]
        assert ref["status"] == "ok", (row["workload"], row["case"], ref)
        assert ref["time"] > 0 and ref["vs_f"] > 0 and abs(ref["vs_dualad"] - 1) < 1e-12
        assert ref["max_rel_error"] <= 1e-8
        for label, e in row["results"].items():
            assert "status" in e and "lib" in e and "mode" in e, (label, e)
            if e["lib"] != "dualad":
                assert e["status"].startswith("skipped"), (label, e)   # never faked
    jac = [r for r in data["rows"] if r["workload"] == "jac_sweep"]
    assert all({"dualad jacfwd", "dualad jacrev", "dualad auto"} <= set(r["results"])
               for r in jac)
    for t in data["targets"]:
        assert set(t) == {"target", "ok", "measured"}
    md = (tmp_path / "results.md").read_text()
    assert "| case |" in md
    if data["numba_enabled"]:
        assert data["kernels"]["ops"]


def test_runner_rejects_unknown_names():
    r = subprocess.run([sys.executable, "-m", "benchmarks", "--only", "nope"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "unknown workload" in r.stderr


def test_runner_tiny_sparse(tmp_path):
    cmd = [sys.executable, "-m", "benchmarks", "--tiny", "--peers", "none", "--no-plot",
           "--out", str(tmp_path), "--only", "sparse"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    s = json.loads((tmp_path / "results.json").read_text())["sparse"]
    assert {"dualad sparse", "analytic dense", "scipy coloured FD"} <= set(s["jacobian"])
    assert all(e <= 1e-6 for e in s["max_rel_error"].values())
    assert set(s["solve_ivp"]) == {"BDF", "Radau"} and len(s["detection"]) == 2
    assert "sparse: Brusselator" in r.stdout
    assert "| one Jacobian |" in (tmp_path / "results.md").read_text()


def test_runner_tiny_scipy(tmp_path):
    cmd = [sys.executable, "-m", "benchmarks", "--tiny", "--peers", "none", "--no-plot",
           "--out", str(tmp_path), "--only", "scipy"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    rows = json.loads((tmp_path / "results.json").read_text())["rows"]
    assert [row["case"].split()[0] for row in rows] == ["logsumexp", "mvn.logpdf", "odeint"]
    for row in rows:
        assert row["results"]["dualad"]["status"] == "ok", (row["case"], row["results"])
        for label, e in row["results"].items():
            if e["lib"] != "dualad":
                assert e["status"].startswith("skipped"), (label, e)   # never faked
    ode = rows[-1]["results"]
    assert {"dualad adjoint", "dualad forward"} & set(ode)        # the other route beside


def test_object_array_costs_script_runs(capsys, monkeypatch):
    from benchmarks import object_arrays
    monkeypatch.setattr(object_arrays, "best", lambda f, **kw: (f(), 1.0)[1])
    object_arrays.main(sizes=(4,))
    out = capsys.readouterr().out
    assert "np.zeros_like + item assignment" in out and "| 4 |" in out
