"""GroupService: groups persist, tokens live only in the keyring, links are validated and unique."""

from decimal import Decimal as D

import pytest

from trader_app.core.enums import MarketType
from trader_app.core.errors import DuplicateLink, TraderError
from trader_app.core.groups import AccountLink
from trader_app.core.portfolio import Account
from trader_app.trading.groups import GroupEvent, GroupService
from trader_app.core.bus import EventBus
from trader_app.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "t.db")
    for i in (1, 2):
        s.accounts.save(Account(account_id=f"acc{i}", name=f"A{i}", broker="paper"))
    yield s
    s.close()


async def test_create_group_token_in_keyring_not_store(store, memory_keyring, tmp_path):
    bus = EventBus()
    seen = []
    bus.subscribe(GroupEvent, seen.append)
    svc = GroupService(store, bus)
    group, token = await svc.create_group("trend", "spot", "EMA cross")
    assert group.market_type is MarketType.SPOT and group.description == "EMA cross"
    assert len(token) == 43  # token_urlsafe(32): 256 bits
    assert memory_keyring.store[("TraderApp", "webhook:trend")] == token
    assert store.groups.get("trend") == group
    assert token.encode() not in (tmp_path / "t.db").read_bytes()
    assert await svc.verify_token("trend", token)
    assert not await svc.verify_token("trend", token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not await svc.verify_token("trend", None)
    assert not await svc.verify_token("nope", token)
    assert seen == [GroupEvent("trend")]
    with pytest.raises(TraderError, match="already exists"):
        await svc.create_group("trend", "SPOT")
    with pytest.raises(TraderError, match="group name"):
        await svc.create_group("bad name", "SPOT")
    with pytest.raises(TraderError, match="market type"):
        await svc.create_group("x", "OPTIONS")


async def test_rotate_token_invalidates_the_old_one_and_a_fresh_service_reads_the_keyring(store):
    svc = GroupService(store)
    _, old = await svc.create_group("g", MarketType.FUTURES)
    new = await svc.rotate_token("g")
    assert new != old
    fresh = GroupService(store)
    assert await fresh.token("g") == new
    assert await fresh.verify_token("g", new) and not await fresh.verify_token("g", old)
    with pytest.raises(TraderError, match="unknown strategy group"):
        await svc.rotate_token("missing")


async def test_links_validate_and_refuse_duplicates(store):
    svc = GroupService(store)
    await svc.create_group("fut", "FUTURES")
    await svc.create_group("spot", "SPOT")
    link = await svc.link("fut", "acc1", "0.5", leverage=3, max_positions=2)
    assert link == AccountLink("fut", "acc1", D("0.5"), D("3"), 2)
    with pytest.raises(DuplicateLink):
        await svc.link("fut", "acc1", "0.2")
    for kwargs, msg in [({"weight": "0"}, "weight"), ({"weight": "1.5"}, "weight"), ({"weight": "x"}, "weight"),
                        ({"weight": "1", "leverage": "0.5"}, "leverage"), ({"weight": "1", "max_positions": 0}, "max_positions")]:
        with pytest.raises(TraderError, match=msg):
            await svc.link("fut", "acc2", **kwargs)
    with pytest.raises(TraderError, match="FUTURES groups only"):
        await svc.link("spot", "acc2", "1", leverage=2)
    with pytest.raises(TraderError, match="unknown account"):
        await svc.link("spot", "ghost", "1")
    assert await svc.links("fut") == [link]
    updated = await svc.update_link("fut", "acc1", weight="0.25")
    assert updated == AccountLink("fut", "acc1", D("0.25"), D("3"), 2)
    assert await svc.unlink("fut", "acc1") and not await svc.unlink("fut", "acc1")
    assert await svc.links("fut") == []


async def test_delete_group_removes_links_and_token(store, memory_keyring):
    svc = GroupService(store)
    await svc.create_group("g", "SPOT")
    await svc.link("g", "acc1", "1")
    assert await svc.delete_group("g")
    assert store.links.list() == [] and store.groups.get("g") is None
    assert ("TraderApp", "webhook:g") not in memory_keyring.store
    assert await svc.token("g") is None
    assert not await svc.delete_group("g")


async def test_links_are_cached_and_dropped_on_changes_and_account_removal(store):
    from trader_app.core.events import AccountEvent

    bus = EventBus()
    svc = GroupService(store, bus)
    await svc.create_group("g", "SPOT")
    await svc.link("g", "acc1", "1")
    await svc.link("g", "acc2", "0.5")
    assert [lk.account_id for lk in await svc.links("g")] == ["acc1", "acc2"]
    store.accounts.delete("acc2")  # the store cascades its links; the cache learns it from the event
    assert [lk.account_id for lk in await svc.links("g")] == ["acc1", "acc2"]
    bus.publish(AccountEvent(Account("acc2", "A2", "paper"), removed=True))
    assert [lk.account_id for lk in await svc.links("g")] == ["acc1"]
    await svc.update_group("g", enabled=False)
    assert (await svc.get_group("g")).enabled is False
