"""How auto chooses and keeps learning: the plan from the model and the timings of
this function (``Profile``), and the ``Decision`` it reports."""
import math
import threading
import weakref

from ..cost.model import DEFAULT_CHUNK, FORWARD, REVERSE, sweep_rows

# ------------------------------------------------------------------------------------
# What auto learns per function and input shapes
# ------------------------------------------------------------------------------------
TRUST = 2           # timings a mode needs before they count (the first may be cold)
DRIFT = 1.01        # a best timing counts as this factor higher per call since it was taken
EXPLORE = 2.0       # run the other mode when the evidence puts it within this factor,
EXPLORE_PROBE = 4.0  # or probe it (one pass on the side) within this one
RECHECK = 1.25      # ... and time it again while within this factor, until it has
RECHECKS = 3        # this many timings
REPLAN = 16         # once settled, re-plan every this many calls
DOUBT = 8.0         # re-time a mode the model puts close up to this measured factor
STALE = 128         # ... and again after 2, 4, 8 ... at most this many calls


class Profile:
    """m, the work, and the timings of f for one signature of its inputs.

    Per mode it keeps the number of timings, the first one (perhaps cold: compilation,
    caches) and the best one since. When a new timing comes, the best so far counts as
    raised by ``DRIFT`` per call since it was taken, so that a function that became
    slower, or a lucky timing long ago, does not mislead for long.
    """

    __slots__ = ("n", "m", "k", "work", "count", "first", "best", "last", "_est", "_plan",
                 "_calls", "_rows")

    def __init__(self, n, m, k, work):
        self.n, self.m, self.k, self.work = n, m, k, work
        self.count = {FORWARD: 0, REVERSE: 0}
        self.first = {FORWARD: None, REVERSE: None}
        self.best = {FORWARD: None, REVERSE: None}
        self.last = {FORWARD: 0, REVERSE: 0}      # call number of the latest timing
        self._est = None
        self._plan = None       # (model, adaptive, Decision)
        self._calls = 0
        self._rows = None       # (work, rows per backward sweep)

    @property
    def rows(self):
        """Rows of the Jacobian per backward sweep of reverse mode (``sweep_rows``)."""
        r = self._rows
        if r is None or r[0] is not self.work:
            r = self._rows = (self.work, 1 if self.work is None
                              else sweep_rows(self.work, self.m))
        return r[1]

    def observe(self, mode, seconds):
        """A timing of ``mode`` on this call (the whole Jacobian, in seconds)."""
        count = self.count
        c = count[mode] = count[mode] + 1
        last = self.last
        calls = self._calls
        if c > TRUST:
            b = self.best[mode]
            since = calls - last[mode]
            b *= DRIFT if since <= 1 else DRIFT ** min(since, 300)
            self.best[mode] = seconds if seconds < b else b
        elif c == 1:
            self.first[mode] = seconds
        else:
            self.best[mode] = seconds
        last[mode] = calls
        if c <= RECHECKS:
            self._plan = None

    def due(self, mode):
        """Whether ``mode`` is due for another timing: 2, 4, 8, ... calls after the
        timings so far (the first ones may have been slowed by a cold start), then every
        ``STALE`` calls."""
        return self._calls - self.last[mode] >= min(2 ** self.count[mode], STALE)

    def measured(self, mode):
        """The best timing of ``mode`` once it has ``TRUST`` timings, else None."""
        return self.best[mode] if self.count[mode] >= TRUST else None

    def estimates(self, model):
        """{mode: seconds} from the model, or None while the work is unknown."""
        est = self._est
        if est is None or est[0] is not model:
            if self.work is None:
                return None
            est = self._est = (model, model.estimates(self.work, self.n, self.m, self.k))
        return est[1]

    def decide(self, model, adaptive, count=True):
        """The ``Decision`` for the next call (re-planned every ``REPLAN`` calls once the
        timings have settled, and after each of the first few timings of a mode)."""
        if count:
            self._calls += 1
        p = self._plan
        if p is not None and p[0] is model and p[1] == adaptive and self._calls % REPLAN:
            return p[2]
        mode, basis, why, probe = plan(self, model, adaptive)
        d = Decision(mode, self.n, self.m, self.k, basis, why, probe, self.rows)
        # A plan to time the other mode is for one call only: never reused.
        self._plan = None if basis == "measuring" else (model, adaptive, d)
        return d


_profiles = weakref.WeakKeyDictionary()
_profiles_lock = threading.Lock()
MAX_SIGNATURES = 32


def profiles_of(f, local):
    try:
        table = _profiles.get(f)
        if table is None:
            with _profiles_lock:
                table = _profiles.setdefault(f, {})
        return table
    except TypeError:           # f cannot be weakly referenced: per Jacobian function
        return local


def remember(table, key, prof):
    if len(table) >= MAX_SIGNATURES and key not in table:
        table.pop(next(iter(table)))
    table[key] = prof


def other_mode(mode):
    return REVERSE if mode == FORWARD else FORWARD


def ms_text(t):
    if t is None:
        return "?"
    if t >= 1.0:
        return f"{t:.3g} s"
    return f"{t * 1e3:.3g} ms" if t >= 1e-4 else f"{t * 1e6:.3g} us"


def _s(count, word, plural=None):
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def passes_text(mode, n, m, k, rows=1):
    """"16 forward passes of 64 directions" / "1 recorded pass + 10 sweeps" / "1 recorded
    pass + 2 sweeps of 64 rows" (``rows`` Jacobian rows per sweep)."""
    if mode == FORWARD:
        p = math.ceil(n / k) if n else 1
        return f"{_s(p, 'forward pass', 'forward passes')} of {_s(min(k, n), 'direction')}"
    if rows <= 1:
        return f"1 recorded pass + {_s(m, 'sweep')}"
    return f"1 recorded pass + {_s(math.ceil(m / rows), 'sweep')} of {rows} rows"


def whole(mode, n, m, k, rows=1):
    """Whether one pass of ``mode`` is already the whole Jacobian (n <= k, or m <= rows
    per sweep)."""
    return n <= k if mode == FORWARD else m <= max(rows, 1)


def plan(prof, model, adaptive=True):
    """``(mode, basis, why, probe)`` for the next call with this profile.

    ``mode`` computes the Jacobian. basis: "model" (estimates), "measured" (timings of
    both modes on this function) or "measuring" (the evidence puts the other mode close,
    so it is timed). A mode is timed by running it when one pass of it is the whole
    Jacobian, else by a *probe* on the side (``probe``: one forward pass of k directions,
    or the recorded pass and one sweep) whose time is scaled to the whole Jacobian.
    ``why`` holds the numbers behind the choice; ``reason_text`` makes it a sentence.
    """
    est = prof.estimates(model)
    if adaptive:
        count = prof.count
        mf, mr = prof.measured(FORWARD), prof.measured(REVERSE)
        if mf is not None and mr is not None:
            best, other, tb, to = ((FORWARD, REVERSE, mf, mr) if mf <= mr
                                   else (REVERSE, FORWARD, mr, mf))
            ratio = to / max(tb, 1e-12)
            if ratio < RECHECK:
                # Close: time the other again a few times, then after 2, 4, 8 ... calls.
                again = count[other] < RECHECKS or prof.due(other)
            else:
                # Not close, but the model says so: the first timings may have been slowed
                # by a cold start or unlucky; a few more, spread out (2, 4, 8 ... calls).
                c = count[other]
                again = ((c < RECHECKS or (c < RECHECKS + 3 and prof.due(other)))
                         and est is not None
                         and est[other] < EXPLORE * est[best]
                         and ratio < (EXPLORE if whole(other, prof.n, prof.m, prof.k,
                                                       prof.rows)
                                      else DOUBT))
                # One trusted timing against the model's own ordering may be an outlier
                # (a busy machine): time once more before it decides for good.
                again = again or (c == TRUST and est is not None and est[other] <= est[best])
            if again:
                return _measure(prof, best, other, "measuring",
                                ("recheck", other, to, best, tb))
            return best, "measured", ("measured", best, tb, other, to), None
        if mf is not None or mr is not None:
            have, tb = (FORWARD, mf) if mf is not None else (REVERSE, mr)
            want = other_mode(have)
            ratio = math.inf
            if est is not None:     # the model's estimate, scaled to the measured mode
                ratio = est[want] / max(est[have], 1e-12)
            if count[want]:         # an untrusted (perhaps cold) timing is evidence too
                ratio = min(ratio, prof.first[want] / max(tb, 1e-12))
            run = whole(want, prof.n, prof.m, prof.k, prof.rows)
            if ratio < (EXPLORE if run else EXPLORE_PROBE):
                return _measure(prof, have, want, "measuring", ("explore", want, ratio, have, tb))
            return have, "model" if est is not None else "measured", (
                "far", have, tb, want, ratio), None
    if est is None:             # nothing known but n <= k: one forward pass covers all
        return FORWARD, "model", ("one-pass",), None
    ef, er = est[FORWARD], est[REVERSE]
    best, other, tb, to = (FORWARD, REVERSE, ef, er) if ef <= er else (REVERSE, FORWARD, er, ef)
    return best, "model", ("estimated", best, tb, other, to), None


def _measure(prof, have, want, basis, why):
    """Time ``want``: run it if one pass is the whole Jacobian, else probe it beside
    ``have``."""
    if whole(want, prof.n, prof.m, prof.k, prof.rows):
        return want, basis, why, None
    return have, basis, why, want


def reason_text(why, n, m, k, rows=1):
    """The sentence for a ``why`` tuple of ``plan`` (or of the first call)."""
    kind = why[0]
    P = lambda mode: passes_text(mode, n, m, k, rows)  # noqa: E731
    if kind == "first-forward":
        return (f"n = {n} fits in one forward pass (up to {DEFAULT_CHUNK} directions): "
                f"it gives the whole Jacobian and tells m; reverse would need {P(REVERSE)}")
    if kind == "first-reverse":
        return (f"n = {n} > {DEFAULT_CHUNK}, so the recorded pass came first to tell m; "
                + reason_text(why[1:], n, m, k, rows))
    if kind == "resized":
        return (f"the output size changed from {why[1]} to {m} since the last call; auto "
                "learns this function afresh")
    if kind == "one-pass":
        return f"n = {n} fits in one forward pass: it gives the whole Jacobian"
    if kind == "estimated":
        _, best, tb, other, to = why
        return (f"estimated {P(best)} {ms_text(tb)} against {P(other)} {ms_text(to)} "
                f"({to / max(tb, 1e-12):.3g}x)")
    if kind == "measured":
        _, best, tb, other, to = why
        return (f"measured on this function: {P(best)} {ms_text(tb)} against {P(other)} "
                f"{ms_text(to)} ({to / max(tb, 1e-12):.3g}x)")
    if kind == "recheck":
        _, other, to, best, tb = why
        return (f"timing {P(other)} again: {ms_text(to)} is within {to / max(tb, 1e-12):.3g}x "
                f"of {P(best)} ({ms_text(tb)})")
    if kind == "explore":
        _, want, ratio, have, tb = why
        return (f"timing {P(want)}: the evidence puts it at {ratio:.3g}x the measured "
                f"{ms_text(tb)} of {P(have)}")
    if kind == "far":
        _, have, tb, want, ratio = why
        return (f"{P(have)} measured {ms_text(tb)}; {P(want)} would take about {ratio:.3g}x "
                "that")
    return str(why)


class Decision:
    """What ``jacobian(mode="auto")`` did on its last call (``jacfun.decision``).

    ``mode`` ("forward" or "reverse"), ``n``, ``m``, ``k`` (directions per forward pass),
    ``basis`` ("discovery", "model", "measured" or "measuring"), ``rows`` (Jacobian rows
    per backward sweep of reverse mode) and ``reason`` (a sentence with the numbers
    behind the choice).
    """

    __slots__ = ("mode", "n", "m", "k", "basis", "why", "probe", "rows")

    def __init__(self, mode, n, m, k, basis, why, probe=None, rows=1):
        self.mode, self.n, self.m, self.k = mode, n, m, k
        self.basis, self.why, self.probe, self.rows = basis, why, probe, rows

    @property
    def reason(self):
        text = reason_text(self.why, self.n, self.m, self.k, self.rows)
        if self.probe == FORWARD:
            text += f"; timed one forward pass of {self.k} directions on the side"
        elif self.probe == REVERSE:
            text += "; timed the recorded pass and one sweep on the side"
        return text

    @property
    def passes(self):
        return passes_text(self.mode, self.n, self.m, self.k, self.rows)

    def __repr__(self):
        return (f"Decision(mode={self.mode!r}, n={self.n}, m={self.m}, k={self.k}, "
                f"basis={self.basis!r})")

    def __str__(self):
        return f"{self.mode} ({self.basis}): {self.reason}"
