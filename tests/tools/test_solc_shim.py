"""The solc shim (tools/solc): the calls ape-solidity, py-solc-x and forge make, on real solcjs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from oracle import PROJECT_ROOT

SHIM = PROJECT_ROOT / "tools" / "solc"
SOLC_VERSION = json.loads((PROJECT_ROOT / "node_modules" / "solc" / "package.json").read_text())[
    "version"
]
OZ = PROJECT_ROOT / "node_modules" / "@openzeppelin" / "contracts"


def run_shim(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SHIM), *args], input=stdin, capture_output=True, text=True, timeout=300
    )


def standard_input(sources: dict[str, str], outputs: list[str], **settings: object) -> str:
    return json.dumps(
        {
            "language": "Solidity",
            "sources": {name: {"content": body} for name, body in sources.items()},
            "settings": {"outputSelection": {"*": {"*": outputs}}, **settings},
        }
    )


def test_version_matchesPinnedSolcInNativeFormat() -> None:
    result = run_shim("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("solc, the solidity compiler commandline interface\n")
    assert f"Version: {SOLC_VERSION}+commit." in result.stdout


def test_versionParsedByPySolcX() -> None:
    import solcx.wrapper

    assert str(solcx.wrapper.get_solc_version(SHIM)) == SOLC_VERSION


def test_standardJson_compilesSimpleContract() -> None:
    source = "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\ncontract A { uint x; }\n"
    result = run_shim("--standard-json", stdin=standard_input({"A.sol": source}, ["abi"]))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert "errors" not in out or all(e["severity"] != "error" for e in out["errors"])
    assert out["contracts"]["A.sol"]["A"]["abi"] == []


def test_standardJson_resolvesImportsAgainstBasePath(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "B.sol").write_text("pragma solidity ^0.8.0;\ncontract B {}\n")
    source = 'pragma solidity ^0.8.0;\nimport "lib/B.sol";\ncontract A is B {}\n'
    result = run_shim(
        "--standard-json", "--base-path", str(tmp_path), "--allow-paths", f"{tmp_path},/tmp",
        stdin=standard_input({"A.sol": source}, ["abi"]),
    )  # fmt: skip
    out = json.loads(result.stdout)
    assert "B" in out["contracts"]["lib/B.sol"]


def test_standardJson_resolvesImportsAgainstIncludePath(tmp_path: Path) -> None:
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "C.sol").write_text("pragma solidity ^0.8.0;\ncontract C {}\n")
    source = 'pragma solidity ^0.8.0;\nimport "C.sol";\ncontract A is C {}\n'
    result = run_shim(
        "--standard-json", "--base-path", str(tmp_path / "nowhere"), "--include-path", str(inc),
        stdin=standard_input({"A.sol": source}, ["abi"]),
    )  # fmt: skip
    assert "C" in json.loads(result.stdout)["contracts"]["C.sol"]


def test_standardJson_appliesRemappingsFromArgumentsAndSettings() -> None:
    source = (
        'pragma solidity ^0.8.20;\nimport {ERC20} from "@oz/token/ERC20/ERC20.sol";\n'
        'contract T is ERC20("t", "t") {}\n'
    )
    for args, settings in (
        ([f"@oz/={OZ}/"], {}),
        ([], {"remappings": [f"@oz/={OZ}/"]}),
    ):
        result = run_shim(
            "--standard-json", *args, stdin=standard_input({"T.sol": source}, ["abi"], **settings)
        )
        out = json.loads(result.stdout)
        errors = [e for e in out.get("errors", []) if e["severity"] == "error"]
        assert not errors, errors
        assert "T" in out["contracts"]["T.sol"]


def test_standardJson_writesOutputLargerThan64KiBThroughAPipe() -> None:
    source = (
        "pragma solidity ^0.8.20;\n"
        'import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";\n'
        'contract T is ERC20("t", "t") {}\n'
    )
    body = standard_input(
        {"T.sol": source},
        ["abi", "evm.bytecode", "evm.deployedBytecode", "evm.methodIdentifiers"],
        remappings=[f"@openzeppelin/contracts/={OZ}/"],
    )
    input_json = json.loads(body)
    input_json["settings"]["outputSelection"]["*"][""] = ["ast"]
    result = run_shim("--standard-json", stdin=json.dumps(input_json))
    assert result.returncode == 0
    assert len(result.stdout.encode()) > 64 * 1024
    out = json.loads(result.stdout)  # complete, parseable JSON
    assert out["contracts"]["T.sol"]["T"]["evm"]["bytecode"]["object"]


def test_standardJson_reportsMissingImportAsCompilerError() -> None:
    source = 'pragma solidity ^0.8.0;\nimport "missing/X.sol";\ncontract A {}\n'
    out = json.loads(
        run_shim("--standard-json", stdin=standard_input({"A.sol": source}, ["abi"])).stdout
    )
    messages = " ".join(e["message"] for e in out["errors"])
    assert "missing/X.sol" in messages


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["--bin", "A.sol"], "", "unsupported option --bin"),
        (["--standard-json"], "{not json", "not valid JSON"),
        ([], "", "only --version and --standard-json"),
        (["--base-path"], "", "--base-path needs a value"),
    ],
)
def test_badInvocation_failsWithOneLine(args: list[str], stdin: str, needle: str) -> None:
    result = run_shim(*args, stdin=stdin)
    assert result.returncode == 1
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
