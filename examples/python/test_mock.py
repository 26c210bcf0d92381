import json
import urllib.error
import urllib.request


def entity_query(url, key, body):
    req = urllib.request.Request(
        url + "/V2.0/services/data/entityQuery", method="POST", data=json.dumps(body).encode(),
        headers={"Authorization": "ApiKey " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def test_the_service_key_sees_its_four_projects(mock_url):
    page = entity_query(mock_url, "demo-key-service", {"typeName": "Project", "fields": ["Name"]})
    assert len(page["entities"]) == 4


def test_bob_may_not_read_tasks_through_the_api(mock_url):
    try:
        entity_query(mock_url, "demo-key-bob", {"typeName": "Task"})
    except urllib.error.HTTPError as err:
        assert err.code == 403
        decision = json.loads(err.headers["X-Tenantkit-Decision"])
        assert decision["step"] == "object"
    else:
        raise AssertionError("Bob read Tasks")


def dealcloud(url, method, path, token, body=None):
    req = urllib.request.Request(
        url + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def test_proxy_assignments_in_the_vendor_shapes(mock_url):
    # What dealcloud-sdk 1.0.18 sends: form token, then create_user_proxy's single
    # object and get_user_proxy's paging parameters.
    form = b"grant_type=client_credentials&client_id=demo-admin&client_secret=demo-admin-secret&scope=data+user_management"
    req = urllib.request.Request(mock_url + "/api/rest/v1/oauth/token", method="POST", data=form,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        token = json.load(resp)["access_token"]
    proxy = "/api/rest/v1/management/user/proxy"
    stored = dealcloud(mock_url, "POST", proxy, token, {"proxyUserId": 2001, "users": [1002, 6045]})
    assert stored["proxyUser"]["id"] == 2001
    page = dealcloud(mock_url, "GET", proxy + "?pageNumber=1&pageSize=100&proxyQuery=api-service@demo.tenantkit.dev&searchByName=false", token)
    assert [u["id"] for u in page[0]["users"]] == [1002, 6045]
    users = dealcloud(mock_url, "GET", "/api/rest/v1/management/user?modifiedSince=1970-01-01T00:00:00", token)
    assert {u["id"] for u in users} == {1001, 1002, 2001, 6045}
