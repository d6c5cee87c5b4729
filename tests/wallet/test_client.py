"""The wallet's pieces that need no chain: predictions to bytes, token amounts, plans, and the
example model."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oracle.errors import TournamentError, WalletError
from oracle.market import MarketSpec
from oracle.market.generator import Market
from oracle.models.example import TreeParams, example_predictions
from oracle.scoring.validate import read_submission
from oracle.wallet.inputs import predictions_bytes, tokens
from oracle.wallet.plan import Plan, Step


def test_predictionsBytes_writesAFrameAsParquetTheValidatorReads() -> None:
    frame = pd.DataFrame({"id": ["a", "b", "c"], "prediction": [0.1, 0.5, 0.9]})
    data = predictions_bytes(frame)
    assert data[:4] == b"PAR1"
    assert read_submission(data, pd.Index(["a", "b", "c"])).tolist() == [0.1, 0.5, 0.9]
    # The same frame gives the same bytes, so a retry reuses the saved salt.
    assert predictions_bytes(frame.copy()) == data
    # An id index is accepted too.
    assert predictions_bytes(frame.set_index("id")) == data


def test_predictionsBytes_readsAPathAndNamesAMissingFile(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"id,prediction\na,0.1\nb,0.2\n")
    assert predictions_bytes(path) == path.read_bytes()
    assert predictions_bytes(str(path)) == path.read_bytes()
    with pytest.raises(WalletError, match=r"cannot read the predictions file .*missing\.csv"):
        predictions_bytes(tmp_path / "missing.csv")


def test_tokens_takesTokensNeverBaseUnits() -> None:
    assert tokens("12.5") == 12_500_000_000_000_000_000
    assert tokens(3) == 3 * 10**18
    assert tokens(Decimal("0.000000000000000001")) == 1
    for bad in ("12,5", "-1", "0", "1e-19"):
        with pytest.raises(TournamentError):
            tokens(bad)


def test_plan_addsTheGasOfItsSteps() -> None:
    plan = Plan("submit", steps=[Step("a", "stake", (), 100), Step("b", "withdraw", (), 23)])
    assert plan.gas == 123
    assert Plan("nothing").gas == 0


def test_exampleModel_isDeterministicRankedAndBeatsNoise() -> None:
    market = Market(MarketSpec(seed=4, train_eras=30, train_stocks=300, live_stocks=500))
    training = market.training()
    round_ = market.live_round(1)
    live, targets = round_.live, round_.targets
    params = TreeParams(rounds=60)
    first = example_predictions(training, live, params)
    again = example_predictions(training, live, params)
    pd.testing.assert_frame_equal(first, again)
    assert list(first.columns) == ["id", "prediction"]
    assert first["prediction"].between(0, 1, inclusive="right").all()
    assert first["prediction"].is_unique
    # The trees learn the planted signal: positive rank correlation with the live targets.
    merged = first.set_index("id").join(targets.set_index("id"))
    corr = np.corrcoef(merged["prediction"], merged["target"].rank())[0, 1]
    assert corr > 0.05
    buffer = io.BytesIO(predictions_bytes(first))
    assert len(pd.read_parquet(buffer)) == len(live)


def test_inANotebook_aWalletErrorIsOneLineWithNoTraceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """IPython (as Jupyter runs it) shows the error's one line, not a traceback."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell(
        "from oracle.wallet.plan import WalletError\n"
        "def submit():\n"
        "    raise WalletError('account 0xabc holds 0 tokens; this stake needs 10: get tokens')\n"
        "submit()\n"
    )
    shown = capsys.readouterr()
    text = (shown.out + shown.err).strip()
    assert text == "WalletError: account 0xabc holds 0 tokens; this stake needs 10: get tokens"


def test_everyPublicWalletMethod_answersApesErrorsInOneLine() -> None:
    from oracle.wallet import Wallet

    for name in ("connect", "submit", "reveal", "claim", "refund", "withdraw", "status"):
        assert hasattr(getattr(Wallet, name), "__wrapped__"), name
