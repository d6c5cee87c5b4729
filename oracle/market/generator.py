"""A seeded synthetic stock market: obfuscated eras of stocks with quantised features, a
5-bin target with a planted signal, risk factors, and a Signals-style variant.

How the signal is planted (one "world" per seed, or per round secret, shared by its training data
and its live eras):

1. Each stock in an era has ``latents`` hidden factors ``z ~ N(0, 1)``.
2. Feature ``j`` is ``loadings[j] . z`` plus its own noise, binned within the era into five
   equal-count bins ``0, .25, .5, .75, 1``; so every latent shows in many features, and no
   feature alone carries much.
3. The raw target is a linear part ``w_regime . z`` (a weight vector shared by all regimes plus a
   regime-specific one, so the best linear model shifts between regimes), a non-linear part
   (an interaction ``z0 * z1`` and a fold ``|z2|``, which only non-linear models see), and a
   large noise term. It is binned within the era into five bins with Numerai's proportions
   (5%, 20%, 50%, 20%, 5%).
4. Risk factors are other mixtures of the latents, continuous and public to the oracle only
   (the TC portfolio is neutral to them).

The same ``MarketSpec`` and secret give the same frames, and :func:`to_parquet` the same bytes.

What is public and what is secret. Without a ``secret`` the world (the loadings, the regime
weights), the training eras and every live era are drawn from the spec's ``seed``: that is for
studies and tests, where nothing is at stake. A tournament round is drawn with a 32-byte
``secret`` that the operator creates at open and publishes only at the reveal deadline, and the
round's world is its own: the world, the training eras, the validation eras and each part of the
live era (the regime, the latents, the feature noise, the target noise, the risk noise, the ids,
the sample weights) come from generators of their own, each seeded with HMAC-SHA256 of the secret
and the part's name. Before the deadline the training data, the validation eras (held-out eras
with their targets, for diagnostics) and the live features are all that is public of the round:
the seed, the round number or any other public value reproduce neither the live targets nor the
world's parameters (which would let a model beat what the training data
teaches), and no generator's output (the ids are raw draws) tells anything of another's.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: The target's bin values and their shares within an era (Numerai's classic target).
TARGET_BINS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
TARGET_SHARES = np.array([0.05, 0.20, 0.50, 0.20, 0.05])
#: Stream numbers for the seed sequence, so each part of the world draws its own numbers.
_WORLD, _TRAINING, _LIVE, _SIGNALS, _VALIDATION = 0, 1, 2, 3, 4
#: The size of a round secret.
SECRET_BYTES = 32
#: The parts of a live era, each drawn from its own generator when the era has a secret.
_PARTS = ("regime", "latents", "feature_noise", "target_noise", "risk_noise", "ids", "weights")


@dataclass(frozen=True)
class _Draws:
    """The generators of an era's parts: one shared generator (training eras, and live eras
    drawn from the seed alone, in the order the parts are used), or one each (a secret era)."""

    regime: np.random.Generator
    latents: np.random.Generator
    feature_noise: np.random.Generator
    target_noise: np.random.Generator
    risk_noise: np.random.Generator
    ids: np.random.Generator
    weights: np.random.Generator

    @classmethod
    def shared(cls, rng: np.random.Generator) -> _Draws:
        return cls(*(rng for _ in _PARTS))

    @classmethod
    def keyed(cls, secret: bytes, label: str) -> _Draws:
        """A generator per part, each seeded by :func:`keyed_rng`."""
        return cls(*(keyed_rng(secret, f"{label}/{part}") for part in _PARTS))


def keyed_rng(secret: bytes, label: str) -> np.random.Generator:
    """A generator seeded with HMAC-SHA256(secret, label): its state or output tells nothing of
    another label's generator, nor of the secret."""
    digest = hmac.new(secret, label.encode(), hashlib.sha256).digest()
    return np.random.default_rng(int.from_bytes(digest, "big"))


def check_secret(secret: bytes) -> bytes:
    """A round secret: exactly :data:`SECRET_BYTES` bytes."""
    if not isinstance(secret, bytes) or len(secret) != SECRET_BYTES:
        raise ValueError(f"a round secret has {SECRET_BYTES} bytes")
    return secret


@dataclass(frozen=True)
class MarketSpec:
    """Everything that determines the synthetic market; its JSON goes into the round manifest."""

    seed: int = 0
    features: int = 40
    latents: int = 8
    risk_factors: int = 3
    regimes: int = 3
    #: Probability that the regime stays the same from one training era to the next.
    regime_persistence: float = 0.9
    train_eras: int = 120
    train_stocks: int = 1000
    live_stocks: int = 5000
    #: Held-out eras with targets, published with the training data for diagnostics.
    validation_eras: int = 20
    validation_stocks: int = 1000
    #: Standard deviations of the target's parts (the noise dominates, as in real markets).
    linear_scale: float = 0.1
    nonlinear_scale: float = 0.1
    noise_scale: float = 1.0
    feature_noise: float = 0.6

    def __post_init__(self) -> None:
        ints = ("seed", "features", "latents", "risk_factors", "regimes", "train_eras")
        for name in (*ints, "train_stocks", "live_stocks", "validation_eras", "validation_stocks"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"market {name} must be a non-negative integer, got {value!r}")
        if self.latents < 3:
            raise ValueError("the market needs at least 3 latents (the non-linear part uses 3)")
        if self.features < 1 or self.regimes < 1:
            raise ValueError("the market needs at least one feature and one regime")
        if self.live_stocks < 10 or self.train_stocks < 10 or self.validation_stocks < 10:
            raise ValueError("an era needs at least 10 stocks")
        if not 0 <= self.regime_persistence <= 1:
            raise ValueError("regime_persistence must be in [0, 1]")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MarketSpec:
        return cls(**data)


@dataclass(frozen=True)
class LiveRound:
    """One round's live era: what participants get, and what the oracle keeps until later."""

    #: ``id``, ``era`` and the feature columns: the public live data.
    live: pd.DataFrame
    #: ``id``, ``target``, the risk factor columns and, for Signals rounds, the neutralizer
    #: columns and ``sample_weight``: published after the reveal deadline.
    targets: pd.DataFrame
    regime: int


class Market:
    """The world of one ``MarketSpec`` (and ``secret``, for a tournament round: see the
    module's notes): call :meth:`training` and :meth:`live_round`."""

    def __init__(self, spec: MarketSpec, secret: bytes | None = None) -> None:
        self.spec = spec
        self.secret = None if secret is None else check_secret(secret)
        rng = self._rng(_WORLD)
        s = spec
        self.loadings = rng.normal(size=(s.features, s.latents))
        self.loadings /= np.linalg.norm(self.loadings, axis=1, keepdims=True)
        shared = rng.normal(size=s.latents)
        self.regime_weights = np.stack(
            [shared + 0.8 * rng.normal(size=s.latents) for _ in range(s.regimes)]
        )
        self.regime_weights /= np.linalg.norm(self.regime_weights, axis=1, keepdims=True)
        self.risk_loadings = rng.normal(size=(s.risk_factors, s.latents))
        self.neutralizer_loadings = rng.normal(size=(max(s.risk_factors, 2), s.latents))

    @property
    def feature_names(self) -> list[str]:
        width = len(str(self.spec.features - 1))
        return [f"feature_{j:0{width}d}" for j in range(self.spec.features)]

    @property
    def risk_names(self) -> list[str]:
        return [f"risk_{j}" for j in range(self.spec.risk_factors)]

    def _rng(self, stream: int, *more: int) -> np.random.Generator:
        if self.secret is not None:
            parts = ("tournament-market-v1", self.spec.seed, stream, *more)
            label = "/".join(str(x) for x in parts)
            return keyed_rng(self.secret, label)
        return np.random.default_rng([self.spec.seed, stream, *more])

    def _era(
        self, draws: _Draws, n: int, regime: int
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """(features, raw target, risk factors, latents) of ``n`` stocks in one era."""
        s = self.spec
        z = draws.latents.normal(size=(n, s.latents))
        noise = draws.feature_noise.normal(size=(n, s.features))
        raw_features = z @ self.loadings.T + s.feature_noise * noise
        features = _bin_equal(raw_features)
        linear = z @ self.regime_weights[regime]
        nonlinear = z[:, 0] * z[:, 1] + (np.abs(z[:, 2]) - np.sqrt(2 / np.pi)) * 1.3
        raw_target = (
            s.linear_scale * linear
            + s.nonlinear_scale * nonlinear
            + s.noise_scale * draws.target_noise.normal(size=n)
        )
        risk = z @ self.risk_loadings.T + 0.5 * draws.risk_noise.normal(size=(n, s.risk_factors))
        return features, raw_target, risk, z

    def _ids(self, rng: np.random.Generator, n: int, prefix: str = "n") -> list[str]:
        raw = rng.integers(0, 2**63, size=n, dtype=np.int64)
        ids = [f"{prefix}{int(x):016x}" for x in raw]
        if len(set(ids)) != n:  # about 1e-12 for 150,000 ids; never silently merge two stocks
            raise ValueError("id collision in the synthetic market: choose another seed")
        return ids

    def training(self) -> pd.DataFrame:
        """Many eras with targets: ``era``, ``id``, features, ``target``."""
        s = self.spec
        rng = self._rng(_TRAINING)
        regime = 0
        frames = []
        for era in range(1, s.train_eras + 1):
            if era > 1 and rng.random() > s.regime_persistence:
                regime = int(rng.integers(0, s.regimes))
            features, raw_target, _, _ = self._era(_Draws.shared(rng), s.train_stocks, regime)
            frame = pd.DataFrame(features.astype(np.float32), columns=self.feature_names)
            frame.insert(0, "id", self._ids(rng, s.train_stocks))
            frame.insert(0, "era", f"era{era:04d}")
            frame["target"] = _bin_target(raw_target).astype(np.float32)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def validation(self) -> pd.DataFrame:
        """The held-out validation eras with targets (``era``, ``id``, features, ``target``):
        ``validation_eras`` eras of ``validation_stocks`` stocks that follow the training eras
        (named on from them), drawn from a stream of their own so the training data is the same
        with or without them. Empty when the spec has no validation eras."""
        s = self.spec
        rng = self._rng(_VALIDATION)
        regime = int(rng.integers(0, s.regimes))
        frames = []
        for k in range(s.validation_eras):
            if k > 0 and rng.random() > s.regime_persistence:
                regime = int(rng.integers(0, s.regimes))
            features, raw_target, _, _ = self._era(_Draws.shared(rng), s.validation_stocks, regime)
            frame = pd.DataFrame(features.astype(np.float32), columns=self.feature_names)
            frame.insert(0, "id", self._ids(rng, s.validation_stocks, prefix="v"))
            frame.insert(0, "era", f"era{s.train_eras + 1 + k:04d}")
            frame["target"] = _bin_target(raw_target).astype(np.float32)
            frames.append(frame)
        if not frames:
            columns = ["era", "id", *self.feature_names, "target"]
            return pd.DataFrame(columns=columns)
        return pd.concat(frames, ignore_index=True)

    def _live_draws(self, kind: str, round_number: int) -> _Draws:
        if self.secret is None:
            return _Draws.shared(self._rng(_SIGNALS if kind == "signals" else _LIVE, round_number))
        label = f"tournament-live-era-v1/{kind}/{self.spec.seed}/{round_number}"
        return _Draws.keyed(self.secret, label)

    def draw(self, kind: str, round_number: int) -> LiveRound:
        """Round ``round_number``'s live era of the round kind ``kind`` ("classic" or
        "signals")."""
        if kind == "signals":
            return self.signals_round(round_number)
        if kind == "classic":
            return self.live_round(round_number)
        raise ValueError(f"unknown round kind {kind!r}")

    def live_round(self, round_number: int) -> LiveRound:
        """Round ``round_number``'s live era of ``live_stocks`` stocks (a classic round)."""
        s = self.spec
        draws = self._live_draws("classic", round_number)
        regime = int(draws.regime.integers(0, s.regimes))
        features, raw_target, risk, _ = self._era(draws, s.live_stocks, regime)
        ids = self._ids(draws.ids, s.live_stocks)
        live = pd.DataFrame(features.astype(np.float32), columns=self.feature_names)
        live.insert(0, "era", f"live{round_number:04d}")
        live.insert(0, "id", ids)
        targets = pd.DataFrame({"id": ids, "target": _bin_target(raw_target)})
        for j, name in enumerate(self.risk_names):
            targets[name] = risk[:, j]
        return LiveRound(live, targets, regime)

    def signals_round(self, round_number: int) -> LiveRound:
        """A Signals-style round: tickers instead of ids, a continuous target (a return),
        neutralizers and sample weights (a market-cap-like positive weight)."""
        s = self.spec
        draws = self._live_draws("signals", round_number)
        regime = int(draws.regime.integers(0, s.regimes))
        features, raw_target, risk, z = self._era(draws, s.live_stocks, regime)
        tickers = [f"T{i:05d} US" for i in range(s.live_stocks)]
        live = pd.DataFrame(features.astype(np.float32), columns=self.feature_names)
        live.insert(0, "era", f"live{round_number:04d}")
        live.insert(0, "id", tickers)
        neutralizers = z @ self.neutralizer_loadings.T
        targets = pd.DataFrame({"id": tickers, "target": raw_target / raw_target.std()})
        for j in range(neutralizers.shape[1]):
            targets[f"neutralizer_{j}"] = neutralizers[:, j]
        # The C library's exp, value by value: numpy's exp has an AVX-512 path whose last
        # bits differ, and a verifier must draw the same weights on any machine.
        log_weights = draws.weights.normal(0.0, 1.0, size=s.live_stocks)
        targets["sample_weight"] = np.array([math.exp(x) for x in log_weights.tolist()])
        for j, name in enumerate(self.risk_names):
            targets[name] = risk[:, j]
        return LiveRound(live, targets, regime)


def _bin_equal(values: FloatArray) -> FloatArray:
    """Each column binned into five equal-count bins, as 0, .25, .5, .75, 1."""
    n = values.shape[0]
    order = np.argsort(values, axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(n)[:, None], axis=0)
    binned: FloatArray = np.floor(ranks * 5 / n) / 4
    return binned


def _bin_target(raw: FloatArray) -> FloatArray:
    """The target binned by rank into Numerai's five bins with their shares."""
    n = len(raw)
    edges = np.round(np.cumsum(TARGET_SHARES)[:-1] * n).astype(np.int64)
    order = np.argsort(raw, kind="stable")
    bins = np.searchsorted(edges, np.arange(n), side="right")
    out = np.empty(n)
    out[order] = TARGET_BINS[bins]
    return out


def to_parquet(frame: pd.DataFrame) -> bytes:
    """The frame's parquet bytes: no index, zstd, one row group per 100,000 rows, and the same
    bytes for the same frame with the same library versions (the lock file pins them)."""
    buffer = io.BytesIO()
    frame.to_parquet(
        buffer, index=False, engine="pyarrow", compression="zstd", row_group_size=100_000
    )
    return buffer.getvalue()
