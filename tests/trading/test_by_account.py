"""``ByAccount``: the order manager's per-account index of open orders and positions."""

import pytest

from trader_app.trading.tracking import ByAccount


def test_by_account_keeps_the_account_index_in_step():
    book: ByAccount[int] = ByAccount()
    book[("a1", "x")] = 1
    book[("a1", "y")] = 2
    book[("a2", "x")] = 3
    book[("a1", "x")] = 4  # replaced
    assert book.of("a1") == {("a1", "x"): 4, ("a1", "y"): 2}
    assert book.of("a2") == {("a2", "x"): 3}
    assert book.of("a3") == {}
    del book[("a1", "x")]
    assert book.pop(("a1", "y")) == 2
    assert book.pop(("a1", "nope"), None) is None
    assert book.of("a1") == {} and dict(book) == {("a2", "x"): 3}
    book.clear()
    assert book.of("a2") == {} and len(book) == 0
    with pytest.raises(TypeError):
        book.update({("a1", "z"): 5})
