"""The relationship vendor's own Python SDK (dealcloud-sdk 1.0.18), unchanged,
against the mock's demo tenant: what an integration written for the real
service does, from constructing the client to writing and proxying.

Demo credentials (public test values of the embedded demo tenant):
demo-admin (Alice, every permission and scope), demo-integrator (the
service account 2001, which may act as Bob 1002 and Carol 6045), and
demo-reporting (the service account with the data scope only).
"""
import pytest
from dealcloud_sdk import DealCloud
from intapp_rest_client.exceptions import HttpError

ADMIN = ("demo-admin", "demo-admin-secret")
INTEGRATOR = ("demo-integrator", "demo-integrator-secret")
REPORTING = ("demo-reporting", "demo-reporting-secret")
CAROL = 6045


def client(site, creds, **kw):
    return DealCloud(site_url=site, client_id=creds[0], client_secret=creds[1], **kw)


def rows(dc, entry_type, as_user=None, **params):
    """One page of rows, read with the SDK's own HTTP client (the SDK has no
    AS-USER option: a caller adds the header to the request)."""
    headers = {"AS-USER": str(as_user)} if as_user is not None else None
    return dc._client.get(f"{dc._url_root}/data/entrydata/rows/{entry_type}", params=params, headers=headers)


def name(value):
    """The text of a name field: rows answer an entry type's key field as a
    reference to the row itself, {type, id, name, entryListId}, as the
    vendor's docs show."""
    return value["name"] if isinstance(value, dict) else value


def test_the_constructor_reads_the_schema(site):
    dc = client(site, ADMIN)  # token, then schema/entryTypes and schema/allfields
    names = {o.apiName for o in dc.get_objects()}
    assert {"Deals", "Companies", "Contacts"} <= names
    deal_fields = {f.apiName for f in dc.get_fields("Deals")}
    assert {"Name", "Stage", "Amount"} <= deal_fields
    users = {u.id: u.email for u in dc.get_schema_users(active_only=False)}
    assert users[CAROL] == "carol@demo.tenantkit.dev"


def test_reading_deals_with_fields(site):
    dc = client(site, ADMIN)
    data = dc.read_data("Deals", fields=["Name", "Stage"], output="list")
    assert len(data) == 9
    for row in data:
        assert set(row) == {"EntryId", "Name", "Stage"}


def test_as_user_reads_exactly_carols_deals(site):
    dc = client(site, INTEGRATOR)
    page = rows(dc, "Deals", as_user=CAROL, fields=["Name"], limit=1000)
    assert sorted(r["EntryId"] for r in page["rows"]) == [1, 2, 3]
    assert page["totalRecords"] == 3


def test_a_refused_proxy_is_401(site):
    dc = client(site, INTEGRATOR)
    with pytest.raises(HttpError) as err:
        rows(dc, "Deals", as_user=1001)  # no proxy assignment to Alice
    assert err.value.status_code == 401


def test_insert_upsert_and_delete(site):
    dc = client(site, ADMIN)
    made = dc.insert_data("Deals", [{"Name": "Vendor SDK Deal", "Stage": "Qualification", "Amount": 1000}])
    assert len(made) == 1
    new_id = made[0]["EntryId"]
    assert new_id > 0

    dc.upsert_data("Deals", [
        {"EntryId": new_id, "Name": "Vendor SDK Deal", "Stage": "Proposal", "Amount": 2000},
        {"Name": "Vendor SDK Second Deal", "Stage": "Qualification", "Amount": 5},
    ])
    by_name = {name(r["Name"]): r for r in dc.read_data("Deals", fields=["Name", "Amount"], output="list")}
    assert by_name["Vendor SDK Deal"]["Amount"] == 2000
    assert by_name["Vendor SDK Deal"]["EntryId"] == new_id
    second = by_name["Vendor SDK Second Deal"]["EntryId"]

    dc.delete_data("Deals", [new_id, second])
    names = {name(r["Name"]) for r in dc.read_data("Deals", fields=["Name"], output="list")}
    assert "Vendor SDK Deal" not in names and "Vendor SDK Second Deal" not in names
    assert len(names) == 9


def test_a_data_only_token_may_not_read_proxy_assignments(site):
    dc = client(site, REPORTING, scope=["data"])
    with pytest.raises(Exception) as err:
        dc.get_user_proxy()
    assert "403" in str(err.value) or getattr(err.value, "status_code", None) == 403
    assert "user_management" in str(getattr(err.value, "response_body", "")) + str(err.value)


def test_the_integrator_reads_proxy_assignments(site):
    dc = client(site, INTEGRATOR)
    assignments = dc.get_user_proxy()
    mine = [a for a in assignments if a["proxyUser"]["id"] == 2001]
    assert sorted(u["id"] for u in mine[0]["users"]) == [1002, CAROL]
