"""Write docs/outputs.md from the result contracts (scripts/contracts.py): `make docs`.

tests/test_extending.py holds the committed file equal to what this writes."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import contracts  # noqa: E402

if __name__ == "__main__":
    (ROOT / "docs" / "outputs.md").write_text(contracts.outputs_markdown(), encoding="utf-8")
