"""The main demo, ``python -m dualad``: runs, prints the report and the table, writes the
plot where it says, and degrades politely without matplotlib. Small sizes only; no
assertion depends on which mode turned out faster."""
import os
import re
import subprocess
import sys

import pytest

from dualad import __main__ as demo
from dualad.auto import SweepRow

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_demo(args, cwd):
    env = dict(os.environ, PYTHONHASHSEED="0")
    return subprocess.run([sys.executable, "-m", "dualad", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_demo_runs_and_writes_the_plot_in_the_current_directory(tmp_path):
    pytest.importorskip("matplotlib")
    r = run_demo(["--n", "1,100", "--m", "1,30", "--repeat", "1"], tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for heading in ("1. A gradient of plain Python code",
                    "2. The Jacobian of a scientific function",
                    "3. Forward against reverse, measured",
                    "4. The crossover, plotted"):
        assert heading in out
    # the gradient agrees with forward mode and with a central difference
    g = float(re.search(r"grad\(f\)\(0.7\)\s+= ([-\d.]+)", out).group(1))
    t = float(re.search(r"jvp\(f, \(0.7,\), \(1.0,\)\)\s+= ([-\d.]+)", out).group(1))
    assert g == t
    # the Jacobian section prints the decision and the cost report
    assert "auto chose forward" in out or "auto chose reverse" in out
    assert "Jacobian of bratu_residual: R^200 -> R^200" in out
    assert "4 forward passes of 64 directions" in out
    assert "1 recorded pass + 4 sweeps of 64 rows" in out      # 200 rows, batched
    assert "tape of reverse mode" in out
    # one table row per cell, with the passes' winner and auto's ratio
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+(forward|reverse)\s+"
                      r"([\d.]+)\s+([\d.]+)", out, re.M)
    assert sorted((int(n), int(m)) for n, m, *_ in rows) == [(1, 1), (1, 30), (100, 1),
                                                           (100, 30)]
    assert "worst auto/best" in out
    # the plot, where the demo says it is
    path = re.search(r"wrote (.+\.png)", out).group(1)
    assert os.path.samefile(path, tmp_path / "dualad_crossover.png")
    with open(path, "rb") as fh:
        assert fh.read(8) == PNG_MAGIC
    # the progress bar went to stderr
    assert "4/4 done" in r.stderr


def test_demo_sweep_at_other_sizes_and_out(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "plots" / "x.png"
    target.parent.mkdir()
    r = run_demo(["--sweep-only", "--cells", "2x3,70x1", "--repeat", "2", "--clock", "cpu",
                  "--out", str(target)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "1. A gradient" not in r.stdout
    assert "2 cells" in r.stdout and "(cpu clock)" in r.stdout
    assert target.read_bytes()[:8] == PNG_MAGIC
    assert not (tmp_path / "dualad_crossover.png").exists()


def test_help_documents_the_sweep_options(tmp_path):
    r = run_demo(["--help"], tmp_path)
    assert r.returncode == 0
    for option in ("--n", "--m", "--cells", "--jac-sweep", "--max-size", "--repeat",
                   "--clock", "--out", "--no-plot", "--sweep-only"):
        assert option in r.stdout


@pytest.mark.parametrize("bad", [["--n", "0,3"], ["--m", "x"], ["--cells", "3by4"],
                                 ["--repeat", "0"], ["--clock", "sundial"]])
def test_bad_options_are_refused(bad):
    with pytest.raises(SystemExit) as e:
        demo.parse_args(bad)
    assert e.value.code == 2


def test_cells_of_the_grid():
    args = demo.parse_args(["--n", "1,10,1000", "--m", "1,1000", "--max-size", "10000"])
    assert demo.sweep_cells(args) == [(1, 1), (10, 1), (1000, 1), (1, 1000), (10, 1000)]
    args = demo.parse_args(["--jac-sweep"])
    assert demo.sweep_cells(args) == [(1, 1000), (10, 1000), (100, 100), (1000, 10),
                                      (1000, 1)]


ROWS = [SweepRow(1, 1, 1e-4, 2e-4, 1.1e-4, "forward", "measured"),
        SweepRow(100, 1, 3e-4, 1e-4, 1.2e-4, "reverse", "model")]


def test_without_matplotlib_the_demo_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)     # import matplotlib fails
    assert demo.plot_crossover(ROWS, str(tmp_path / "p.png")) is None
    out = capsys.readouterr().out
    assert "pip install 'dualad[notebooks]'" in out
    assert not (tmp_path / "p.png").exists()


def test_plot_from_rows(tmp_path):
    pytest.importorskip("matplotlib")
    path = demo.plot_crossover(ROWS, str(tmp_path / "p.png"))
    assert path == str(tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == PNG_MAGIC


def test_progress_bar_text():
    import io
    s = io.StringIO()
    p = demo.Progress(stream=s, width=10)
    p(0, 4, (1, 2))
    p(2, 4, (3, 4))
    p(4, 4, None)
    text = s.getvalue()
    assert "[.........." in text and "[#####....." in text and "[##########] 4/4 done" in text
    assert text.endswith("\n")
