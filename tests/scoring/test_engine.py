"""The engine's arithmetic is the same on every x86-64 machine: OpenBLAS's kernels are pinned
before numpy loads, a process running others is refused before it scores for a results file,
and the signed power avoids numpy's CPU-specific ``power``."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from oracle import BLAS_CORE, PROJECT_ROOT, _runs_blas_core
from oracle.scoring.transforms import power

needs_core = pytest.mark.skipif(
    not _runs_blas_core(), reason=f"this CPU cannot run OpenBLAS's {BLAS_CORE} kernels"
)

PROBE = """
import oracle, numpy
from threadpoolctl import threadpool_info
print(sorted({lib["architecture"] for lib in threadpool_info() if lib["user_api"] == "blas"}))
"""

SCORE = """
import oracle
from oracle.errors import EngineError
from oracle.scoring.transforms import deterministic
try:
    with deterministic():
        print("scored")
except EngineError as err:
    print(err)
"""


def run(code: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"} | env
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


@needs_core
def test_importingOracle_beforeNumpy_pinsTheEngineKernels() -> None:
    assert run(PROBE) == str([BLAS_CORE])


@needs_core
def test_deterministicScoring_withThePinnedKernels_starts() -> None:
    assert run(SCORE) == "scored"


def test_deterministicScoring_withOtherKernels_isRefusedWithWhatToDo() -> None:
    said = run(SCORE, OPENBLAS_CORETYPE="Prescott")
    assert said.startswith(
        f"scores for a results file need OpenBLAS's {BLAS_CORE} kernels, but this process "
        "runs openblas "
    ), said
    assert f": start it with OPENBLAS_CORETYPE={BLAS_CORE} in the environment" in said
    assert "\n" not in said


def test_thisTestProcess_runsTheEngineKernels() -> None:
    """tests/__init__.py imports oracle first: the golden rounds are scored as on any machine."""
    from threadpoolctl import threadpool_info

    if not _runs_blas_core():
        pytest.skip(f"this CPU cannot run OpenBLAS's {BLAS_CORE} kernels")
    found = {lib["architecture"] for lib in threadpool_info() if lib["user_api"] == "blas"}
    assert found == {BLAS_CORE}


def test_signedPower_isTwoCorrectlyRoundedOperations_withinAnUlpOfPow() -> None:
    rng = np.random.default_rng(5)
    values = np.concatenate(
        [rng.normal(0, 1, 20_000), rng.normal(0, 1e6, 1_000), [0.0, -0.0, 1e-300, -4.0, 9.0]]
    )
    got = power(values)
    magnitude = np.abs(values)
    assert np.array_equal(got, np.sign(values) * (magnitude * np.sqrt(magnitude)))
    exact = np.array([math.copysign(math.pow(abs(x), 1.5), x) for x in values.tolist()])
    assert np.all(np.abs(got - exact) <= 2 * np.spacing(np.abs(exact)))
    assert power(np.array([-4.0, 9.0])).tolist() == [-8.0, 27.0]
    assert power(np.array([2.0, -3.0]), 2.0).tolist() == [4.0, -9.0]
