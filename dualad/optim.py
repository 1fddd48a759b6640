"""Optimizers for ``dualad.Tensor`` parameters: SGD (momentum, Nesterov), Adam, AdamW.

The update rules follow PyTorch's documented algorithms (torch.optim.SGD / Adam / AdamW),
so hyperparameters carry over. Updates are plain NumPy on the values: they are never
recorded, and each step binds a new array to the parameter instead of writing into the
old one, so a graph retained from before the step keeps the values it saved.

Examples:
    >>> w = ad.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ad.optim.SGD([w], lr=0.1)
    >>> for _ in range(100):
    ...     opt.zero_grad()
    ...     np.sum(w ** 2).backward()
    ...     opt.step()
    >>> bool(np.all(np.abs(w.numpy()) < 1e-6))
    True

autograd's functional optimizers are here too, under autograd's names and signatures
(``adam``, ``sgd``, ``rmsprop``: ``grad(x, i)`` returns the gradient at iteration i, x0 is
any container of arrays, the result has its structure), so a program that imported them
from ``autograd.misc.optimizers`` runs unchanged.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from .core.tree import ravel_pytree
from .modes.tensor import Tensor, enable_grad

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "adam", "sgd", "rmsprop"]


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad`` and ``step``.

    ``params`` is an iterable of leaf tensors, or of dicts ``{"params": [...], **options}``
    (parameter groups with their own options, e.g. a different ``lr``).
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors (e.g. [w, b]), "
                            "not a single Tensor")
        items = list(params)
        if not items:
            raise ValueError("the optimizer got an empty parameter list")
        groups = items if isinstance(items[0], dict) else [{"params": items}]
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}  # id(param) -> dict of buffers
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        group = dict(group)
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizers update Tensors, got {type(p).__name__}")
            if p.grad_fn is not None:
                raise ValueError(f"cannot optimize a non-leaf tensor (made by "
                                 f"{p.grad_fn.name!r}); optimize the leaves it came from")
            if id(p) in seen:
                raise ValueError("a parameter appears in more than one place")
            seen.add(id(p))
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        group["params"] = params
        self._check(group)
        self.param_groups.append(group)

    def _check(self, group):
        if group["lr"] < 0:
            raise ValueError(f"invalid learning rate {group['lr']}")
        if group.get("weight_decay", 0.0) < 0:
            raise ValueError(f"invalid weight_decay {group['weight_decay']}")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the accumulated gradients (None, or zeros with set_to_none=False)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad = np.zeros(p.shape, dtype=p.dtype)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient.

        ``closure`` (optional) re-evaluates the model, calls backward() and returns the
        loss, which step() returns.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(id(p), {})
                value = np.asarray(p.value)
                new = self._update(value, np.asarray(p.grad.value), state, group)
                p.value = np.asarray(new, dtype=value.dtype)
        return loss

    def _update(self, p, g, state, group):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self):
        opts = ", ".join(f"{k}={v!r}" for k, v in self.defaults.items())
        n = sum(len(g["params"]) for g in self.param_groups)
        return f"{type(self).__name__}({n} parameters, {opts})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's formulation).

    With ``lambda = weight_decay``, ``mu = momentum``, ``tau = dampening``, each step::

        g = grad + lambda * p
        b = g                          (first step)
        b = mu * b + (1 - tau) * g     (later steps)
        g = g + mu * b  if nesterov  else  b      (when mu != 0)
        p = p - lr * g
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _check(self, group):
        super()._check(group)
        if group["momentum"] < 0:
            raise ValueError(f"invalid momentum {group['momentum']}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")

    def _update(self, p, g, state, group):
        lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
        if wd:
            g = g + wd * p
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = np.array(g, copy=True)
            else:
                buf = mu * buf + (1.0 - group["dampening"]) * g
            state["momentum_buffer"] = buf
            g = g + mu * buf if group["nesterov"] else buf
        return p - lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba), with L2 weight decay added to the gradient as PyTorch does::

        g = grad + lambda * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        p = p - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)
    """

    _decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay))

    def _check(self, group):
        super()._check(group)
        b1, b2 = group["betas"]
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"invalid betas {group['betas']}: each must be in [0, 1)")
        if group["eps"] < 0:
            raise ValueError(f"invalid eps {group['eps']}")

    def _update(self, p, g, state, group):
        lr, wd = group["lr"], group["weight_decay"]
        if wd:
            if self._decoupled:
                p = p - lr * wd * p
            else:
                g = g + wd * p
        return _adam_step(p, g, state, lr, *group["betas"], group["eps"])


def _adam_step(p, g, state, lr, b1, b2, eps):
    """One Adam step from the moments kept in ``state`` (which it updates)."""
    t = state["step"] = state.get("step", 0) + 1
    m = state.get("exp_avg")
    v = state.get("exp_avg_sq")
    m = (1.0 - b1) * g if m is None else b1 * m + (1.0 - b1) * g
    v = (1.0 - b2) * (g * g) if v is None else b2 * v + (1.0 - b2) * (g * g)
    state["exp_avg"], state["exp_avg_sq"] = m, v
    m_hat = m / (1.0 - b1 ** t)
    v_hat = v / (1.0 - b2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): the decay shrinks the
    parameter directly, ``p = p - lr * lambda * p``, before the Adam step, instead of
    entering the moment estimates. Default ``weight_decay=1e-2`` as in PyTorch."""

    _decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)



# ------------------------------------------------------------------------------------
# autograd's functional optimizers (autograd.misc.optimizers)
# ------------------------------------------------------------------------------------
def _run(step, grad, x0, callback, num_iters):
    """Iterate ``x = step(x, g, state)`` on the flattened x0; grad and callback see x
    (and g) with x0's structure."""
    flat, unravel = ravel_pytree(x0)
    state = {}
    for i in range(num_iters):
        x = unravel(flat)
        g = grad(x, i)
        if callback is not None:
            callback(x, i, g)
        flat = step(flat, ravel_pytree(g)[0], state)
    return unravel(flat)


def adam(grad, x0, callback=None, num_iters=100, step_size=0.001, b1=0.9, b2=0.999,
         eps=1e-8):
    """Adam (the moments start at zero, bias-corrected), autograd's signature."""
    return _run(lambda x, g, st: _adam_step(x, g, st, step_size, b1, b2, eps),
                grad, x0, callback, num_iters)


def sgd(grad, x0, callback=None, num_iters=200, step_size=0.1, mass=0.9):
    """Gradient descent with momentum as autograd writes it:
    ``v = mass * v - (1 - mass) * g`` (v starting at 0), ``x = x + step_size * v``."""
    def step(x, g, st):
        v = st["velocity"] = mass * st.get("velocity", 0.0) - (1.0 - mass) * g
        return x + step_size * v
    return _run(step, grad, x0, callback, num_iters)


def rmsprop(grad, x0, callback=None, num_iters=100, step_size=0.1, gamma=0.9, eps=1e-8):
    """RMSProp as autograd writes it: ``a = gamma * a + (1 - gamma) * g**2`` (a starting
    at 1), ``x = x - step_size * g / (sqrt(a) + eps)``."""
    def step(x, g, st):
        a = st["avg_sq_grad"] = gamma * st.get("avg_sq_grad", 1.0) + (1.0 - gamma) * g * g
        return x - step_size * g / (np.sqrt(a) + eps)
    return _run(step, grad, x0, callback, num_iters)
