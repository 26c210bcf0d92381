// A tenantkit mock for a node:test run, started from its binary.
// TENANTKIT_MOCK names the binary (default: tenantkit-mock on PATH); build it
// from a clone with: go build -o tenantkit-mock ./cmd/mock
// Run: node --test examples/node/
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";

let mock, url;

before(async () => {
  // Port 0 picks a free port; the banner's first line says which:
  // "tenantkit mock server: http://127.0.0.1:PORT". Logs go to stderr.
  mock = spawn(process.env.TENANTKIT_MOCK ?? "tenantkit-mock", ["--addr", "127.0.0.1:0"],
    { stdio: ["ignore", "pipe", "ignore"] });
  const lines = createInterface({ input: mock.stdout });
  const [first] = await once(lines, "line");
  url = first.split(" ").at(-1);
  assert.match(url, /^http:\/\//, `the mock did not start: ${first}`);
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});

after(() => mock.kill());

const entityQuery = (key, body) =>
  fetch(`${url}/V2.0/services/data/entityQuery`, {
    method: "POST",
    headers: { Authorization: `ApiKey ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

test("the service key sees its four projects", async () => {
  const resp = await entityQuery("demo-key-service", { typeName: "Project", fields: ["Name"] });
  assert.equal(resp.status, 200);
  assert.equal((await resp.json()).entities.length, 4);
});

test("Bob may not read Tasks through the API", async () => {
  const resp = await entityQuery("demo-key-bob", { typeName: "Task" });
  assert.equal(resp.status, 403);
  assert.equal(JSON.parse(resp.headers.get("x-tenantkit-decision")).step, "object");
});
