// The fleet console. Asks who is signed in; nobody: the sign-in form (the session is
// an HttpOnly cookie the page never sees; the answer gives the CSRF token its writes
// carry). Then fetches the summary, fills the tiles, the table and two charts, and
// refreshes every 30 s; an administrator also sees the audit log. Marks
// <body data-rendered="N"> after the N-th drawing (the browser tests wait for it).
//
// The help desk above it asks every 3 s for citizens' help requests (求助): a new
// one sounds a chime (again every 30 s while any waits) and puts the count in the
// tab's title; each row says how long the citizen has waited, and its button tells
// the backend an officer is on the way. <body data-help="N" data-chimes="N">.
"use strict";

let csrf = "";
let role = "";
let charts = {};
let drawings = 0;

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

function draw(summary) {
  const terms = summary.terminals;
  const online = terms.filter((t) => t.online).length;
  document.getElementById("online").textContent = online;
  document.getElementById("offline").textContent = terms.length - online;
  document.getElementById("faulty").textContent =
    terms.filter((t) => Object.keys(t.faults).length).length;
  document.getElementById("lagging").textContent =
    terms.filter((t) => (t.outbox_lag_s || 0) > 600).length;

  const body = document.querySelector("#terminals tbody");
  body.replaceChildren();
  for (const t of terms) {
    const row = document.createElement("tr");
    row.dataset.terminal = t.id;
    if (!t.online) row.classList.add("offline");
    if (Object.keys(t.faults).length) row.classList.add("fault");
    cell(row, t.id);
    cell(row, t.site && t.site !== t.name ? `${t.name} · ${t.site}` : t.name);
    cell(row, t.revoked ? "吊销 / revoked" : t.online ? "在线 / online" : "离线 / offline");
    cell(row, age(t.last_heartbeat_age_s));
    cell(row, Object.entries(t.faults)
    .map(([n, d]) => `${n}: ${d.status}${d.detail ? ` (${d.detail})` : ""}`).join(", ") || "–");
    cell(row, t.paper ?? "–");
    cell(row, `${t.outbox_depth} (${age(t.outbox_lag_s === null ? null : Math.round(t.outbox_lag_s))})` +
      (t.outbox_held ? `, ${t.outbox_held} 隔离 / quarantined` : ""));
    cell(row, t.version + (t.staged ? ` → ${t.staged}` : "") +
      (t.probation ? ` (${t.probation} 试用 / on probation)` : ""));
    const u = t.last_update;
    cell(row, u ? `${u.from} → ${u.to} ${u.result}${u.reason ? `: ${u.reason}` : ""}` : "–");
    body.appendChild(row);
  }

  const alerts = document.getElementById("alerts");
  alerts.replaceChildren();
  for (const a of summary.alerts) {
    const li = document.createElement("li");
    li.textContent = `${new Date(a.last_at * 1000).toISOString().slice(0, 16)} ${a.terminal || ""} ${a.kind}: ${a.detail}` +
      (a.count > 1 ? ` (×${a.count} since ${new Date(a.at * 1000).toISOString().slice(11, 16)})` : "");
    alerts.appendChild(li);
  }

  const hours = summary.transactions.hours.map((h) => new Date(h * 1000).toISOString().slice(11, 16));
  const datasets = Object.entries(summary.transactions.series).map(([label, data]) => ({ label, data }));
  chart("transactions", "bar", { labels: hours, datasets },
        { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } });
  chart("ratings", "doughnut", {
    labels: ["★1", "★2", "★3", "★4", "★5"],
    datasets: [{ data: [1, 2, 3, 4, 5].map((s) => summary.ratings[s]) }],
  }, {});
  drawings += 1;
  document.body.dataset.rendered = String(drawings);
}

function chart(id, type, data, options) {
  if (charts[id]) charts[id].destroy();
  charts[id] = new Chart(document.getElementById(id), {
    type, data, options: { animation: false, responsive: false, ...options },
  });
}

// -- signing in and out --------------------------------------------------------------

async function api(path, options = {}) {
  // A write carries the session's CSRF token; a session that ended shows the form.
  const headers = options.method && options.method !== "GET" ? { "X-CSRF-Token": csrf } : {};
  const answer = await fetch(path, { ...options, headers: { ...headers, ...(options.headers || {}) } });
  if (answer.status === 403 && csrf) {
    const problem = await answer.clone().json().catch(() => ({}));
    if (problem.code === "not_signed_in") showSignIn("会话已结束 / Your session ended: sign in again");
  }
  return answer;
}

function showSignIn(message) {
  csrf = "";
  document.getElementById("desk").hidden = true;
  document.getElementById("who").hidden = true;
  document.getElementById("signin").hidden = false;
  document.getElementById("signin-error").textContent = message || "";
  document.getElementById("status").textContent = "请登录 / Please sign in";
  document.body.dataset.signin = "1";
}

function enter(account) {
  csrf = account.csrf;
  role = account.role;
  document.getElementById("signin").hidden = true;
  document.getElementById("desk").hidden = false;
  document.getElementById("who").hidden = false;
  document.getElementById("account").textContent = `${account.name} (${account.role})`;
  document.getElementById("audit").hidden = role !== "administrator";
  document.body.dataset.signin = "0";
  refresh();
  pollHelp();
}

document.getElementById("signin").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = document.getElementById("name").value.trim();
  const password = document.getElementById("password");
  const answer = await fetch("/console/api/session", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name, password: password.value }),
  });
  password.value = "";
  if (answer.ok) return enter(await answer.json());
  const problem = await answer.json().catch(() => ({}));
  document.getElementById("signin-error").textContent = answer.status === 429
    ? `尝试过多，请 ${answer.headers.get("Retry-After")} 秒后再试 / Too many tries: wait ${answer.headers.get("Retry-After")} s`
    : `无法登录 / Cannot sign in: ${problem.detail || answer.statusText}`;
});

document.getElementById("signout").addEventListener("click", async () => {
  await api("/console/api/session", { method: "DELETE" });
  showSignIn("已退出 / Signed out");
});

async function start() {
  const answer = await fetch("/console/api/session");
  if (answer.ok) enter(await answer.json());
  else showSignIn();
}

// -- the fleet ----------------------------------------------------------------------

async function drawAudit() {
  const answer = await api("/console/api/audit?limit=50");
  if (!answer.ok) return;
  const body = document.querySelector("#audit-log tbody");
  body.replaceChildren();
  for (const e of (await answer.json()).entries) {
    const row = document.createElement("tr");
    cell(row, new Date(e.at * 1000).toISOString().slice(0, 19).replace("T", " "));
    cell(row, `${e.actor} (${e.actor_kind})`);
    cell(row, e.action);
    cell(row, e.target + (e.detail ? ` ${e.detail}` : ""));
    cell(row, e.source || "");
    body.appendChild(row);
  }
}

async function refresh() {
  if (!csrf) return;
  const status = document.getElementById("status");
  try {
    const answer = await api("/console/api/summary");
    if (!answer.ok) throw new Error((await answer.json()).detail || answer.statusText);
    draw(await answer.json());
    if (role === "administrator") await drawAudit();
    status.textContent = `更新于 / updated ${new Date().toLocaleTimeString()}`;
    status.classList.remove("error");
  } catch (error) {
    status.textContent = `无法载入 / cannot load: ${error.message}`;
    status.classList.add("error");
    document.body.dataset.failed = "1";
  }
}

// -- the help desk ------------------------------------------------------------------

const HELP_POLL_MS = 3000;
const CHIME_AGAIN_MS = 30000;
const seen = new Set();
let audio = null;
let lastChime = 0;
let chimes = 0;
let serverOffset = 0; // backend time minus this browser's time
let helpRows = [];

function chime() {
  // Two short tones. Browsers keep sound off until the page is clicked once: the
  // "Sound on" button is that click (the title and the red frame work regardless).
  chimes += 1;
  document.body.dataset.chimes = String(chimes);
  lastChime = Date.now();
  if (!audio) return;
  for (const [start, pitch] of [[0, 880], [0.35, 660]]) {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = pitch;
    gain.gain.setValueAtTime(0.3, audio.currentTime + start);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + start + 0.3);
    tone.connect(gain).connect(audio.destination);
    tone.start(audio.currentTime + start);
    tone.stop(audio.currentTime + start + 0.3);
  }
}

document.getElementById("sound").addEventListener("click", () => {
  audio = audio || new AudioContext();
  audio.resume();
  document.getElementById("sound").hidden = true;
});

function where(r) {
  return r.service ? `${r.service} · ${r.step || r.screen}` : "首页 / home";
}

function drawHelp() {
  const now = Date.now() / 1000 + serverOffset;
  const body = document.querySelector("#help-requests tbody");
  body.replaceChildren();
  for (const r of helpRows) {
    const row = document.createElement("tr");
    row.dataset.help = String(r.id);
    if (r.acked_at !== null) row.classList.add("acked");
    cell(row, `${r.where || r.terminal} (${r.terminal})`);
    cell(row, where(r));
    cell(row, r.language + (r.elderly ? " · 大字 / large text" : ""));
    cell(row, waiting(r, now));
    row.lastChild.classList.add("waited");
    const last = document.createElement("td");
    if (r.acked_at === null) {
      const button = document.createElement("button");
      button.className = "ack";
      button.type = "button";
      button.textContent = "已派人 / On my way";
      button.addEventListener("click", () => acknowledge(r.id, button));
      last.appendChild(button);
    } else {
      last.textContent = `已派人 ${new Date(r.acked_at * 1000).toLocaleTimeString()}`;
    }
    row.appendChild(last);
    body.appendChild(row);
  }
  const open = helpRows.filter((r) => r.acked_at === null).length;
  document.getElementById("help-open").textContent = open;
  document.getElementById("help").classList.toggle("open", open > 0);
  document.getElementById("help-none").hidden = helpRows.length > 0;
  document.title = (open ? `(${open}) 求助 · ` : "") + "自助终端 数据驾驶舱 / Fleet console";
  document.body.dataset.help = String(open);
}

function waiting(r, now) {
  const waited = r.acked_at === null ? Math.round(now - r.received_at) : r.waited_s;
  return age(Math.max(0, waited)) + (r.late_s > 120 ? ` (离线送达，迟 ${age(r.late_s)} / sent late)` : "");
}

// Between polls only the waiting times change: the rows (and a button being pressed)
// stay as they are.
function tick() {
  const now = Date.now() / 1000 + serverOffset;
  for (const r of helpRows) {
    const shown = document.querySelector(`#help-requests tr[data-help="${r.id}"] td.waited`);
    if (shown) shown.textContent = waiting(r, now);
  }
}

async function acknowledge(id, button) {
  button.disabled = true;
  try {
    const answer = await api(`/console/api/help/${id}/ack`, { method: "POST" });
    if (!answer.ok) throw new Error((await answer.json()).detail || answer.statusText);
  } catch (error) {
    button.disabled = false;
    document.getElementById("status").textContent = `无法确认 / cannot acknowledge: ${error.message}`;
  }
  await pollHelp();
}

let polls = 0;

async function pollHelp() {
  if (!csrf) return;
  const mine = ++polls;
  try {
    const answer = await api("/console/api/help");
    if (!answer.ok) return; // the summary's refresh says why on the page
    const desk = await answer.json();
    if (mine !== polls) return; // a later poll went out meanwhile: its answer counts
    serverOffset = desk.now - Date.now() / 1000;
    helpRows = desk.requests;
    const open = helpRows.filter((r) => r.acked_at === null);
    const fresh = open.filter((r) => !seen.has(r.id));
    open.forEach((r) => seen.add(r.id));
    if (fresh.length || (open.length && Date.now() - lastChime > CHIME_AGAIN_MS)) chime();
    drawHelp();
  } catch (error) {
    // the network: the next poll tries again
  }
}

start();
setInterval(refresh, 30000);
setInterval(pollHelp, HELP_POLL_MS);
setInterval(tick, 1000); // the waiting times tick between polls
