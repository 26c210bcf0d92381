"""A tenantkit mock over HTTPS for the vendor SDK's tests, started from its binary.

The vendor's SDK builds https:// URLs from a site name, so the mock runs with
--tls and writes the certificate it makes to a file; SSL_CERT_FILE makes the
SDK's HTTP client (httpx) trust it. TENANTKIT_MOCK names the binary (default:
tenantkit-mock on PATH); build it from a clone with:
go build -o tenantkit-mock ./cmd/mock
"""
import json
import os
import ssl
import subprocess
import tempfile
import time
import urllib.request

import pytest


def pytest_configure(config):
    """With TENANTKIT_RECORD=FILE, every request the SDK sends (its token
    requests too) is written to FILE as one JSON object a line: the test,
    method, path and query, headers, body and the status answered. Bearer
    tokens become {token:N}, the Nth token answered; the mock's Go test
    mockserver/mocktest/dealcloud_sdk_replay_e2e_test.go replays the file."""
    path = os.environ.get("TENANTKIT_RECORD")
    if not path:
        return
    import httpx

    out = open(path, "w")
    tokens = []
    send = httpx.Client.send
    kept = ("accept", "content-type", "as-user", "authorization", "user-agent", "x-sdk-version", "x-dealcloud-sdk-version")

    def recording_send(self, request, *args, **kwargs):
        response = send(self, request, *args, **kwargs)
        headers = {}
        for name, value in request.headers.items():
            if name.lower() not in kept:
                continue
            for i, tok in enumerate(tokens):
                value = value.replace(tok, "{token:%d}" % i)
            headers[name] = value
        body = request.content.decode()
        if request.url.path.endswith("/oauth/token") and response.status_code == 200:
            tokens.append(response.read() and response.json()["access_token"])
        test = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split(" ")[0]
        query = request.url.query.decode()
        out.write(json.dumps({"test": test, "method": request.method,
                              "path": request.url.path + ("?" + query if query else ""),
                              "headers": headers, "body": body, "status": response.status_code}) + "\n")
        out.flush()
        return response

    httpx.Client.send = recording_send


@pytest.fixture(scope="session")
def mock():
    binary = os.environ.get("TENANTKIT_MOCK", "tenantkit-mock")
    tmp = tempfile.mkdtemp(prefix="tenantkit-dealcloud-")
    cert = os.path.join(tmp, "mock.pem")
    # Port 0 picks a free port; the banner's first line says which:
    # "tenantkit mock server: https://127.0.0.1:PORT". Logs go to stderr.
    proc = subprocess.Popen([binary, "--addr", "127.0.0.1:0", "--tls-cert-out", cert],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = proc.stdout.readline()
        url = first.rsplit(" ", 1)[-1].strip()
        if not url.startswith("https://"):
            raise RuntimeError(f"the mock did not start: {first!r}")
        ctx = ssl.create_default_context(cafile=cert)
        for _ in range(100):
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1, context=ctx) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        os.environ["SSL_CERT_FILE"] = cert
        yield Mock(url, ctx)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Mock:
    """The running mock: its site name for the SDK, and its admin API."""

    def __init__(self, url, ctx):
        self.url = url
        self.site = url.removeprefix("https://")
        self._ctx = ctx

    def reset(self):
        """Restores the default tenant to its fixture (the admin API's reset)."""
        with urllib.request.urlopen(self.url + "/_mock/tenants", context=self._ctx, timeout=10) as resp:
            tenant = next(t["id"] for t in json.load(resp)["tenants"] if t["default"])
        req = urllib.request.Request(self.url + f"/_mock/tenants/{tenant}/reset", method="POST")
        with urllib.request.urlopen(req, context=self._ctx, timeout=10) as resp:
            assert resp.status == 200


@pytest.fixture
def site(mock):
    """The mock's site name, with the tenant as its fixture made it and no
    schema the SDK cached from an earlier test."""
    from dealcloud_sdk import DealCloud

    mock.reset()
    DealCloud.clear_all_schema_caches()
    return mock.site
