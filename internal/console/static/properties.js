"use strict";
// The Properties dialog (General, Log On, Recovery, Dependencies) and the
// New service and Delete dialogs. Only what the user changed is sent, on
// Apply or OK; scmd's answer is shown as Windows words it.

// SC_ACTION_NONE, _RESTART, _REBOOT and _RUN_COMMAND, in services.msc's order.
const ACTIONS = [[0, "Take No Action"], [1, "Restart the Service"], [3, "Run a Program"], [2, "Restart the Computer"]];
const INFINITE = 4294967295;
const FAILCOUNT = " /fail=%1%";

const byId = (id) => document.getElementById(id);

let props = null; // the open dialog: {name, p (as loaded), dirty (Set)}

function isLocalSystem(account) {
  const a = (account || "").toLowerCase();
  return a === "" || a === "localsystem" || a === ".\\localsystem";
}

function showIn(id, text) {
  const m = byId(id);
  m.textContent = text;
  m.hidden = !text;
}

// --- the tabs ---

function selectTab(tab) {
  for (const t of document.querySelectorAll("#props [role=tab]")) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    byId(t.getAttribute("aria-controls")).hidden = !on;
  }
  tab.focus();
  if (tab.id === "tab-deps") loadDependencies();
}

// --- General ---

function showStatus(p) {
  byId("p-status").textContent = STATES[p.state] || "";
  const can = allowedVerbs(p);
  for (const b of document.querySelectorAll("[data-pverb]")) b.disabled = !can[b.dataset.pverb];
  byId("p-params").disabled = !can.start;
}

// statusChanged is called by the list for every status on the stream.
function statusChanged(svc) {
  if (!props || props.name.toLowerCase() !== svc.name.toLowerCase()) return;
  props.p.state = svc.state;
  props.p.controls = svc.controls;
  showStatus(props.p);
}

// startArgs splits the start parameters at blanks, keeping what is quoted
// together.
function startArgs(text) {
  const args = [];
  for (const m of text.matchAll(/"([^"]*)"|(\S+)/g)) args.push(m[1] !== undefined ? m[1] : m[2]);
  return args;
}

// --- Recovery ---

function splitCommand(cmd) {
  let failcount = false;
  if (cmd.endsWith(FAILCOUNT)) {
    failcount = true;
    cmd = cmd.slice(0, -FAILCOUNT.length);
  }
  cmd = cmd.trim();
  let program = cmd, rest = "";
  if (cmd.startsWith('"')) {
    const end = cmd.indexOf('"', 1);
    program = end < 0 ? cmd.slice(1) : cmd.slice(1, end);
    rest = end < 0 ? "" : cmd.slice(end + 1);
  } else if (cmd.includes(" ")) {
    program = cmd.slice(0, cmd.indexOf(" "));
    rest = cmd.slice(cmd.indexOf(" ") + 1);
  }
  return {program, args: rest.trim(), failcount};
}

function joinCommand(program, args, failcount) {
  program = program.trim();
  if (!program) return "";
  let cmd = /\s/.test(program) ? '"' + program + '"' : program;
  if (args.trim()) cmd += " " + args.trim();
  if (failcount) cmd += FAILCOUNT;
  return cmd;
}

// inUnit writes an amount in the largest of units (a select's values,
// largest first) that states it exactly.
function inUnit(amount, inputId, unitId) {
  const unit = byId(unitId);
  for (const o of unit.options) {
    const n = Number(o.value);
    if (n && amount % n === 0) {
      unit.value = o.value;
      byId(inputId).value = amount / n;
      return;
    }
  }
}

function fillRecovery(rc) {
  const acts = rc.actions;
  // The SCM repeats the last action for every failure after the list.
  const pick = (i) => acts.length === 0 ? 0 : acts[Math.min(i, acts.length - 1)].type;
  ["p-first", "p-second", "p-subsequent"].forEach((id, i) => { byId(id).value = String(pick(i)); });
  const restart = acts.find((a) => a.type === 1 || a.type === 3);
  inUnit(restart ? restart.delay : 60000, "p-restart", "p-restart-unit");
  const reboot = acts.find((a) => a.type === 2);
  byId("p-reboot-after").value = reboot ? Math.round(reboot.delay / 60000) : 1;
  if (rc.resetPeriod === INFINITE) {
    byId("p-reset-unit").value = "never";
    byId("p-reset").value = "";
  } else {
    inUnit(rc.resetPeriod, "p-reset", "p-reset-unit");
  }
  byId("p-noncrash").checked = rc.nonCrash;
  const c = splitCommand(rc.command || "");
  byId("p-program").value = c.program;
  byId("p-cmdargs").value = c.args;
  byId("p-failcount").checked = c.failcount;
  byId("p-rebootmsg").value = rc.rebootMsg || "";
  recoveryEnables();
}

// recoveryEnables greys what the chosen actions do not use.
function recoveryEnables() {
  const types = ["p-first", "p-second", "p-subsequent"].map((id) => Number(byId(id).value));
  byId("p-restart").disabled = byId("p-restart-unit").disabled = !types.some((t) => t === 1 || t === 3);
  byId("p-run").disabled = !types.includes(3);
  byId("p-reboot").disabled = !types.includes(2);
  byId("p-reset").disabled = byId("p-reset-unit").value === "never";
}

function wholeNumber(id, max) {
  const v = byId(id).value.trim();
  const n = Number(v);
  if (v === "" || !Number.isInteger(n) || n < 0 || n > max) throw new Error("Error 87: The parameter is incorrect. (" + byId(id).labels[0].textContent.replace(/:$/, "") + ")");
  return n;
}

function collectRecovery() {
  const types = ["p-first", "p-second", "p-subsequent"].map((id) => Number(byId(id).value));
  const restartUnit = Number(byId("p-restart-unit").value);
  const restartMs = types.some((t) => t === 1 || t === 3) ? wholeNumber("p-restart", Math.floor(INFINITE / restartUnit)) * restartUnit : 0;
  const rebootMs = types.includes(2) ? wholeNumber("p-reboot-after", Math.floor(INFINITE / 60000)) * 60000 : 0;
  const delay = (t) => (t === 1 || t === 3) ? restartMs : t === 2 ? rebootMs : 0;
  const unit = byId("p-reset-unit").value;
  return {
    resetPeriod: unit === "never" ? INFINITE : wholeNumber("p-reset", Math.floor((INFINITE - 1) / Number(unit))) * Number(unit),
    rebootMsg: byId("p-rebootmsg").value,
    command: joinCommand(byId("p-program").value, byId("p-cmdargs").value, byId("p-failcount").checked),
    actions: types.every((t) => t === 0) ? [] : types.map((t) => ({type: t, delay: delay(t)})),
    nonCrash: byId("p-noncrash").checked,
  };
}

// --- Log On ---

function logOnEnables() {
  const system = byId("p-system").checked;
  byId("p-interactive").disabled = !system;
  for (const id of ["p-account", "p-password", "p-confirm"]) byId(id).disabled = system;
}

function collectLogOn(body) {
  if (byId("p-system").checked) {
    body.account = "LocalSystem";
    body.password = "";
    body.interactive = byId("p-interactive").checked;
    return;
  }
  const account = byId("p-account").value.trim();
  if (!account) throw new Error("You must specify an account name.");
  const pw = byId("p-password").value, confirm = byId("p-confirm").value;
  if (pw !== confirm) throw new Error("The password and confirmation password that you typed do not match. Please retype both passwords.");
  body.account = account;
  if (pw) body.password = pw;
  body.interactive = false;
}

// --- Dependencies ---

function treeItem(n) {
  const li = document.createElement("li");
  li.setAttribute("role", "treeitem");
  li.tabIndex = -1;
  li.dataset.name = n.name;
  const label = document.createElement("span");
  label.textContent = n.group ? n.name + " (group)" : (n.displayName || n.name) + (n.missing ? " (not installed)" : "");
  li.appendChild(label);
  if (n.children && n.children.length) {
    li.setAttribute("aria-expanded", "false");
    const ul = document.createElement("ul");
    ul.setAttribute("role", "group");
    ul.hidden = true;
    for (const c of n.children) ul.appendChild(treeItem(c));
    li.appendChild(ul);
  }
  return li;
}

function renderTree(ul, root) {
  ul.textContent = "";
  const kids = root.children || [];
  if (kids.length === 0) ul.appendChild(treeItem({name: "<No Dependencies>"}));
  for (const c of kids) ul.appendChild(treeItem(c));
  ul.firstElementChild.tabIndex = 0;
}

function toggle(li, open) {
  if (!li.hasAttribute("aria-expanded")) return false;
  const now = open === undefined ? li.getAttribute("aria-expanded") !== "true" : open;
  li.setAttribute("aria-expanded", String(now));
  li.querySelector(":scope > ul").hidden = !now;
  return true;
}

function treeKeys(ev) {
  const li = ev.target.closest("[role=treeitem]");
  if (!li) return;
  const tree = ev.currentTarget;
  const visible = [...tree.querySelectorAll("[role=treeitem]")].filter((x) => x.offsetParent !== null);
  const i = visible.indexOf(li);
  let next = null;
  switch (ev.key) {
  case "ArrowDown": next = visible[i + 1]; break;
  case "ArrowUp": next = visible[i - 1]; break;
  case "ArrowRight": if (li.getAttribute("aria-expanded") === "false") toggle(li, true); else next = visible[i + 1]; break;
  case "ArrowLeft":
    if (li.getAttribute("aria-expanded") === "true") toggle(li, false);
    else next = li.parentElement.closest("[role=treeitem]");
    break;
  case "Enter": case " ": toggle(li); break;
  default: return;
  }
  ev.preventDefault();
  if (next) {
    for (const x of tree.querySelectorAll("[role=treeitem]")) x.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  }
}

async function loadDependencies() {
  if (!props || props.deps) return;
  props.deps = true;
  const r = await fetch("/api/services/" + encodeURIComponent(props.name) + "/dependencies" + q);
  if (!r.ok) {
    props.deps = false;
    try { const e = (await r.json()).error; showIn("props-message", "Error " + e.code + ": " + e.text); } catch (_) { showIn("props-message", r.statusText); }
    return;
  }
  const d = await r.json();
  renderTree(byId("p-dependson"), d.dependsOn);
  renderTree(byId("p-dependents"), d.dependents);
  byId("panel-deps").dataset.loaded = "true";
}

// --- the dialog ---

// openProperties shows a service's properties: the dialog opened on its
// General tab, or, after Apply, refilled where the user is. The dialog's
// data-loaded names the service once they are in.
async function openProperties(svc, refill) {
  const dialog = byId("props");
  delete dialog.dataset.loaded;
  const r = await fetch("/api/services/" + encodeURIComponent(svc.name) + "/properties" + q);
  if (!r.ok) {
    try { const e = (await r.json()).error; showError("Error " + e.code + ": " + e.text); } catch (_) { showError(r.statusText); }
    return;
  }
  const p = await r.json();
  props = {name: p.name, p, dirty: new Set(), deps: false};
  fillProperties(p);
  delete byId("panel-deps").dataset.loaded;
  byId("p-dependson").textContent = byId("p-dependents").textContent = "";
  showIn("props-message", "");
  if (!dialog.open) dialog.showModal();
  if (refill) {
    if (!byId("panel-deps").hidden) loadDependencies();
  } else {
    selectTab(byId("tab-general"));
  }
  dialog.dataset.loaded = p.name;
}

function fillProperties(p) {
  byId("props-title").textContent = (p.displayName || p.name) + " Properties (" + (host || "Local Computer") + ")";
  byId("p-name").textContent = p.name;
  byId("p-display").value = p.displayName;
  byId("p-description").value = p.description;
  byId("p-path").value = p.path;
  byId("p-start").value = p.startType;
  byId("p-params").value = "";
  showStatus(p);
  const system = isLocalSystem(p.account);
  byId("p-system").checked = system;
  byId("p-this").checked = !system;
  byId("p-interactive").checked = p.interactive;
  byId("p-account").value = system ? "" : p.account;
  byId("p-password").value = byId("p-confirm").value = "";
  logOnEnables();
  fillRecovery(p.recovery);
}

// saveProperties sends what changed; it returns whether all of it held.
async function saveProperties() {
  if (!props) return false;
  showIn("props-message", "");
  const body = {};
  try {
    for (const field of props.dirty) {
      if (field === "logon") collectLogOn(body);
      else if (field === "recovery") body.recovery = collectRecovery();
      else body[field] = byId("p-" + {displayName: "display", description: "description", path: "path", startType: "start"}[field]).value;
    }
  } catch (e) {
    showIn("props-message", e.message);
    return false;
  }
  if (Object.keys(body).length === 0) return true;
  const err = await send("POST", "/api/services/" + encodeURIComponent(props.name) + "/properties", body);
  if (err) {
    showIn("props-message", "Windows could not save the properties of the " + (props.p.displayName || props.name) +
      " service on " + (host || "Local Computer") + ".\n" + err);
    return false;
  }
  props.dirty.clear();
  loadOne(props.name);
  return true;
}

function closeProperties() {
  props = null;
  byId("props").close();
  if (selected) selected.tr.focus();
}

// --- New service and Delete ---

function openCreate() {
  byId("create-form").reset();
  showIn("create-message", "");
  byId("create").showModal();
  byId("c-name").focus();
}

async function createService(ev) {
  ev.preventDefault();
  const body = {
    name: byId("c-name").value.trim(), displayName: byId("c-display").value.trim(), description: byId("c-description").value,
    path: byId("c-path").value.trim(), startType: byId("c-start").value, account: byId("c-account").value.trim(), password: byId("c-password").value,
  };
  const err = await send("POST", "/api/services", body);
  if (err) {
    showIn("create-message", "Windows could not create the " + (body.name || "new") + " service on " + (host || "Local Computer") + ".\n" + err);
    return;
  }
  byId("create").close();
}

let deleting = null;

function openDelete(svc) {
  deleting = svc;
  byId("delete-text").textContent = "Delete the " + (svc.displayName || svc.name) + " service (" + svc.name + ") from " +
    (host || "this computer") + "? It is removed once it has stopped and every handle to it is closed.";
  showIn("delete-message", "");
  byId("delete").showModal();
}

async function deleteService(ev) {
  ev.preventDefault();
  const err = await send("DELETE", "/api/services/" + encodeURIComponent(deleting.name));
  if (err) {
    showIn("delete-message", "Windows could not delete the " + (deleting.displayName || deleting.name) + " service.\n" + err);
    return;
  }
  byId("delete").close();
}

document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["p-first", "p-second", "p-subsequent"]) {
    const sel = byId(id);
    for (const [value, text] of ACTIONS) sel.add(new Option(text, String(value)));
  }
  const tabs = [...document.querySelectorAll("#props [role=tab]")];
  for (const t of tabs) {
    t.addEventListener("click", () => selectTab(t));
    t.addEventListener("keydown", (ev) => {
      const step = {ArrowRight: 1, ArrowLeft: -1}[ev.key];
      if (step) selectTab(tabs[(tabs.indexOf(t) + step + tabs.length) % tabs.length]);
    });
  }
  for (const el of document.querySelectorAll("#panel-general [data-field]")) {
    el.addEventListener("input", () => props && props.dirty.add(el.dataset.field));
  }
  byId("panel-logon").addEventListener("input", () => { logOnEnables(); if (props) props.dirty.add("logon"); });
  byId("panel-recovery").addEventListener("input", () => { recoveryEnables(); if (props) props.dirty.add("recovery"); });
  for (const b of document.querySelectorAll("[data-pverb]")) {
    b.addEventListener("click", async () => {
      if (!props) return;
      const args = b.dataset.pverb === "start" ? startArgs(byId("p-params").value) : undefined;
      showIn("props-message", await control(props.p, b.dataset.pverb, args && args.length ? args : undefined));
    });
  }
  for (const tree of [byId("p-dependson"), byId("p-dependents")]) {
    tree.addEventListener("keydown", treeKeys);
    tree.addEventListener("click", (ev) => {
      const li = ev.target.closest("[role=treeitem]");
      if (li) { toggle(li); ev.stopPropagation(); }
    });
  }
  byId("props-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (await saveProperties()) closeProperties();
  });
  byId("p-apply").addEventListener("click", async () => {
    // Greyed until the changes are made and read back.
    const apply = byId("p-apply");
    apply.disabled = true;
    try {
      if (await saveProperties() && props) await openProperties(props.p, true);
    } finally {
      apply.disabled = false;
    }
  });
  byId("p-cancel").addEventListener("click", closeProperties);
  byId("props").addEventListener("cancel", () => { props = null; });
  byId("create-form").addEventListener("submit", createService);
  byId("c-cancel").addEventListener("click", () => byId("create").close());
  byId("delete-form").addEventListener("submit", deleteService);
  byId("d-cancel").addEventListener("click", () => byId("delete").close());
});
