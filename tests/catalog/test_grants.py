"""The privilege model on its own (catalog/grants.py over the metastore): inheritance, owners,
visibility, ALL PRIVILEGES and MANAGE, governed functions, what a DROP takes with it. On
SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import uuid

import pytest

from lakelens.catalog import Catalog, Column, InvalidArgument, NotFound, PermissionDenied
from lakelens.catalog.grants import ACCOUNT_USERS, check_privilege


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request, tmp_path):
    if request.param == "sqlite":
        return Catalog(f"sqlite:///{tmp_path / 'meta.db'}", tmp_path / "wh")
    return Catalog(request.getfixturevalue("postgres_url"), tmp_path / "wh")


def _table(c: Catalog, cat: str, schema: str, name: str, owner: str = "root"):
    info = c.reserve_table(cat, schema, name, fmt="delta", location=None, storage_key=c.new_storage_key(),
                           owner=owner)
    c.commit_table(info.id, [Column("id", "int")])
    return c.get_object(cat, schema, name)


def _grant(c, kind, key, who, *privileges, revoke=False, **parents):
    c.change_grants(kind, str(key), [who], list(privileges), grantor="root", revoke=revoke, **parents)


@pytest.fixture
def world(catalog):
    """Catalog `k<uuid>` (owned by root) with schema s, table t and user ann in group team."""
    c = catalog
    name = f"k{uuid.uuid4().hex[:8]}"
    c.create_catalog(name, owner="root")
    c.create_schema(name, "s", owner="root")
    t = _table(c, name, "s", "t")
    ann, team = f"ann_{name}", f"team_{name}"
    c.create_user(ann, "pw")
    c.create_group(team)
    c.alter_group(team, add=[ann])
    return c, name, t, ann, team


def test_schema_grants_reach_current_and_future_tables_only_with_use(world):
    c, cat, t, ann, team = world
    sch = c.get_schema(cat, "s")
    _grant(c, "SCHEMA", sch.id, team, "SELECT", catalog_id=sch.catalog_id)
    later = _table(c, cat, "s", "later")
    access = c.access(ann)
    assert access.on_object(t, "SELECT") and access.on_object(later, "SELECT")
    with pytest.raises(PermissionDenied, match=f"lacks USE CATALOG on catalog {cat}"):
        access.require_object(later, "SELECT")
    _grant(c, "CATALOG", sch.catalog_id, ann, "USE CATALOG")
    _grant(c, "SCHEMA", sch.id, ACCOUNT_USERS, "USE SCHEMA", catalog_id=sch.catalog_id)
    c.access(ann).require_object(later, "SELECT")
    with pytest.raises(PermissionDenied, match=f"lacks MODIFY on table {cat}.s.later"):
        c.access(ann).require_object(later, "MODIFY")
    c.alter_group(team, drop=[ann])  # out of the group: the SELECT goes with it
    with pytest.raises(PermissionDenied, match="lacks SELECT"):
        c.access(ann).require_object(later, "SELECT")


def test_ownership_does_not_cascade_but_manages(world):
    c, cat, t, ann, _ = world
    c.alter_catalog(cat, owner=ann)
    access = c.access(ann)
    assert not access.on_object(t, "SELECT")       # no data
    assert access.on_object(t, "MANAGE")           # but may grant, drop, hand over
    assert access.sees_object(t) and access.sees_schema(c.get_schema(cat, "s"))


def test_all_privileges_excludes_manage_and_revoke_all_keeps_it(world):
    c, cat, t, ann, _ = world
    _grant(c, "TABLE", t.id, ann, "ALL PRIVILEGES", "MANAGE")
    access = c.access(ann)
    assert access.on_object(t, "SELECT") and access.on_object(t, "MODIFY") and access.on_object(t, "MANAGE")
    _grant(c, "TABLE", t.id, ann, "ALL PRIVILEGES", revoke=True)
    access = c.access(ann)
    assert not access.on_object(t, "SELECT") and access.on_object(t, "MANAGE")
    c2 = c.access(f"nobody_{cat}")
    _grant(c, "TABLE", t.id, ann, "ALL PRIVILEGES")
    assert not c2.on_object(t, "MANAGE")


def test_use_alone_shows_the_door_not_the_room(world):
    c, cat, t, ann, _ = world
    sch = c.get_schema(cat, "s")
    _grant(c, "CATALOG", sch.catalog_id, ann, "USE CATALOG")
    _grant(c, "SCHEMA", sch.id, ann, "USE SCHEMA", "CREATE TABLE", catalog_id=sch.catalog_id)
    access = c.access(ann)
    assert access.sees_catalog(c.get_catalog(cat)) and access.sees_schema(sch)
    assert not access.sees_object(t)
    _grant(c, "SCHEMA", sch.id, ann, "BROWSE", catalog_id=sch.catalog_id)
    assert c.access(ann).sees_object(t) and not c.access(ann).on_object(t, "SELECT")
    other = c.create_schema(cat, "other", owner="root")
    assert not c.access(ann).sees_schema(other)


def test_dropping_takes_the_grants_so_a_new_namesake_starts_clean(world):
    c, cat, t, ann, _ = world
    _grant(c, "TABLE", t.id, ann, "SELECT", catalog_id=t.catalog_id, schema_id=t.schema_id)
    c.drop_object(t)
    again = _table(c, cat, "s", "t")
    assert not c.access(ann).on_object(again, "SELECT")
    assert c.grant_rows(principals=[ann]) == []
    _grant(c, "TABLE", again.id, ann, "SELECT", catalog_id=again.catalog_id, schema_id=again.schema_id)
    c.drop_catalog(cat, cascade=True)
    assert c.grant_rows(principals=[ann]) == []


def test_functions_are_open_until_governed(world):
    c, _, _, ann, team = world
    fn = f"fn_{uuid.uuid4().hex[:6]}"
    assert c.access(ann).may_execute(fn)
    _grant(c, "FUNCTION", fn, ACCOUNT_USERS, "EXECUTE", revoke=True)
    assert not c.access(ann).may_execute(fn)
    _grant(c, "FUNCTION", fn, team, "EXECUTE")
    assert c.access(ann).may_execute(fn)


def test_bad_principals_privileges_and_users(world):
    c, cat, t, ann, _ = world
    with pytest.raises(NotFound, match="PRINCIPAL_DOES_NOT_EXIST"):
        _grant(c, "TABLE", t.id, "nobody; DROP TABLE grants", "SELECT")
    with pytest.raises(InvalidArgument, match="INVALID_PRIVILEGE"):
        check_privilege("VOLUME", "SELECT")
    assert check_privilege("TABLE", "all") == "ALL PRIVILEGES"
    with pytest.raises(InvalidArgument):
        c.create_group(ACCOUNT_USERS)
    c.drop_user(ann)
    access = c.access(ann)
    assert not access.exists and access.names == {ann, ACCOUNT_USERS}  # out of every group
