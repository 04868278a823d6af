import pytest_asyncio

from exec_harness import make_rig


@pytest_asyncio.fixture
async def rig(tmp_path):
    r = await make_rig(tmp_path / "exec.db")
    yield r
    await r.close()
