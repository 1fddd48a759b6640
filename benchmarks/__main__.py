"""``python -m benchmarks [--quick] [--only NAME] [--peers autograd,jax,torch,mygrad]``."""
import sys

from . import runner  # the package __init__ has pinned the threads already

sys.exit(runner.main())
