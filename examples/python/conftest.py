"""A tenantkit mock for a pytest session, started from its binary.

TENANTKIT_MOCK names the binary (default: tenantkit-mock on PATH); build it
from a clone with: go build -o tenantkit-mock ./cmd/mock
"""
import os
import subprocess
import time
import urllib.request

import pytest


@pytest.fixture(scope="session")
def mock_url():
    binary = os.environ.get("TENANTKIT_MOCK", "tenantkit-mock")
    # Port 0 picks a free port; the banner's first line says which:
    # "tenantkit mock server: http://127.0.0.1:PORT". Logs go to stderr.
    proc = subprocess.Popen([binary, "--addr", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = proc.stdout.readline()
        url = first.rsplit(" ", 1)[-1].strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the mock did not start: {first!r}")
        for _ in range(100):
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
