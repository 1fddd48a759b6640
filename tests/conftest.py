"""Test configuration: a derandomized hypothesis profile under CI, seeded data everywhere;
scipy.special's rows in the table from the start when SciPy is installed (they otherwise
join it when a SciPy ufunc first meets a traced value), so the tests that walk the table
see the same table whichever tests run."""
import importlib.util
import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, max_examples=25, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "dev", max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

if importlib.util.find_spec("scipy") is not None:
    import dualad.rules.special  # noqa: E402,F401
