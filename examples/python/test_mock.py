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
