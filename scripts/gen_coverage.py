"""Write docs/COVERAGE.md from dualad's tables: what NumPy dualad differentiates, how it is
tested, the conventions at non-differentiable points, what is not supported, and the
comparison with HIPS autograd.

    .venv/bin/python scripts/gen_coverage.py           # rewrite docs/COVERAGE.md
    .venv/bin/python scripts/gen_coverage.py --check   # exit 1 if the page is out of date

Everything on the page is computed: the primitive table (dualad.rules.TABLE), the
dispatch tables (dualad.numpy.registry: UFUNCS, FUNCTIONS, CONVENTIONS), the Box methods,
and the test cases of tests/numpy/numpy_cases.py (each run in both modes to second order by
tests/numpy/test_functions.py). tests/numpy/test_coverage.py fails when the checked-in
page differs from what this script writes.
"""
import argparse
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "COVERAGE.md"
sys.path.insert(0, str(ROOT / "tests" / "numpy"))

import dualad  # noqa: E402
import dualad.scipy.integrate  # noqa: E402,F401  (the SciPy layer's rows join the table)
import dualad.scipy.linalg  # noqa: E402,F401
import dualad.scipy.optimize  # noqa: E402,F401
from dualad import rules as P  # noqa: E402
from dualad.rules import special as SR  # noqa: E402  (scipy.special's rows: SciPy is a test extra)
import dualad.scipy.signal  # noqa: E402
import dualad.scipy.special  # noqa: E402
import dualad.scipy.stats  # noqa: E402
from dualad.numpy import registry as D  # noqa: E402
from dualad.core import Box  # noqa: E402

import numpy_cases  # noqa: E402

NAMESPACES = [("numpy", np), ("numpy.linalg", np.linalg), ("numpy.fft", np.fft)]

# The NumPy functions HIPS autograd differentiates: every defvjp in autograd/numpy/
# numpy_vjps.py, linalg.py and fft.py, and the compositions of numpy_wrapper.py (indexing
# and autograd's own helpers such as make_diagonal left out). Names as NumPy spells them.
AUTOGRAD = {
    "numpy": """nan_to_num add multiply subtract divide maximum minimum fmax fmin logaddexp
        logaddexp2 true_divide mod remainder power arctan2 hypot negative abs fabs absolute
        reciprocal exp exp2 expm1 log log2 log10 log1p sin cos tan arcsin arccos arctan sinh
        cosh tanh arcsinh arccosh arctanh rad2deg degrees deg2rad radians square sqrt sinc
        reshape roll array_split split vsplit hsplit dsplit ravel expand_dims squeeze diag
        flipud fliplr rot90 trace full triu tril clip swapaxes moveaxis real_if_close real
        imag conj conjugate angle where cross linspace rollaxis diff gradient repeat tile kron
        transpose broadcast_to sum mean prod var std max min amax amin cumsum inner matmul
        dot tensordot outer concatenate sort msort partition atleast_1d atleast_2d
        atleast_3d einsum diagonal pad array vstack row_stack hstack column_stack stack
        append select r_ c_""".split(),
    "numpy.linalg": "det slogdet inv pinv solve norm eigh eig cholesky svd".split(),
    "numpy.fft": """fft ifft fft2 ifft2 fftn ifftn rfft irfft rfft2 irfft2 rfftn irfftn
        fftshift ifftshift""".split(),
}

# Why an autograd function has no dualad rule (every gap needs a reason here).
AUTOGRAD_GAPS = {
    "numpy.full": "not dispatched by NumPy; np.full(shape, t) still works: NumPy fills an "
                  "object array with the traced value, which dualad makes one traced array "
                  "where it meets it",
    "numpy.array": "not dispatched by NumPy; np.array([traced, ...]) still works: NumPy "
                   "builds an object array of the traced values, which dualad makes one "
                   "traced array (the pack row) where it meets it",
    "numpy.msort": "removed in NumPy 2 (np.sort(a, axis=0) is supported)",
    "numpy.r_": "an index-trick object, not a dispatched function; it works through "
                "object arrays like np.array",
    "numpy.c_": "an index-trick object, not a dispatched function; it works through "
                "object arrays like np.array",
}

# Functions that never see traced values because NumPy does not dispatch them.
NOT_DISPATCHED = ("np.array, np.asarray, np.asanyarray, np.ascontiguousarray, np.full, "
                  "np.fromiter, np.frompyfunc, np.vectorize")


# ------------------------------------------------------------------------------------
# Collecting
# ------------------------------------------------------------------------------------
def public_names():
    """id(object) -> the NumPy names it has (np first, then np.linalg, np.fft)."""
    names = {}
    for prefix, mod in NAMESPACES:
        for n in sorted(dir(mod)):
            if n.startswith("_"):
                continue
            obj = getattr(mod, n)
            if isinstance(obj, np.ufunc) or type(obj).__name__ == "_ArrayFunctionDispatcher":
                names.setdefault(id(obj), (obj, []))[1].append(f"{prefix}.{n}")
    return names


def display(names):
    return " / ".join(f"`{n}`" for n in names)


def case_coverage():
    """NumPy object (or method name) -> number of test cases that exercise it."""
    cov = {}
    for c in numpy_cases.CASES:
        for x in c.covers:
            key = x if isinstance(x, str) else id(x)
            cov[key] = cov.get(key, 0) + 1
    return cov


def rule_location(fn):
    if isinstance(fn, P.Primitive):
        return f"table entry `{fn.name}`"
    mod = getattr(fn, "__module__", "") or ""
    return f"`{mod.replace('.', '/')}.py`" if mod.startswith("dualad") else "dualad"


def classify():
    D.refresh()
    names = public_names()
    supported, value_only, in_place, zero = [], [], [], []
    for key, (obj, ns) in names.items():
        if isinstance(obj, np.ufunc):
            if obj in D.ZERO_DERIVATIVE_UFUNCS:
                zero.append((ns, obj))
            elif obj in D.UFUNCS:
                supported.append((ns, obj, D.UFUNCS[obj]))
            continue
        fn = D.FUNCTIONS.get(obj)
        if fn is None:
            continue
        if getattr(fn, "value_only", False):
            value_only.append((ns, obj))
        elif getattr(fn, "in_place", None):
            in_place.append((ns, obj, fn.in_place))
        else:
            supported.append((ns, obj, fn))
    unsupported = [(ns, obj) for key, (obj, ns) in names.items()
                   if not (obj in D.UFUNCS or obj in D.ZERO_DERIVATIVE_UFUNCS
                           or obj in D.FUNCTIONS)]
    order = lambda row: row[0][0]  # noqa: E731
    return (sorted(supported, key=order), sorted(value_only, key=order),
            sorted(in_place, key=order), sorted(zero, key=order),
            sorted(unsupported, key=order), names)


def convention(obj, fn):
    if obj in D.CONVENTIONS:
        return D.CONVENTIONS[obj]
    if isinstance(fn, P.Primitive) and getattr(fn, "kink", None):
        return fn.kink
    return ""


def autograd_parity(names):
    mods = dict(NAMESPACES)
    rows = []
    for prefix, items in AUTOGRAD.items():
        for n in items:
            full = f"{prefix}.{n}"
            obj = getattr(mods[prefix], n, None)
            ok = obj is not None and (
                (isinstance(obj, np.ufunc) and obj in D.UFUNCS) or
                (obj in D.FUNCTIONS and not getattr(D.FUNCTIONS[obj], "value_only", False)
                 and not getattr(D.FUNCTIONS[obj], "in_place", None)))
            rows.append((full, ok))
    return rows


BOX_METHODS = ("T real imag shape ndim size dtype reshape ravel flatten squeeze transpose "
               "swapaxes astype sum mean prod max min std var cumsum cumprod dot clip "
               "repeat take diagonal conj conjugate copy round argmax argmin argsort "
               "nonzero all any compress searchsorted").split()


# ------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------
def render():
    supported, value_only, in_place, zero, unsupported, names = classify()
    cov = case_coverage()
    parity = autograd_parity(names)
    n_ok = sum(ok for _, ok in parity)
    elementwise = [p for p in P.TABLE.values() if isinstance(p, P.Elementwise)]
    out = []
    w = out.append
    w("# NumPy coverage")
    w("")
    w("<!-- Generated by scripts/gen_coverage.py from dualad's tables; do not edit. "
      "tests/numpy/test_coverage.py checks that it is current. -->")
    w("")
    w("What dualad differentiates, how it is tested, and the derivative chosen where a "
      "function is not differentiable. Plain `import numpy as np` code reaches these rules "
      "through NumPy's dispatch protocols (`__array_ufunc__`, `__array_function__`); "
      "anything else raises `dualad.NotDifferentiableError` naming the function.")
    w("")
    w("## Summary")
    w("")
    w(f"- Primitive table: **{len(P.TABLE)} entries** ({len(elementwise)} elementwise, "
      f"{len(P.TABLE) - len(elementwise)} structural/linear), each checked by "
      "`tests/rules/test_table.py` against finite differences in forward and reverse mode, at "
      "first and second order, on shapes with broadcasting drawn by hypothesis, and in "
      "float32.")
    w(f"- NumPy functions and ufuncs with derivatives: **{len(supported)}** "
      f"(plus {len(zero)} piecewise-constant ufuncs with derivative 0 and {len(value_only)} "
      "functions of the values only).")
    w(f"- Test cases in `tests/numpy/numpy_cases.py`: **{len(numpy_cases.CASES)}**, each run by "
      "`tests/numpy/test_functions.py`: value equal to NumPy's, forward and reverse mode at "
      "first and second order against central differences (`dualad.check_grads`), forward "
      "Jacobian equal to reverse, and float32 inputs keeping NumPy's dtypes.")
    w(f"- HIPS autograd parity: **{n_ok} of {len(parity)}** NumPy functions autograd "
      "differentiates are supported; the gaps are listed at the end with their reasons.")
    w("")
    w("Complex numbers follow JAX's and autograd's convention: the VJP is the transpose of "
      "the JVP for the pairing Re(sum(a * b)), so holomorphic functions use f'(z) in both "
      "modes and the gradient of a real function of z is df/dx - i df/dy "
      "(`tests/numpy/test_complex.py`).")
    w("")

    w("## Conventions at non-differentiable points")
    w("")
    w("| function | convention |")
    w("|---|---|")
    rows = []
    for p in P.TABLE.values():
        if getattr(p, "kink", None):
            if isinstance(p, SR.SpecialFunction):
                rows.append((f"`scipy.special.{p.name}`", p.kink))
                continue
            ns = [f"`numpy.{p.impl.__name__}`"] if isinstance(p.impl, np.ufunc) or \
                getattr(np, getattr(p.impl, "__name__", ""), None) is p.impl else []
            rows.append((ns[0] if ns else f"table entry `{p.name}`", p.kink))
    for obj, text in D.CONVENTIONS.items():
        entry = names.get(id(obj))
        if entry is not None:
            rows.append((display(entry[1]), text))
    for name, text in sorted(set(rows)):
        w(f"| {name} | {_cell(text)} |")
    w("")
    w("Tested in `tests/rules/test_table.py` (elementwise kinks) and "
      "`tests/numpy/test_conventions.py` (everything else), in both modes.")
    w("")
    w("**Strong zeros.** An exactly-zero tangent or cotangent contributes exactly zero "
      "where it meets an elementwise partial derivative, even an infinite or NaN one "
      "(IEEE would give 0 * inf = NaN). So the branch not taken by "
      "`np.where(x > 0, np.sqrt(x), 0.0)` (or its `log`, `1/x` variants) adds nothing at "
      "x <= 0, at every order, and `jacfwd` of `x0 ** x1` at (-2, 3) gives `[12, nan]` "
      "as `grad` does. This holds in both modes, on the scalar tape and in the numba "
      "kernels, and in the object API. It costs nothing on the common path: a derivative "
      "that comes out finite is returned as it is; one with a non-finite value is computed "
      "again in strong-zero mode (the sweep, or the forward pass), where every tangent or "
      "cotangent times partial is the table entry `strong_multiply`. The partials of "
      "linear and structural rows (sums, products of matrices) follow IEEE arithmetic. "
      "Power at a constant exponent 0 has the exact derivative 0 everywhere, so `x**0`, "
      "`x**1` at second order, `np.vander` and `x[:, None] ** np.arange(k)` are exact "
      "at x = 0 (`tests/exact/`).")
    w("")

    w("## Supported NumPy functions")
    w("")
    w("Tested: the number of cases in `tests/numpy/numpy_cases.py` that exercise the function "
      "(each in both modes, first and second order, float32); *table* means the "
      "elementwise entry is also checked by `tests/rules/test_table.py`.")
    for prefix, _ in NAMESPACES:
        rows = [r for r in supported if r[0][0].rsplit(".", 1)[0] == prefix]
        if not rows:
            continue
        w("")
        w(f"### {prefix}")
        w("")
        w("| function | rule | tested | convention |")
        w("|---|---|---|---|")
        for ns, obj, fn in rows:
            n = cov.get(id(obj), 0)
            table = isinstance(fn, P.Elementwise)
            tested = (f"{n} case{'s' if n != 1 else ''}" if n else "") + (
                (", table" if n else "table") if table else "")
            w(f"| {display(ns)} | {rule_location(fn)} | {tested or '**no**'} | "
              f"{convention(obj, fn)} |")
    w("")
    w("Ufunc methods: `reduce` of add, multiply, maximum, minimum; `accumulate` of add and "
      "multiply; `outer` of every supported binary ufunc. `ufunc.at` raises InPlaceError.")
    w("")

    w("## Array attributes and methods on traced values")
    w("")
    have = [m for m in BOX_METHODS if m in dir(Box)]
    w(", ".join(f"`.{m}`" for m in have) + ", `len()`, iteration, indexing (basic, "
      "advanced with repeated indices accumulating, boolean), and the operators "
      "`+ - * / ** % @`, unary `-`, `abs()`, comparisons. `a += b` on a traced value "
      "rebinds `a` (the array is never written in place).")
    w("")
    w("Not available: `.trace()` (the attribute `trace` holds the box's trace: use "
      "`np.trace(x)`); in-place methods `.sort() .fill() .put() .partition() .resize() "
      ".itemset() .setfield()` raise InPlaceError naming the out-of-place function.")
    w("")

    w("## Derivative 0 or no derivative")
    w("")
    w("Piecewise-constant ufuncs (derivative 0 almost everywhere, evaluated on the values): "
      + ", ".join(sorted(f"`{ns[0]}`" for ns, _ in zero)) + ".")
    w("")
    w("Functions of the values only (shapes, comparisons, index searches, rounding: no "
      "derivative flows through them): "
      + ", ".join(sorted(f"`{ns[0]}`" for ns, _ in value_only)) + ".")
    w("")
    w("In-place functions (raise `dualad.InPlaceError` with the out-of-place fix): "
      + ", ".join(sorted(f"`{ns[0]}`" for ns, _, _ in in_place)) + ".")
    w("")

    w("## Not supported")
    w("")
    w("Every other public NumPy function and ufunc that NumPy dispatches raises "
      "`dualad.NotDifferentiableError` naming it (a sample is tested in "
      "`tests/test_numpy_errors.py`), as do unsupported keyword arguments "
      "(`where=`, `out=`, `order='F'`, ...). NumPy does not dispatch "
      f"{NOT_DISPATCHED}: given traced values they build object arrays of them, which "
      "dualad makes one traced array where they meet it (a NumPy function, an operator, "
      "the function's result); a conversion to a numeric dtype "
      "(`np.asarray(x, dtype=float)`, `np.fromiter(..., dtype=float)`) raises "
      "`ConcretizationError` naming the call.")
    for prefix, _ in NAMESPACES:
        rows = sorted(ns[0] for ns, _ in unsupported if ns[0].rsplit(".", 1)[0] == prefix)
        if rows:
            w("")
            w(f"**{prefix}** ({len(rows)}): " + ", ".join(
                f"`{r.rsplit('.', 1)[1]}`" for r in rows))
    w("")
    w("cholesky, eigh, svd and the matrix norms built on them (nuclear, 2) take complex "
      "matrices; complex eigen/singular vectors are fixed only up to a phase each, so "
      "only phase-free functions of them have a derivative (reverse mode refuses the "
      "others). qr, pinv and slogdet are real only; "
      "`svd(full_matrices=True)` of a non-square matrix and `qr` of a wide matrix raise "
      "(their extra factors are not unique).")
    w("")

    w("## HIPS autograd parity")
    w("")
    w(f"{n_ok} of {len(parity)} NumPy functions differentiated by HIPS autograd "
      "(autograd/numpy/numpy_vjps.py, numpy_wrapper.py, linalg.py, fft.py) have a dualad "
      "rule.")
    w("")
    gaps = [name for name, ok in parity if not ok]
    if gaps:
        w("Gaps:")
        w("")
        for g in gaps:
            w(f"- `{g}`: {AUTOGRAD_GAPS.get(g, 'no rule')}")
        w("")
    w("Beyond autograd, dualad also differentiates for example: "
      + ", ".join(sorted(
          f"`{ns[0]}`" for ns, obj, fn in supported
          if not any(n.split('.', 1)[1] in AUTOGRAD.get(n.rsplit('.', 1)[0], ())
                     or n in {f'{p}.{x}' for p, xs in AUTOGRAD.items() for x in xs}
                     for n in ns))) + ".")
    w("")
    out.extend(scipy_section())
    return "\n".join(out)


# What HIPS autograd's autograd.scipy differentiates in the modules dualad.scipy mirrors
# here (special, stats, signal; linalg and integrate are listed with their own modules).
AUTOGRAD_SCIPY = {
    "special": """beta betainc betaln polygamma psi digamma gamma gammaln gammainc gammaincc
        gammasgn rgamma multigammaln j0 y0 j1 y1 jn yn i0 i1 iv ive erf erfc erfinv erfcinv
        logit expit logsumexp""".split(),
    "stats": "beta chi2 dirichlet gamma multivariate_normal norm poisson t".split(),
    "signal": ["convolve"],
}
_DIST_METHODS = "logpdf pdf logpmf pmf cdf logcdf sf logsf ppf entropy".split()


def _tested_on(p):
    """The inputs tests/test_table.py draws for a scipy.special row."""
    if not isinstance(p.domain, tuple):
        return f"domain `{p.domain}`" if p.domain else "[-2, 2]"
    return "; ".join(
        f"{a} in {{{', '.join(f'{v:g}' for v in d)}}}" if isinstance(d, list)
        else f"{a} in [{d[0]:g}, {d[1]:g}]" for a, d in zip(p.args, p.domain))


def _first_line(fn):
    """The first paragraph of fn's docstring, on one line."""
    return " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())


def _cell(text):
    return text.replace("|", "\\|")      # a literal | inside a Markdown table cell


def scipy_section():
    import dualad.scipy as ds
    out = []
    w = out.append
    rows = sorted((p for p in P.TABLE.values() if isinstance(p, SR.SpecialFunction)),
                  key=lambda p: p.name)
    w("## SciPy (`dualad.scipy`, the `scipy` extra)")
    w("")
    w(f"scipy.special's ufuncs work on traced values unchanged: **{len(rows)} rows** "
      "(`dualad/rules/special.py`) join the table the first time one of them meets a "
      "traced value (`import dualad` never imports SciPy). Each is checked like NumPy's "
      "rows by `tests/test_table.py` on the inputs shown, and by "
      "`tests/scipy/test_scipy_special.py` against SciPy's values and its own derivative "
      "functions (`jvp`, `ivp`, `kvp`, `polygamma`, ...). An operand listed as constant "
      "(an order, a shape) takes no derivative: a traced value there raises "
      "`NotDifferentiableError`.")
    w("")
    w("| function | derivative in | constant | tested on | convention |")
    w("|---|---|---|---|---|")
    for p in rows:
        diff = ", ".join(a for i, a in enumerate(p.args) if i not in p.nondiff)
        const = ", ".join(a for i, a in enumerate(p.args) if i in p.nondiff)
        w(f"| `scipy.special.{p.name}` | {diff} | {const} | {_tested_on(p)} | "
          f"{_cell(p.kink or '')} |")
    w("")
    w("SciPy's Python-level functions call `np.asarray` first; `dualad.scipy` mirrors them "
      "with scipy's signatures (tests: `tests/scipy/`, values against SciPy, derivatives "
      "against finite differences in both modes at second order):")
    w("")
    for name in ("logsumexp", "softmax", "log_softmax", "multigammaln", "zeta"):
        w(f"- `dualad.scipy.special.{name}`: {_first_line(getattr(ds.special, name))}")
    w("- `dualad.scipy.special.polygamma`: the row above (scipy's is a Python function)")
    for name in ds.signal.__all__:
        w(f"- `dualad.scipy.signal.{name}`: {_first_line(getattr(ds.signal, name))}")
    w("")
    w("`dualad.scipy.stats`: x, loc, scale and every shape parameter take derivatives, "
      "except the shapes listed for the distribution functions (cdf, sf, logcdf, logsf), "
      "whose special function has them as an order.")
    w("")
    w("| distribution | methods | parameters | constant in cdf/sf |")
    w("|---|---|---|---|")
    for name in ds.stats.__all__:
        d = getattr(ds.stats, name)
        methods = [m for m in _DIST_METHODS if hasattr(d, m)
                   and (m != "ppf" or hasattr(d, "_ppf"))]
        if hasattr(d, "shapes"):
            params = list(d.shapes) + (["loc", "scale"] if d.scaled else ["loc"])
        else:
            params = [a for a in ("mean", "cov", "alpha") if a in d.logpdf.__code__.co_varnames]
        w(f"| `{name}` | {', '.join(methods)} | {', '.join(params)} | "
          f"{', '.join(getattr(d, 'constant_in_cdf', ()))} |")
    w("")
    have = {m: getattr(ds, m) for m in AUTOGRAD_SCIPY}
    parity = [(f"{m}.{n}", hasattr(have[m], n)) for m, names in AUTOGRAD_SCIPY.items()
              for n in names]
    gaps = [n for n, ok in parity if not ok]
    w(f"HIPS autograd parity (autograd.scipy.special, .stats, .signal): "
      f"**{len(parity) - len(gaps)} of {len(parity)}** "
      + ("present." if not gaps else "present; missing: " + ", ".join(gaps) + ".")
      + " autograd's `signal.convolve` has extra `axes`/`dot_axes` arguments; dualad's "
        "follows scipy.signal.convolve.")
    w("")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        current = PAGE.read_text() if PAGE.exists() else ""
        if current != text:
            print(f"{PAGE.relative_to(ROOT)} is out of date: run scripts/gen_coverage.py")
            return 1
        return 0
    PAGE.write_text(text)
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
