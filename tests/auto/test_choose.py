"""jacobian(mode="auto"), the cost model and explain().

Every choice tested here comes from an injected cost model (``fixed_model``) or from
timings the test feeds in by hand: nothing depends on how fast this machine is.
"""
import dataclasses
import math
from collections import namedtuple

import numpy as np
import pytest

import dualad as ad
from dualad import auto
from dualad import cost
from dualad.auto import crossover, machine, policy
from dualad.auto import choose
from dualad.cost import FORWARD, REVERSE, CostModel, Work
from dualad.auto.policy import Profile

K = ad.cost.DEFAULT_CHUNK


def sweep_f(n, m, seed=0):
    return crossover.sweep_function(n, m, seed)


class Counted:
    """f with a count of its evaluations (each pass of either mode runs f once)."""

    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, *args):
        self.calls += 1
        return self.f(*args)


# A model under which reverse sweeps are ruinous, and one under which forward passes are.
FORWARD_MODEL = dataclasses.replace(CostModel.default(), sweep_pass=1.0, source="test")
REVERSE_MODEL = dataclasses.replace(CostModel.default(), fwd_pass=1.0, source="test")


# ------------------------------------------------------------------------------------
# The Jacobian is right whatever auto chooses
# ------------------------------------------------------------------------------------
def _cases():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((3, 4))
    P = namedtuple("P", "a b")
    yield "vector", lambda x: np.tanh(A @ np.sin(x)), (rng.standard_normal(4),), 0, False
    yield "wide", lambda x: np.cumsum(x[:5]) * np.sum(x ** 2), (rng.standard_normal(150),), 0, False
    yield "scalar", lambda x: x * np.sin(x) + 1.0, (0.7,), 0, False
    yield "scalar->vector", lambda t: np.stack([np.cos(t), t * t, 3.0 * t]), (0.3,), 0, False
    yield "matrix", lambda X: X @ X.T, (rng.standard_normal((3, 2)),), 0, False
    yield "containers", lambda d: {"s": d["u"] * d["v"][0], "t": (d["v"] ** 2,)}, \
        ({"u": rng.standard_normal(3), "v": rng.standard_normal(3)},), 0, False
    yield "argnums", lambda a, b, c: a * b + np.sum(c) * b, \
        (rng.standard_normal(2), rng.standard_normal(2), rng.standard_normal(70)), (0, 2), False
    yield "namedtuple", lambda p: p.a * np.exp(p.b), (P(rng.standard_normal(2), 0.5),), 0, False
    yield "has_aux", lambda x: (np.sin(x) * 2.0, {"norm": np.sum(x * x)}), \
        (rng.standard_normal(3),), 0, True
    yield "constant output", lambda x: np.ones(3), (rng.standard_normal(2),), 0, False
    yield "int input", lambda x: x ** 2, (np.arange(3),), 0, False


CASES = list(_cases())


def _close(a, b):
    la, da = ad.core.tree.flatten(a)
    lb, db = ad.core.tree.flatten(b)
    assert da == db
    for x, y in zip(la, lb):
        assert np.shape(x) == np.shape(y)
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,f,args,argnums,has_aux", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("model", [FORWARD_MODEL, REVERSE_MODEL], ids=["fwd-model", "rev-model"])
def test_auto_equals_both_modes(name, f, args, argnums, has_aux, model):
    want = ad.jacfwd(f, argnums, has_aux)(*args)
    _close(ad.jacrev(f, argnums, has_aux)(*args), want)
    with ad.fixed_model(model):
        jf = ad.jacobian(f, argnums, mode="auto", has_aux=has_aux)
        for _ in range(3):          # the first call discovers, later calls plan
            _close(jf(*args), want)
        assert jf.decision.mode in (FORWARD, REVERSE)


@pytest.mark.parametrize("name,f,args,argnums,has_aux", CASES, ids=[c[0] for c in CASES])
def test_auto_adaptive_equals_forward(name, f, args, argnums, has_aux):
    want = ad.jacfwd(f, argnums, has_aux)(*args)
    jf = ad.jacobian(f, argnums, has_aux=has_aux)
    for _ in range(8):              # whichever modes the timings lead it to
        _close(jf(*args), want)


@pytest.mark.parametrize("model", [FORWARD_MODEL, REVERSE_MODEL], ids=["fwd-model", "rev-model"])
def test_auto_nested_derivatives(model):
    f = lambda x: np.sum(np.sin(x) * x ** 2)
    x = np.linspace(-1.0, 1.0, 5)
    with ad.fixed_model(model):
        H = ad.jacobian(ad.grad(f))(x)
        T = ad.jacfwd(ad.jacobian(ad.grad(f)))(x)       # auto inside forward mode
        T2 = ad.jacobian(ad.jacobian(ad.grad(f)))(x)    # auto inside auto
    np.testing.assert_allclose(H, ad.hessian(f)(x), rtol=1e-12)
    want = ad.jacfwd(ad.hessian(f))(x)
    np.testing.assert_allclose(T, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(T2, want, rtol=1e-12, atol=1e-12)


def test_output_size_change_is_noticed():
    size = [3]
    f = lambda x: np.sin(x[: size[0]]) * 2.0
    x = np.linspace(0.1, 1.0, 100)
    with ad.fixed_model(REVERSE_MODEL):
        jf = ad.jacobian(f)
        assert jf(x).shape == (3, 100)
        size[0] = 7
        J = jf(x)
    np.testing.assert_allclose(J, ad.jacfwd(f)(x))
    assert jf.decision.m == 7


# ------------------------------------------------------------------------------------
# No wasted passes: count the evaluations of f
# ------------------------------------------------------------------------------------
def test_small_n_first_call_is_one_forward_pass():
    f = Counted(sweep_f(10, 1000)[0])
    x = sweep_f(10, 1000)[1]
    with ad.fixed_model():
        jf = ad.jacobian(f)
        jf(x)
    assert f.calls == 1                       # the discovery pass is the whole Jacobian
    assert jf.decision.mode == FORWARD and jf.decision.basis == "discovery"
    assert jf.decision.m == 1000


def test_large_n_reverse_reuses_the_recorded_pass():
    g, x = sweep_f(1000, 1)
    f = Counted(g)
    with ad.fixed_model():
        jf = ad.jacobian(f)
        jf(x)
        assert f.calls == 1                   # recorded once, swept once
        jf(x)
        assert f.calls == 2                   # later calls: one recorded pass each
    assert jf.decision.mode == REVERSE


def test_large_n_forward_after_the_recorded_pass():
    g, x = sweep_f(200, 300)
    f = Counted(g)
    with ad.fixed_model(FORWARD_MODEL):
        jf = ad.jacobian(f)
        jf(x)
        passes = math.ceil(200 / K)
        assert f.calls == 1 + passes          # the discovery pass, then forward mode
        jf(x)
        assert f.calls == 1 + 2 * passes      # planned: no discovery pass any more
    assert jf.decision.mode == FORWARD


def test_fixed_model_learns_no_timings():
    g, x = sweep_f(100, 5)
    with ad.fixed_model():
        jf = ad.jacobian(g)
        jf(x), jf(x)
    (prof,) = policy._profiles[g].values()
    assert prof.count == {FORWARD: 0, REVERSE: 0}


def test_adaptive_auto_records_its_timings():
    g, x = sweep_f(100, 5)
    jf = ad.jacobian(g)
    for _ in range(4):
        jf(x)
    (prof,) = policy._profiles[g].values()
    # every call times the mode it ran (probes on the side add timings of the other)
    assert sum(prof.count.values()) >= 4
    assert prof.best[FORWARD] is not None or prof.best[REVERSE] is not None
    assert prof.m == 5 and prof.n == 100


# ------------------------------------------------------------------------------------
# Clear-cut choices and the report's counts
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,m,mode", [(1000, 1, REVERSE), (1, 1000, FORWARD),
                                      (1000, 10, REVERSE), (10, 1000, FORWARD)])
def test_clear_cut_choices(n, m, mode):
    f, x = sweep_f(n, m)
    with ad.fixed_model():
        jf = ad.jacobian(f)
        for _ in range(2):
            jf(x)
            assert jf.decision.mode == mode
        report = ad.explain(f, x)
    assert report.choice == mode
    assert report.basis == "model"


@pytest.mark.parametrize("n,m", [(1, 1000), (10, 1000), (100, 100), (1000, 10), (1000, 1),
                                 (64, 3), (65, 3), (129, 2)])
def test_report_counts(n, m):
    f, x = sweep_f(n, m)
    r = ad.explain(f, x, model=CostModel.default())
    assert (r.n, r.m) == (n, m)
    assert r.k == min(K, n)
    assert r.forward_passes == math.ceil(n / K)
    # array code: the sweeps take up to K rows of the Jacobian each (one row if m = 1)
    rows = min(m, K)
    assert r.sweep_rows == rows
    assert r.recorded_passes == 1 and r.reverse_sweeps == math.ceil(m / rows)
    assert r.work.flops == n * m                  # the matrix-vector product
    assert r.work.elements >= n + m               # sin over n, tanh over m
    assert r.measured_forward is None and r.measured_reverse is None
    model = r.model
    if rows == 1:
        assert r.est_reverse == pytest.approx(model.record(r.work) + model.sweep(r.work))
    else:
        full, rest = divmod(m, rows)
        assert r.est_reverse == pytest.approx(
            model.record(r.work) + full * model.batched_sweep(r.work, rows)
            + (model.batched_sweep(r.work, rest) if rest else 0.0))
    assert r.est_forward == pytest.approx(model.forward(r.work, n, K))
    text = str(r)
    assert f"R^{n} -> R^{m}" in text
    assert r.forward_text in text and r.reverse_text in text
    assert r.reverse_text == policy.passes_text(REVERSE, n, m, K, rows)
    assert dataclasses.asdict(r)["n"] == n


def test_passes_text():
    assert policy.passes_text(FORWARD, 1000, 1, 64) == "16 forward passes of 64 directions"
    assert policy.passes_text(FORWARD, 1, 5, 1) == "1 forward pass of 1 direction"
    assert policy.passes_text(REVERSE, 1000, 1, 64) == "1 recorded pass + 1 sweep"
    assert policy.passes_text(REVERSE, 3, 10, 3) == "1 recorded pass + 10 sweeps"
    assert policy.passes_text(REVERSE, 3, 130, 3, 64) == "1 recorded pass + 3 sweeps of 64 rows"


def test_forward_estimate_counts_the_last_partial_chunk():
    m = CostModel.default()
    w = Work(ops=5, elements=300, flops=1000)
    assert m.forward(w, 130, 64) == pytest.approx(2 * m.forward_pass(w, 64) + m.forward_pass(w, 2))
    assert m.forward(w, 128, 64) == pytest.approx(2 * m.forward_pass(w, 64))
    # array code: 7 rows in one batched sweep; scalar code: 7 sweeps of one row
    assert cost.sweep_rows(w, 7) == 7
    assert m.reverse(w, 7) == pytest.approx(m.record(w) + m.batched_sweep(w, 7))
    s = Work(ops=2, scalar_ops=5000)
    assert cost.sweep_rows(s, 7) == 1
    assert m.reverse(s, 7) == pytest.approx(m.record(s) + 7 * m.sweep(s))


def test_explain_measure_gives_timings_and_teaches_auto():
    f, x = sweep_f(20, 4)
    r = ad.explain(f, x, measure=True, repeat=3)
    assert r.measured_forward > 0 and r.measured_reverse > 0
    assert r.basis == "measured"
    assert r.choice == (FORWARD if r.measured_forward <= r.measured_reverse else REVERSE)
    assert "measured" in str(r)
    (prof,) = policy._profiles[f].values()
    assert prof.count[FORWARD] >= 3 and prof.count[REVERSE] >= 3


def test_scalar_code_counts_scalar_ops():
    def f(x):
        y = x
        for _ in range(10):
            y = y * 0.5 + 1.0
        return y
    r = ad.explain(f, 0.3, model=CostModel.default())
    assert (r.n, r.m) == (1, 1)
    assert r.work.scalar_ops + r.work.ops >= 20


# ------------------------------------------------------------------------------------
# Tape memory
# ------------------------------------------------------------------------------------
def _chain(depth):
    def f(x):
        for _ in range(depth):
            x = np.sin(x)
        return x
    return f


def _tape(f, x):
    return ad.transforms.reverse.Recording(f, (x,), 0, False).trace


def test_tape_memory_grows_with_depth():
    x = np.linspace(0.0, 1.0, 1000)              # 8000 bytes per intermediate
    held5, inter5 = cost.tape_memory(_tape(_chain(5), x))
    held10, inter10 = cost.tape_memory(_tape(_chain(10), x))
    assert 5 * 8000 <= inter10 - inter5 < 5 * 8000 + 5 * 200
    assert held5 >= inter5 + 8000                 # the input is held too
    assert held10 - held5 == inter10 - inter5


def test_tape_memory_counts_views_once():
    x = np.linspace(0.0, 1.0, 100)
    _, plain = cost.tape_memory(_tape(lambda x: np.sin(x), x))
    _, viewed = cost.tape_memory(_tape(lambda x: np.sin(x).reshape(10, 10).T, x))
    assert 800 <= plain
    assert viewed - plain < 200                   # reshape and transpose are views


def test_report_tape_bytes():
    f, x = sweep_f(1000, 1)
    r = ad.explain(f, x, model=CostModel.default())
    assert r.tape_bytes >= 8000 + 8000            # x and A (1 x 1000) at least
    assert r.intermediate_bytes >= 8000           # sin(x)
    assert r.tape_entries >= 4                    # x, sin, the matrix-vector product, tanh


def test_tape_bytes_of_scalar_code():
    def f(x):
        for _ in range(5000):       # more than one staging chunk of the tape
            x = x * 1.0001
        return x

    r = ad.explain(f, 1.5, model=CostModel.default())
    assert r.tape_entries == 5001
    # the flat columns: two int64 parents, two float64 partials, a one-byte flag
    assert r.tape_bytes == r.intermediate_bytes == 33 * 5001


# ------------------------------------------------------------------------------------
# The plan, from timings fed in by hand
# ------------------------------------------------------------------------------------
def _profile(n=1000, m=10, work=Work(ops=5, elements=1010, flops=10000)):
    return Profile(n, m, min(n, K), work)


def test_plan_follows_the_model_without_timings():
    model = CostModel.default()
    p = _profile()
    est = p.estimates(model)
    mode, basis, _, probe = policy.plan(p, model)
    assert basis == "model" and probe is None
    assert mode == min(est, key=est.get)


def test_plan_follows_measurements_of_both_modes():
    model = CostModel.default()
    p = _profile()
    for t in (9e-3, 4e-3, 4e-3):
        p.observe(FORWARD, t)
    for t in (9e-3, 2e-3, 2e-3):
        p.observe(REVERSE, t)
    mode, basis, why, probe = policy.plan(p, model)
    assert (mode, basis, probe) == (REVERSE, "measured", None)
    assert "measured on this function" in policy.reason_text(why, p.n, p.m, p.k)


def test_first_timing_is_not_trusted():
    p = _profile()
    p.observe(FORWARD, 1.0)                       # cold
    assert p.measured(FORWARD) is None
    p.observe(FORWARD, 2e-3)
    assert p.measured(FORWARD) == 2e-3
    p.observe(FORWARD, 3e-3)
    assert p.measured(FORWARD) == pytest.approx(2e-3 * policy.DRIFT)


@pytest.mark.parametrize("n,m,runs", [
    (30, 10, FORWARD),      # one forward pass is the whole Jacobian: forward is run
    (1000, 1, REVERSE),     # one sweep is the whole Jacobian: reverse is run
    (1000, 30, REVERSE),    # so is one sweep of 30 rows (array code): reverse is run
    (300, 130, None),       # neither: the other mode is probed beside the measured one
])
def test_plan_explores_a_close_mode_and_rechecks_it(n, m, runs):
    model = CostModel.default()
    p = _profile(n=n, m=m, work=Work(ops=5, elements=n + m, flops=n * m))
    est = p.estimates(model)
    have = max(est, key=est.get) if runs is None else policy.other_mode(runs)
    want = policy.other_mode(have)
    p.observe(have, 1e-3)
    p.observe(have, 1e-3)
    # Evidence: its one (cold) timing was 1.5x: close, so it is timed again.
    p.observe(want, 1.5e-3)
    mode, basis, _, probe = policy.plan(p, model)
    assert basis == "measuring"
    if runs is None:
        assert (mode, probe) == (have, want)      # compute with `have`, probe `want`
    else:
        assert (mode, probe) == (want, None)      # computing with `want` times it
    # Trusted now, at 1.1x: close, so timed until it has RECHECKS timings.
    p.observe(want, 1.1e-3)
    assert policy.plan(p, model)[1] == "measuring"
    p.observe(want, 1.1e-3)
    assert policy.plan(p, model)[:2] == (have, "measured")


def test_probe_on_the_side_is_scaled_to_the_whole_jacobian():
    f, x = sweep_f(300, 30)
    p = _profile(n=300, m=30)
    t_fwd = choose._probe(FORWARD, f, (x,), 0, False, p)
    t_rev = choose._probe(REVERSE, f, (x,), 0, False, p)
    assert t_fwd > 0 and t_rev > 0              # (values depend on the machine)
    calls = Counted(f)
    choose._probe(FORWARD, calls, (x,), 0, False, p)
    choose._probe(REVERSE, calls, (x,), 0, False, p)
    assert calls.calls == 2                       # one pass each


def test_plan_does_not_explore_a_far_mode():
    model = CostModel.default()
    p = _profile(n=1, m=1000, work=Work(ops=5, elements=1001, flops=1000))
    p.observe(FORWARD, 1e-4)
    p.observe(FORWARD, 1e-4)
    mode, basis, why, probe = policy.plan(p, model)
    assert mode == FORWARD and basis == "model" and probe is None
    assert why[0] == "far"


def test_decision_text():
    f, x = sweep_f(1000, 1)
    with ad.fixed_model():
        jf = ad.jacobian(f)
        jf(x)
    d = jf.decision
    assert (d.n, d.m, d.k) == (1000, 1, K)
    assert "1 recorded pass + 1 sweep" in d.reason
    assert str(d).startswith("reverse (discovery)")


def test_calibrate_without_numba_keeps_default_scalar_constants(monkeypatch):
    """Calibrating never imports numba: before it is loaded, the scalar constants are the
    defaults, and the machine's model is calibrated again once it is."""
    monkeypatch.setattr(machine, "scalar_ready", lambda: False)
    model = machine.calibrate(repeat=1)
    assert model.source == machine.SCALAR_DEFAULTS
    for name in ("rec_scalar", "sweep_scalar", "bsweep_scalar"):
        assert getattr(model, name) == getattr(CostModel.default(), name)
    monkeypatch.setattr(machine, "_machine", model)
    monkeypatch.setattr(machine, "scalar_ready", lambda: True)
    assert machine.machine_model().source == "calibrated"


def test_calibrate_gives_a_usable_model(monkeypatch):
    monkeypatch.setattr(machine, "scalar_ready", lambda: True)
    model = machine.calibrate(repeat=2)
    assert model.source == "calibrated"
    for f in dataclasses.fields(model):
        if f.name != "source":
            assert getattr(model, f.name) > 0
    w = Work(ops=5, elements=1000, flops=1000)
    assert model.forward_pass(w, 64) > model.forward_pass(w, 1)
    assert "CostModel (calibrated)" in str(model)


def _run(p, mode, seconds, calls):
    """``calls`` calls that ran and timed ``mode``."""
    for _ in range(calls):
        p._calls += 1
        p.observe(mode, seconds)


def test_an_old_timing_fades():
    p = _profile()
    for t in (1e-3, 1e-3):
        p.observe(REVERSE, t)
    _run(p, FORWARD, 2e-3, 10)
    assert p.measured(FORWARD) == pytest.approx(2e-3)
    assert p.measured(REVERSE) == 1e-3
    p.observe(REVERSE, 1.5e-3)      # a lucky old timing does not stay the best for ever
    assert p.measured(REVERSE) == pytest.approx(1e-3 * policy.DRIFT ** 10)
    _run(p, FORWARD, 2e-3, 100)
    p.observe(REVERSE, 1.5e-3)
    assert p.measured(REVERSE) == pytest.approx(1.5e-3)


def test_plan_doubts_timings_the_model_disagrees_with_a_few_times():
    model = CostModel.default()
    p = _profile(n=200, m=200, work=Work(ops=5, elements=400, flops=40000))
    est = p.estimates(model)
    best = min(est, key=est.get)
    other = policy.other_mode(best)
    assert est[other] < policy.EXPLORE * est[best]          # the model calls it close
    for t in (1e-3, 1e-3):
        p.observe(best, t)
    p.observe(other, 3e-3)          # two timings say 3x: few, and against the model
    p.observe(other, 3e-3)
    assert policy.plan(p, model)[1] == "measuring"
    p.observe(other, 3e-3)          # a third timing agrees: re-timed spread out, 3 more
    assert policy.plan(p, model)[:2] == (best, "measured")
    retimed = 0
    for _ in range(4 * policy.STALE):
        p._calls += 1
        if policy.plan(p, model)[1] == "measuring":
            p.observe(other, 3e-3)
            retimed += 1
        else:
            p.observe(best, 1e-3)
    assert retimed == 3
    assert policy.plan(p, model)[:2] == (best, "measured")
    # close by measurement (1.1x): timed again much later
    p.observe(other, 1.1e-3)
    _run(p, best, 1e-3, policy.STALE)
    assert policy.plan(p, model)[1] == "measuring"
    # far beyond DOUBT, the model's opinion no longer earns a re-timing
    q = _profile(n=200, m=200, work=Work(ops=5, elements=400, flops=40000))
    for t in (1e-3, 1e-3):
        q.observe(best, t)
    for t in (1.0, 1.0):
        q.observe(other, t)
    assert policy.plan(q, model)[:2] == (best, "measured")


@pytest.mark.parametrize("clock", ["wall", "cpu"])
def test_time_side_by_side_shape(clock):
    calls = {"a": 0, "b": 0}

    def a():
        calls["a"] += 1

    def b():
        calls["b"] += 1
    med, per = crossover.time_side_by_side({"a": a, "b": b}, (), repeat=4, clock=clock, rounds=True)
    assert set(med) == {"a", "b"} and all(len(v) == 4 for v in per.values())
    assert all(t >= 0 for v in per.values() for t in v)
    assert med["a"] == float(np.median(per["a"]))
    assert calls["a"] >= 2 + 4 and calls["b"] >= 2 + 4     # warm-up, then a block per round


def test_crossover_sweep_rows():
    rows = crossover.crossover_sweep([(2, 3), (70, 1)], repeat=2)
    assert [(r.n, r.m) for r in rows] == [(2, 3), (70, 1)]
    for r in rows:
        assert r.auto_mode in (FORWARD, REVERSE) and r.paired > 0
        assert r.best == min(r.forward, r.reverse) and r.ratio == r.auto / r.best


def test_a_plan_to_time_the_other_mode_is_used_once():
    model = CostModel.default()
    p = _profile(n=1, m=1, work=Work(ops=5, elements=2, flops=1))
    for t in (1e-4, 1e-4, 1e-4, 1e-4):
        p.observe(FORWARD, t)
    for t in (1.1e-4, 1.1e-4, 1.1e-4):
        p.observe(REVERSE, t)
    assert p.decide(model, True).basis == "measured"
    assert p._plan is not None                     # a settled plan is reused ...
    _run(p, FORWARD, 1e-4, policy.STALE)
    for _ in range(policy.REPLAN):                   # re-planned within REPLAN calls
        d = p.decide(model, True)
        if d.basis == "measuring":
            break
    assert (d.mode, d.basis) == (REVERSE, "measuring")
    assert p._plan is None                         # ... a plan to time the other is not
    p.observe(REVERSE, 1.1e-4)
    assert p.decide(model, True).mode == FORWARD


def test_retiming_backs_off_2_4_8_then_every_stale_calls():
    p = _profile()
    due_after = []
    for count in range(1, 10):
        p.count[REVERSE] = count
        p.last[REVERSE] = p._calls
        gap = 0
        while not p.due(REVERSE):
            p._calls += 1
            gap += 1
        due_after.append(gap)
    assert due_after == [2, 4, 8, 16, 32, 64, policy.STALE, policy.STALE, policy.STALE]
