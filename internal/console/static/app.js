"use strict";
// services.msc's list: every service, sorted and filtered here, kept
// current by the console's event stream (no polling), with the toolbar's
// actions sent to scmd as the user who runs the console.

const STATES = {1: "Stopped", 2: "Starting", 3: "Stopping", 4: "Running", 5: "Resuming", 6: "Pausing", 7: "Paused"};
const ACCEPT_STOP = 1, ACCEPT_PAUSE_CONTINUE = 2;

const params = new URLSearchParams(location.search);
const host = params.get("host") || "";
const q = host ? "?host=" + encodeURIComponent(host) : "";
const rows = new Map(); // name (lower case) → {svc, tr}
let csrf = "", sortKey = "displayName", sortDir = 1, selected = null;

const $ = (s) => document.querySelector(s);
const table = $("#services");
let order = []; // the rows' entries as the list shows them

// The rows go in groups of CHUNK, a <tbody> each, which the browser skips
// while they are off screen (content-visibility): a change to one row
// then lays out its group and the groups' boxes, not 10,000 rows.
const CHUNK = 128;

function statusText(s) { return STATES[s.state] || ""; }

function cells(svc) {
  return [svc.displayName || svc.name, svc.description, statusText(svc), svc.startupType, svc.logOnAs];
}

function render(entry) {
  const tr = entry.tr, svc = entry.svc;
  const values = cells(svc);
  for (let i = 0; i < values.length; i++) {
    tr.cells[i].textContent = values[i] || "";
  }
  tr.cells[2].classList.toggle("pending", [2, 3, 5, 6].includes(svc.state));
  tr.dataset.search = (svc.name + " " + values.join(" ")).toLowerCase();
}

function makeRow(svc) {
  const tr = document.createElement("tr");
  tr.setAttribute("role", "row");
  tr.tabIndex = -1;
  tr.setAttribute("aria-selected", "false");
  tr.dataset.name = svc.name;
  for (let i = 0; i < 5; i++) {
    const td = document.createElement("td");
    td.setAttribute("role", "gridcell");
    if (i === 1 || i === 4) td.className = "wide";
    tr.appendChild(td);
  }
  const entry = {svc, tr};
  render(entry);
  rows.set(svc.name.toLowerCase(), entry);
  return tr;
}

function sortValue(svc, key) {
  if (key === "status") return statusText(svc);
  return (svc[key] || (key === "displayName" ? svc.name : "")).toLowerCase();
}

function sortRows() {
  const list = [...rows.values()];
  list.sort((a, b) => {
    const x = sortValue(a.svc, sortKey), y = sortValue(b.svc, sortKey);
    return x < y ? -sortDir : x > y ? sortDir : 0;
  });
  for (const b of [...table.tBodies]) b.remove();
  const frag = document.createDocumentFragment();
  for (let i = 0; i < list.length; i += CHUNK) {
    const group = document.createElement("tbody");
    group.setAttribute("role", "rowgroup");
    for (const e of list.slice(i, i + CHUNK)) group.appendChild(e.tr);
    frag.appendChild(group);
  }
  table.appendChild(frag);
  order = list;
  applyFilter();
  // Moving the rows took the focus off the selected one.
  if (selected && table.contains(document.activeElement) === false && document.activeElement === document.body) selected.tr.focus();
}

function applyFilter() {
  const f = $("#filter").value.trim().toLowerCase();
  let shown = 0;
  for (const e of rows.values()) {
    const hide = f !== "" && !e.tr.dataset.search.includes(f);
    e.tr.hidden = hide;
    if (!hide) shown++;
  }
  $("#count").textContent = shown === rows.size ? rows.size + " services" : shown + " of " + rows.size + " services";
  keepTabStop();
}

// select moves the selection, and with it the list's one tab stop (a
// roving tabindex: Tab enters the list at the selected row).
let tabStop = null;

function setTabStop(tr) {
  if (tabStop && tabStop !== tr) tabStop.tabIndex = -1;
  tabStop = tr;
  if (tr) tr.tabIndex = 0;
}

// keepTabStop puts the tab stop back on a row shown, after the rows
// changed: the selected one, or else the first.
function keepTabStop() {
  if (tabStop && tabStop.isConnected && !tabStop.hidden) return;
  const first = order.find((e) => !e.tr.hidden);
  setTabStop(selected && !selected.tr.hidden ? selected.tr : first ? first.tr : null);
}

function select(tr) {
  if (selected && selected.tr) selected.tr.setAttribute("aria-selected", "false");
  selected = tr ? rows.get(tr.dataset.name.toLowerCase()) : null;
  if (selected) {
    tr.setAttribute("aria-selected", "true");
    setTabStop(tr);
    tr.focus();
  } else {
    setTabStop(null);
    keepTabStop();
  }
  updateToolbar();
}

function updateToolbar() {
  const s = selected && selected.svc;
  const can = s ? allowedVerbs(s) : {};
  for (const b of document.querySelectorAll("[data-verb]")) b.disabled = !can[b.dataset.verb];
  $("#open-props").disabled = !s;
  $("#open-delete").disabled = !s;
}

// allowedVerbs says which of a service's controls its state admits, as
// services.msc greys its buttons.
function allowedVerbs(s) {
  return {
    start: s.state === 1,
    stop: (s.state === 4 || s.state === 7) && (s.controls & ACCEPT_STOP) !== 0,
    pause: s.state === 4 && (s.controls & ACCEPT_PAUSE_CONTINUE) !== 0,
    resume: s.state === 7 && (s.controls & ACCEPT_PAUSE_CONTINUE) !== 0,
    restart: s.state === 4 && (s.controls & ACCEPT_STOP) !== 0,
  };
}

function showError(text) {
  const m = $("#message");
  m.textContent = text;
  m.hidden = !text;
}

const VERBS = {start: "start", stop: "stop", pause: "pause", resume: "resume", restart: "restart"};

// request makes one write to the console and returns null, or the error
// as {code, text}: Windows' code and its text.
async function request(method, path, body) {
  const init = {method, headers: {"X-Csrf-Token": csrf}};
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path + q, init);
  if (r.ok) return null;
  try {
    return (await r.json()).error;
  } catch (_) {
    return {code: 0, text: r.status + " " + r.statusText};
  }
}

// send is request, with the error as Windows words it: "Error 5: Access
// is denied.", or "".
async function send(method, path, body) {
  const e = await request(method, path, body);
  return !e ? "" : e.code ? "Error " + e.code + ": " + e.text : e.text;
}

// control runs a toolbar verb on a service and returns services.msc's
// message if the SCM refused it. A stop that running dependents refuse
// (1051) asks, as services.msc does, whether to stop them too.
async function control(svc, verb, args) {
  const path = "/api/services/" + encodeURIComponent(svc.name) + "/" + verb;
  let e = await request("POST", path, args ? {args} : undefined);
  if (e && verb === "stop" && e.code === 1051) {
    const r = await fetch("/api/services/" + encodeURIComponent(svc.name) + "/dependents" + q);
    const deps = r.ok ? await r.json() : [];
    if (!(await confirmStopOthers(svc, deps))) return "";
    e = await request("POST", path, {dependents: true});
  }
  if (!e) return "";
  return "Windows could not " + VERBS[verb] + " the " + (svc.displayName || svc.name) + " service on " +
    (host || "Local Computer") + ".\n" + (e.code ? "Error " + e.code + ": " + e.text : e.text);
}

// confirmStopOthers is services.msc's "Stop Other Services" question.
function confirmStopOthers(svc, deps) {
  const dialog = $("#stopothers");
  $("#stopothers-text").textContent = "When " + (svc.displayName || svc.name) +
    " stops, these other services will also stop.";
  const list = $("#stopothers-list");
  list.textContent = "";
  for (const d of deps) {
    const li = document.createElement("li");
    li.textContent = d.displayName || d.name;
    list.appendChild(li);
  }
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), {once: true}));
}

async function act(verb) {
  if (!selected) return;
  showError("");
  showError(await control(selected.svc, verb));
}

async function load() {
  const r = await fetch("/api/services" + q);
  if (!r.ok) {
    try { const e = (await r.json()).error; showError("Error " + e.code + ": " + e.text); } catch (_) { showError(r.statusText); }
    return;
  }
  const list = await r.json();
  const keep = selected && selected.svc.name.toLowerCase();
  rows.clear();
  for (const b of [...table.tBodies]) b.remove();
  order = [];
  tabStop = null;
  for (const svc of list) makeRow(svc);
  sortRows();
  selected = null;
  if (keep && rows.has(keep)) select(rows.get(keep).tr);
  else updateToolbar();
  document.body.dataset.loaded = String(list.length);
  // After the next frame is painted, mark it: the devtools' timeline, and
  // the benchmarks, read when the list first showed.
  requestAnimationFrame(() => setTimeout(() => {
    if (performance.getEntriesByName("services-shown").length === 0) performance.mark("services-shown");
  }));
}

async function loadOne(name) {
  const r = await fetch("/api/services/" + encodeURIComponent(name) + q);
  if (!r.ok) return;
  const svc = await r.json();
  const e = rows.get(svc.name.toLowerCase());
  if (e) { e.svc = svc; render(e); } else { makeRow(svc); sortRows(); }
}

function apply(c) {
  const e = rows.get((c.name || "").toLowerCase());
  switch (c.kind) {
  case "resync": load(); return;
  case "created": loadOne(c.name); return;
  case "deleted":
    if (e) {
      e.tr.remove();
      rows.delete(c.name.toLowerCase());
      order = order.filter((x) => x !== e);
      if (selected === e) select(null);
      applyFilter();
    }
    return;
  case "status":
    if (!e) { loadOne(c.name); return; }
    e.svc.state = c.state; e.svc.controls = c.controls; e.svc.pid = c.pid;
    render(e);
    if (selected === e) updateToolbar();
    if (typeof statusChanged === "function") statusChanged(e.svc);
  }
}

// listen subscribes to the console's stream of changes (server-sent
// events), then loads the list: the stream opens once the console has
// subscribed, so no change falls between the two. After a broken stream
// the browser reconnects, and the list is loaded again.
let changes = null;

function listen() {
  const pending = [];
  let loaded = false;
  const es = new EventSource("/api/stream" + q);
  es.onmessage = (ev) => { const c = JSON.parse(ev.data); if (loaded) apply(c); else pending.push(c); };
  // Each open, the first and every reconnection: the changes that come
  // while the list loads wait, and apply to the list loaded.
  es.onopen = async () => {
    loaded = false;
    pending.length = 0;
    await load();
    loaded = true;
    for (const c of pending.splice(0)) apply(c);
  };
  changes = es;
}

// A page left closes its stream, also when the browser keeps the page for
// Back: open streams would use up the six connections a browser makes to
// one host. Shown again from there, it subscribes and loads anew.
window.addEventListener("pagehide", () => { if (changes) { changes.close(); changes = null; } });
window.addEventListener("pageshow", (ev) => { if (ev.persisted && !changes) listen(); });

document.addEventListener("DOMContentLoaded", async () => {
  if (host) { $("#machine").textContent = "(" + host + ")"; $("#host").value = host; $("#to-events").href = "/events" + q; }
  const s = await fetch("/api/session");
  if (s.ok) csrf = (await s.json()).csrf;
  const rowOf = (ev) => { const tr = ev.target.closest("tr"); return tr && tr.parentElement.tagName === "TBODY" ? tr : null; };
  table.addEventListener("click", (ev) => { const tr = rowOf(ev); if (tr) select(tr); });
  table.addEventListener("dblclick", (ev) => { const tr = rowOf(ev); if (tr) { select(tr); openProperties(selected.svc); } });
  $("#open-props").addEventListener("click", () => selected && openProperties(selected.svc));
  $("#open-delete").addEventListener("click", () => selected && openDelete(selected.svc));
  $("#open-create").addEventListener("click", openCreate);
  table.addEventListener("keydown", (ev) => {
    if (!rowOf(ev)) return;
    if (!selected) {
      // Tabbed in with nothing selected: a key selects the row with focus.
      const tr = rowOf(ev);
      if (tr && ["ArrowDown", "ArrowUp", " ", "Enter"].includes(ev.key)) { ev.preventDefault(); select(tr); }
      return;
    }
    if (ev.key === "Enter") { ev.preventDefault(); openProperties(selected.svc); return; }
    if (ev.key === "Delete") { ev.preventDefault(); openDelete(selected.svc); return; }
    const step = {ArrowDown: 1, ArrowUp: -1, PageDown: 20, PageUp: -20, Home: -order.length, End: order.length}[ev.key];
    if (!step) return;
    ev.preventDefault();
    // The next shown row in that direction, or the last one before the end.
    let i = order.indexOf(selected), target = null;
    for (let moved = 0; i + Math.sign(step) >= 0 && i + Math.sign(step) < order.length && moved < Math.abs(step);) {
      i += Math.sign(step);
      if (!order[i].tr.hidden) { target = order[i].tr; moved++; }
    }
    if (target) select(target);
  });
  for (const b of document.querySelectorAll("[data-verb]")) b.addEventListener("click", () => act(b.dataset.verb));
  for (const b of document.querySelectorAll("th button")) {
    b.addEventListener("click", () => {
      const key = b.dataset.key;
      sortDir = key === sortKey ? -sortDir : 1;
      sortKey = key;
      for (const th of document.querySelectorAll("th")) th.setAttribute("aria-sort", "none");
      b.parentElement.setAttribute("aria-sort", sortDir === 1 ? "ascending" : "descending");
      sortRows();
    });
  }
  $("#filter").addEventListener("input", applyFilter);
  $("#connect").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const h = $("#host").value.trim();
    location.search = h ? "?host=" + encodeURIComponent(h) : "";
  });
  listen();
});
