"""A mechanical port: a program written for scipy (or autograd.scipy) runs unchanged with
``dualad.scipy`` in its place, gives scipy's value, and dualad differentiates it."""
import textwrap

import numpy as np
import pytest

pytest.importorskip("scipy")

import dualad as ad  # noqa: E402

# One source, two packages: robust regression with a normal / Student-t noise mixture,
# a Gaussian prior and a softmax over two hypotheses.
PROGRAM = textwrap.dedent("""
    import numpy as np
    from {pkg}.stats import norm, t, multivariate_normal as mvn
    from {pkg}.special import logsumexp, expit, gammaln, log_softmax
    from {pkg}.signal import convolve

    def log_posterior(params, X, y):
        w, log_scale, logit_mix = params[:-2], params[-2], params[-1]
        pred = convolve(X @ w, np.array([0.25, 0.5, 0.25]), mode="same")
        mix = expit(logit_mix)
        lik = logsumexp(np.stack([np.log(mix) + norm.logpdf(y, pred, np.exp(log_scale)),
                                  np.log1p(-mix) + t.logpdf(y, 3.0, pred, 1.0)]), axis=0)
        prior = (mvn.logpdf(w, np.zeros(len(w)), 2.0 * np.eye(len(w)))
                 + norm.logpdf(log_scale) - gammaln(2.5 + log_scale ** 2))
        return np.sum(lik) + prior + np.sum(log_softmax(w[:2]))
""")


def _load(pkg):
    namespace = {}
    exec(PROGRAM.format(pkg=pkg), namespace)   # noqa: S102  (the fixed program above)
    return namespace["log_posterior"]


RNG = np.random.default_rng(3)
X = RNG.normal(size=(12, 3))
Y = X @ np.array([0.5, -1.0, 2.0]) + 0.3 * RNG.standard_t(3.0, size=12)
PARAMS = np.array([0.4, -0.8, 1.7, -0.5, 0.2])


def test_same_program_same_value_and_derivatives():
    with_scipy, with_dualad = _load("scipy"), _load("dualad.scipy")
    want = with_scipy(PARAMS, X, Y)
    np.testing.assert_allclose(with_dualad(PARAMS, X, Y), want, rtol=1e-13)
    g = ad.grad(with_dualad)(PARAMS, X, Y)
    np.testing.assert_allclose(ad.jacfwd(with_dualad)(PARAMS, X, Y), g, rtol=1e-12)
    # the gradient against central differences of the scipy program itself (h = 1e-6:
    # truncation ~1e-12 |f'''|, round-off ~1e-10 |f|)
    h = 1e-6
    fd = [(with_scipy(PARAMS + h * e, X, Y) - with_scipy(PARAMS - h * e, X, Y)) / (2 * h)
          for e in np.eye(len(PARAMS))]
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6)
    ad.check_grads(lambda p: with_dualad(p, X, Y), (PARAMS,), order=2)


def test_autograd_style_module_imports():
    # autograd's distributions are modules: `import autograd.scipy.stats.norm as norm`
    import dualad.scipy.stats.norm as norm
    import dualad.scipy.stats.multivariate_normal as mvn
    from dualad.scipy.special import logsumexp
    import scipy.stats

    def objective(mu):
        return logsumexp(norm.logpdf(np.array([0.3, -1.2]), mu, 1.5)) + mvn.logpdf(
            np.stack([mu, 0.0]), np.zeros(2), np.eye(2))

    want = (np.logaddexp(*scipy.stats.norm.logpdf([0.3, -1.2], 0.4, 1.5))
            + scipy.stats.multivariate_normal.logpdf([0.4, 0.0], np.zeros(2), np.eye(2)))
    np.testing.assert_allclose(objective(0.4), want, rtol=1e-14)
    ad.check_grads(objective, (0.4,), order=2)
