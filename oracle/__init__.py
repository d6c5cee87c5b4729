"""Off-chain side of the staking tournament: devnet, deployments, oracle, scoring and wallet."""

import os
import platform
import sys
from pathlib import Path

#: The repository root (the folder holding ape-config.yaml).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The OpenBLAS kernels a round's results are computed with. OpenBLAS picks its kernels by
#: the CPU it finds, and different kernels sum a product in different orders, so the same
#: round scored on an AVX2 and an AVX-512 machine differs in the last bits of its scores. One
#: set of kernels on every machine makes the results file the same bytes wherever it is
#: recomputed. Haswell's (AVX2 and FMA) run on every x86-64 CPU made since 2013.
BLAS_CORE = "Haswell"


def _runs_blas_core() -> bool:
    """Whether this CPU can run :data:`BLAS_CORE`'s kernels (x86-64 with AVX2 and FMA)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return {"avx2", "fma"} <= flags
    except OSError:
        return False
    return False


def pin_blas_core() -> None:
    """Ask OpenBLAS for :data:`BLAS_CORE`'s kernels, as it reads ``OPENBLAS_CORETYPE`` when
    numpy loads it: a no-op once numpy is loaded, when the caller chose a core, or on a CPU
    that cannot run them (:func:`oracle.scoring.transforms.deterministic` then says what to
    do)."""
    if "numpy" in sys.modules or "OPENBLAS_CORETYPE" in os.environ:
        return
    if _runs_blas_core():
        os.environ["OPENBLAS_CORETYPE"] = BLAS_CORE


pin_blas_core()


def machine() -> dict[str, object]:
    """The machine a measurement ran on, as benchmark results record it."""
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


__all__ = ["BLAS_CORE", "PROJECT_ROOT", "machine", "pin_blas_core"]
