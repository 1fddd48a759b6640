"""The main demo: ``python -m dualad`` (the README's first command)."""
import numpy as np

import dualad as ad


def main():
    print("dualad tour\n")

    def f(x):
        # plain Python with NumPy: a loop and a branch
        y = x
        for _ in range(3):
            y = np.sin(y) + x * x if y > 0 else np.cos(y)
        return y

    print("f(x) = three rounds of y = sin(y) + x^2")
    print(f"  grad(f)(0.7)          = {ad.grad(f)(0.7):.12f}  (reverse mode)")
    print(f"  jvp(f, (0.7,), (1,))  = {ad.jvp(f, (0.7,), (1.0,))[1]:.12f}  (forward mode)")

    def lorenz(u, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
        x, y, z = u[0], u[1], u[2]
        return np.stack([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])

    u = np.array([1.0, 2.0, 3.0])
    print("\nJacobian of the Lorenz right-hand side at u = (1, 2, 3), by forward mode:")
    print(ad.jacfwd(lorenz)(u))


if __name__ == "__main__":
    main()
