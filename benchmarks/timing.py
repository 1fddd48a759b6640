"""Medians of repeated runs, taken side by side.

The machine is shared (two cores) and absolute times drift, so the contenders of one row
are timed in interleaved rounds: every round times each contender once (in a rotating
order), and each contender's time is the median over the rounds. Ratios between
contenders of one row therefore compare measurements taken at the same moments.
"""
import gc
import math
import time

_clock = time.perf_counter


def use_clock(name):
    """Time by the wall clock ("wall", the default) or by this process's CPU time ("cpu":
    what other programs take on a busy, shared machine is left out; a library's own
    worker threads count)."""
    global _clock
    _clock = time.process_time if name == "cpu" else time.perf_counter


def _sample(fn, number):
    gc.disable()
    try:
        t0 = _clock()
        for _ in range(number):
            fn()
        return (_clock() - t0) / number
    finally:
        gc.enable()


def side_by_side(fns, budget=1.0, min_rounds=3, max_rounds=25, sample=0.02, collect=True):
    """{name: median seconds per call} for the callables ``fns`` ({name: fn}).

    Each callable has run at least once already (warm-up and correctness check). A sample
    repeats a fast callable until it lasts about ``sample`` seconds; the number of rounds
    fits the row into ``budget`` seconds, within [min_rounds, max_rounds].
    """
    if not fns:
        return {}
    names = list(fns)
    numbers, per_round = {}, 0.0
    for name in names:
        t = _sample(fns[name], 1)
        if t >= sample:   # a one-time cost (calibration, compilation) must not fix the count
            t = min(t, _sample(fns[name], 1))
        if t < sample:
            t = max(_sample(fns[name], 3), 1e-9)
        numbers[name] = max(1, int(sample / t)) if t < sample else 1
        per_round += t * numbers[name]
    rounds = int(min(max_rounds, max(min_rounds, math.floor(budget / max(per_round, 1e-9)))))
    samples = {name: [] for name in names}
    # One full collection per row, none per round: with JAX and torch loaded the heap is
    # large and a full collection costs ~0.1 s. Samples run with the collector paused.
    if collect:
        gc.collect()
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            samples[name].append(_sample(fns[name], numbers[name]))
    return {name: median(v) for name, v in samples.items()}


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def once(fn):
    """(result, seconds) of one call."""
    t0 = _clock()
    r = fn()
    return r, _clock() - t0
