"""The remote existence check: asking per id vs. listing, and the ``00`` prefix."""

from __future__ import annotations

import pytest
from core_helpers import md5

from dvcremote.backend import open_backend
from dvcremote.objects import Obj
from dvcremote.odb import EXISTS_FLOOR, RemoteODB

ZERO = [md5("363"), md5("jk8ssl")]  # 00411460..., 00000000...
CONTROL = [md5("dvc"), md5("cml")]


def _put(backend, oid: str, legacy: bool = False) -> None:  # type: ignore[no-untyped-def]
    odb = RemoteODB(backend)
    backend.write(odb.path(Obj(oid, legacy)), b"x", overwrite=True)


def _fake_oid(prefix: str, i: int) -> str:
    return prefix + md5(f"{prefix}-{i}")[len(prefix) :]


@pytest.fixture
def backend(memory_url: str):  # type: ignore[no-untyped-def]
    return open_backend(memory_url)


def test_zero_prefix_found_by_every_method(backend) -> None:  # type: ignore[no-untyped-def]
    for oid in ZERO + CONTROL:
        _put(backend, oid)
    wanted = {Obj(o) for o in ZERO + CONTROL} | {Obj(md5("absent")), Obj("00" + "f" * 30)}
    for method in ("exists", "list", "auto"):
        odb = RemoteODB(backend)
        assert odb.contains(wanted, method=method) == {Obj(o) for o in ZERO + CONTROL}, method


def test_large_remote_traverses_by_prefix_and_keeps_the_estimate(backend) -> None:  # type: ignore[no-untyped-def]
    # 130 objects under 00/ make the estimate ~33,000: a prefix-by-prefix traversal,
    # where the 00 listing from the estimate is part of the answer.
    zeros = [_fake_oid("00", i) for i in range(130)]
    for oid in zeros + CONTROL:
        _put(backend, oid)
    wanted = {Obj(o) for o in zeros[:70] + CONTROL}
    odb = RemoteODB(backend, jobs=8)
    found = odb.contains(wanted, method="list")
    assert found == wanted and odb.last_method == "list"


def test_few_ids_are_asked_for_not_listed(backend) -> None:  # type: ignore[no-untyped-def]
    for i in range(300):
        _put(backend, md5(f"unrelated {i}"))
    _put(backend, md5("mine"))
    odb = RemoteODB(backend)
    wanted = {Obj(md5("mine")), Obj(md5("other"))}
    assert odb.contains(wanted) == {Obj(md5("mine"))}
    assert odb.last_method == "exists"
    many = {Obj(md5(f"unrelated {i}")) for i in range(EXISTS_FLOOR + 10)}
    assert odb.contains(many) == many
    assert odb.last_method == "list"


def test_legacy_layout_is_checked_at_the_root(backend) -> None:  # type: ignore[no-untyped-def]
    oid = md5("legacy")
    _put(backend, oid, legacy=True)
    assert backend.exists(f"{oid[:2]}/{oid[2:]}")
    for method in ("exists", "list"):
        found = RemoteODB(backend).contains({Obj(oid, True), Obj(oid, False)}, method=method)
        assert found == {Obj(oid, True)}


def test_listing_skips_non_objects(backend) -> None:  # type: ignore[no-untyped-def]
    oid = md5("real")
    _put(backend, oid)
    backend.write(f"files/md5/{oid[:2]}/not-an-object", b"x")
    backend.write("files/md5/zz/" + "a" * 30, b"x")
    assert set(RemoteODB(backend).list_all()) == {Obj(oid)}


def test_env_forces_a_method(backend, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _put(backend, ZERO[0])
    odb = RemoteODB(backend)
    monkeypatch.setenv("DVCREMOTE_TRAVERSE", "always")
    assert odb.contains({Obj(ZERO[0]), Obj(ZERO[1])}) == {Obj(ZERO[0])}
    assert odb.last_method == "list"
    monkeypatch.setenv("DVCREMOTE_TRAVERSE", "never")
    assert odb.contains({Obj(o) for o in CONTROL + ZERO}) == {Obj(ZERO[0])}
    assert odb.last_method == "exists"
