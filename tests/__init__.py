"""The project's tests (see tests/conftest.py). Importing ``oracle`` first pins OpenBLAS's
kernels before anything loads numpy (:func:`oracle.pin_blas_core`), so every test process
scores with the engine's arithmetic."""

import oracle  # noqa: F401
