// tenantkit mock console: the live stream, the filters on it, the tenant
// picker and the controls (which call the admin API from this page).
"use strict";

(function () {
  const body = document.body;
  const admin = body.dataset.admin;

  // Tenant picker: go to the same page of the chosen tenant.
  const picker = document.querySelector("[data-tenant-picker]");
  if (picker) {
    picker.addEventListener("change", () => {
      const page = location.pathname.replace(/^\/_mock\/ui\/t\/[^/]+\//, "");
      location.assign("/_mock/ui/t/" + encodeURIComponent(picker.value) + "/" + page.split("/")[0]);
    });
  }

  // Live requests: rows arrive as rendered HTML over server-sent events.
  const table = document.querySelector("[data-live-table]");
  if (table) {
    const rows = table.querySelector("[data-live-rows]");
    const state = document.querySelector("[data-live-state]");
    const form = document.querySelector("[data-live-filter]");
    const maxRows = 500;
    const filter = () => {
      const f = {};
      for (const [k, v] of new FormData(form)) if (v) f[k] = v;
      return f;
    };
    const matches = (tr, f) =>
      Object.entries(f).every(([k, v]) => (tr.dataset[k] || "") === v);
    const es = new EventSource(table.dataset.events);
    es.addEventListener("open", () => { state.textContent = " (live)"; });
    es.addEventListener("error", () => { state.textContent = " (reconnecting…)"; });
    es.addEventListener("dropped", (ev) => {
      state.textContent = " (live; " + ev.data + " requests were too fast to show: reload for all)";
    });
    es.addEventListener("entry", (ev) => {
      const tpl = document.createElement("template");
      tpl.innerHTML = ev.data.trim();
      const tr = tpl.content.firstElementChild;
      if (!tr || !matches(tr, filter())) return;
      const empty = rows.querySelector("tr.empty");
      if (empty) empty.remove();
      tr.classList.add("fresh");
      rows.prepend(tr);
      while (rows.rows.length > maxRows) rows.deleteRow(rows.rows.length - 1);
    });
  }

  // Controls: each form calls the admin API with JSON.
  const status = document.querySelector("[data-control-status]");
  const say = (text, bad) => {
    status.textContent = text;
    status.classList.toggle("error", !!bad);
  };
  const call = async (method, path, payload) => {
    const init = { method, headers: {} };
    if (payload !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    const res = await fetch(admin + path, init);
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
    if (!res.ok) throw new Error((json && (json.message || json.error)) || res.status + " " + res.statusText);
    return json;
  };
  const faults = document.querySelector("#faults");
  if (faults) {
    call("GET", "/faults").then((plan) => { faults.value = JSON.stringify(plan, null, 2); })
      .catch((err) => say("Reading the fault plan failed: " + err.message, true));
  }
  const actions = {
    settings: (form) => {
      const f = new FormData(form);
      return call("PATCH", "/settings", {
        apiDataAccess: f.get("apiDataAccess"),
        enforcement: f.get("enforcement"),
        rateLimit: { requests: Number(f.get("requests") || 0), window: f.get("window") || "1m" },
      }).then((s) => "Settings applied: apiDataAccess " + s.apiDataAccess + ", enforcement " + s.enforcement + ".");
    },
    faults: () => {
      let plan;
      try { plan = JSON.parse(faults.value || '{"rules": []}'); } catch (err) {
        return Promise.reject(new Error("the plan is not JSON: " + err.message));
      }
      return call("PUT", "/faults", plan).then((p) => {
        faults.value = JSON.stringify(p, null, 2);
        return p.rules.length ? "Fault plan replaced: " + p.rules.length + " rule(s)." : "Faults are off.";
      });
    },
    expire: () => call("POST", "/expire", {}).then((r) =>
      "Expired " + (r.tokens ?? 0) + " token(s) and " + (r.sessions ?? 0) + " session(s)."),
    reset: () => call("POST", "/reset").then(() => "The tenant was reset to its fixture."),
  };
  for (const form of document.querySelectorAll("form[data-control]")) {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      const button = form.querySelector("button");
      button.disabled = true;
      actions[form.dataset.control](form)
        .then((msg) => say(msg, false))
        .catch((err) => say("Refused: " + err.message, true))
        .finally(() => { button.disabled = false; });
    });
  }
})();
