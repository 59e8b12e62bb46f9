"use strict";
// The Event Viewer: a log's events newest first, filtered as "Filter
// Current Log" does, the selected one's message and XML below; new events
// arrive on the console's stream.

const params = new URLSearchParams(location.search);
const host = params.get("host") || "";
const $ = (s) => document.querySelector(s);
const tbody = $("#events tbody");
let shown = [], selected = null, stream = null;

function hostQuery(extra) {
  const p = new URLSearchParams(extra || "");
  if (host) p.set("host", host);
  const s = p.toString();
  return s ? "?" + s : "";
}

function filterParams() {
  const p = new URLSearchParams();
  const levels = [...document.querySelectorAll("input[name=level]:checked")].map((i) => i.value);
  if (levels.length) p.set("level", levels.join(","));
  for (const k of ["source", "id", "hours"]) {
    const v = $("#" + k).value.trim();
    if (v) p.set(k, v);
  }
  return p;
}

function row(ev) {
  const tr = document.createElement("tr");
  tr.tabIndex = -1;
  tr.setAttribute("aria-selected", "false");
  tr.dataset.record = ev.record;
  const when = new Date(ev.time);
  for (const v of [ev.level, when.toLocaleString(), ev.source, String(ev.id)]) {
    const td = document.createElement("td");
    td.textContent = v;
    tr.appendChild(td);
  }
  tr.event = ev;
  return tr;
}

function select(tr) {
  if (selected) selected.setAttribute("aria-selected", "false");
  selected = tr;
  const d = $("#details");
  if (!tr) { d.hidden = true; return; }
  tr.setAttribute("aria-selected", "true");
  tr.focus();
  const ev = tr.event;
  $("#message-text").textContent = ev.message;
  const facts = $("#facts");
  facts.textContent = "";
  for (const [k, v] of [["Log Name", $("#log").value], ["Source", ev.source], ["Event ID", ev.id], ["Level", ev.level],
    ["Logged", new Date(ev.time).toLocaleString()], ["User", ev.user || "N/A"], ["Computer", ev.computer]]) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    facts.append(dt, dd);
  }
  $("#xml-text").textContent = ev.xml;
  d.hidden = false;
}

function showError(text) { const m = $("#message"); m.textContent = text; m.hidden = !text; }

// MAX_SHOWN is the console's page of events (its maxEvents): the oldest
// go as new ones come.
const MAX_SHOWN = 2000;
let loads = 0; // the newest load's number: an older one's answer is dropped

async function load() {
  showError("");
  const mine = ++loads;
  const log = $("#log").value;
  const r = await fetch("/api/logs/" + encodeURIComponent(log) + "/events" + hostQuery(filterParams()));
  if (mine !== loads) return;
  if (!r.ok) {
    try { const e = (await r.json()).error; showError("Error " + e.code + ": " + e.text); } catch (_) { showError(await r.text()); }
    return;
  }
  const events = await r.json();
  if (mine !== loads) return;
  shown = events;
  tbody.textContent = "";
  const frag = document.createDocumentFragment();
  for (const ev of shown) frag.appendChild(row(ev));
  tbody.appendChild(frag);
  select(null);
  $("#count").textContent = shown.length + " events";
  document.body.dataset.loaded = String(shown.length);
  follow(shown.length ? shown[0].record : 0);
}

// follow opens the stream of events after the newest one shown.
function follow(after) {
  if (stream) stream.close();
  const p = filterParams();
  p.set("after", String(after));
  stream = new EventSource("/api/logs/" + encodeURIComponent($("#log").value) + "/stream" + hostQuery(p));
  stream.onmessage = (m) => {
    const ev = JSON.parse(m.data);
    shown.unshift(ev);
    tbody.insertBefore(row(ev), tbody.firstChild);
    while (shown.length > MAX_SHOWN) {
      shown.pop();
      if (selected === tbody.lastElementChild) select(null);
      tbody.lastElementChild.remove();
    }
    $("#count").textContent = shown.length + " events";
  };
}

// A page left closes its stream (see app.js); shown again from the
// browser's Back cache, it reads the log anew.
window.addEventListener("pagehide", () => { if (stream) { stream.close(); stream = null; } });
window.addEventListener("pageshow", (ev) => { if (ev.persisted && !stream) load(); });

document.addEventListener("DOMContentLoaded", async () => {
  if (host) { $("#machine").textContent = "(" + host + ")"; $("#to-services").href = "/" + hostQuery(); }
  const r = await fetch("/api/logs" + hostQuery());
  const logs = r.ok ? await r.json() : ["System", "Application"];
  for (const name of logs) {
    const o = document.createElement("option");
    o.value = o.textContent = name;
    $("#log").appendChild(o);
  }
  $("#log").value = params.get("log") || "System";
  tbody.addEventListener("click", (ev) => { const tr = ev.target.closest("tr"); if (tr) select(tr); });
  tbody.addEventListener("keydown", (ev) => {
    if (!selected) return;
    const next = ev.key === "ArrowDown" ? selected.nextElementSibling : ev.key === "ArrowUp" ? selected.previousElementSibling : null;
    if (next) { ev.preventDefault(); select(next); }
  });
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("click", () => {
      for (const t of document.querySelectorAll("[role=tab]")) {
        const on = t === tab;
        t.setAttribute("aria-selected", String(on));
        document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
      }
    });
  }
  $("#filter").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  $("#log").addEventListener("change", load);
  load();
});
