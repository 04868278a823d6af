import sys
from pathlib import Path

import pytest_asyncio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "execution"))

from exec_harness import make_rig  # noqa: E402


@pytest_asyncio.fixture
async def rig(tmp_path):
    r = await make_rig(tmp_path / "hook.db")
    yield r
    await r.close()
