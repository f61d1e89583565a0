// 预测与预警: forecasts and early warnings (backend/forecast.py) on the fleet console.
// Uses console.js's session (csrf, role) and helpers (api, cell). Asks every 30 s
// once signed in: consumables' run-outs, the soonest first (tonight's in red, within
// 24 h in amber); the sessions expected per site in the next 24 hours as a heat table
// (hour × site, a busy hour in red); the warnings, not resolved first, with
// acknowledge and resolve buttons for operators. Times are China time (UTC+8).
// <body data-warnings="N" data-warnings-open="N" data-runouts="N"> after each drawing.
"use strict";

const WARNINGS_POLL_MS = 30000;
const WARNING_STATES = {
  raised: "待处理 / raised", acknowledged: "已确认 / acknowledged", resolved: "已解除 / resolved",
};
const WARNING_KINDS = {
  busy: "网点繁忙 / site busy", failure_rate: "故障率升高 / failures up",
  runout: "耗材将尽 / running out",
};
const CONSUMABLE_NAMES = { paper: "纸 / paper", ribbon: "色带 / ribbon", cards: "卡 / cards" };
let warningPolls = 0;

function chinaTime(seconds, withDay = true) {
  const text = new Date(seconds * 1000 + 8 * 3600 * 1000).toISOString();
  return withDay ? text.slice(5, 16).replace("T", " ") : text.slice(11, 16);
}

function mayHandle() {
  return role === "operator" || role === "administrator";
}

async function handleWarning(id, action, button) {
  button.disabled = true;
  const answer = await api(`/console/api/warnings/${id}/${action}`, { method: "POST" });
  if (!answer.ok) {
    const problem = await answer.json().catch(() => ({}));
    button.disabled = false;
    document.getElementById("status").textContent =
      `无法操作 / cannot ${action}: ${problem.detail || answer.statusText}`;
  }
  await pollWarnings();
}

function drawRunouts(runouts) {
  const body = document.querySelector("#runouts tbody");
  body.replaceChildren();
  for (const r of runouts) {
    const row = document.createElement("tr");
    row.dataset.runout = `${r.terminal}:${r.consumable}`; // not data-terminal: the fleet table's
    row.dataset.consumable = r.consumable;
    if (r.tonight) row.classList.add("tonight");
    else if (r.within_24h) row.classList.add("soon");
    cell(row, r.where || r.terminal);
    cell(row, CONSUMABLE_NAMES[r.consumable] || r.consumable);
    cell(row, String(r.level));
    cell(row, r.rate_per_hour === null ? "–" : r.rate_per_hour.toFixed(2));
    cell(row, r.runs_out_at === null ? "未消耗 / not in use" : chinaTime(r.runs_out_at));
    cell(row, r.tonight ? "今晚 / tonight" : r.within_24h ? "24 小时内 / within 24 h" : "");
    body.appendChild(row);
  }
  document.getElementById("runouts-none").hidden = runouts.length > 0;
  document.body.dataset.runouts = String(runouts.length);
}

function drawLoad(load) {
  const table = document.getElementById("load");
  const head = document.createElement("tr");
  cell(head, "时段 / Hour");
  for (const s of load.sites) cell(head, `${s.site} (${s.terminals} 台 · ≤${s.capacity}/h)`);
  table.tHead.replaceChildren(head);
  const body = table.tBodies[0];
  body.replaceChildren();
  load.hours.forEach((at, j) => {
    const row = document.createElement("tr");
    cell(row, chinaTime(at, j === 0 || chinaTime(at, false) === "00:00"));
    for (const s of load.sites) {
      const h = s.hours[j];
      cell(row, h.mean.toFixed(1));
      const td = row.lastChild;
      td.title = `± ${h.sd.toFixed(1)}`;
      const share = s.capacity > 0 ? Math.min(1, h.mean / s.capacity) : 0;
      td.style.backgroundColor = `rgba(11, 61, 145, ${(share * 0.45).toFixed(3)})`;
      if (h.busy) td.classList.add("busy");
    }
    body.appendChild(row);
  });
  document.getElementById("load-none").hidden = load.sites.length > 0;
  document.body.dataset.busyHours = String(
    load.sites.reduce((n, s) => n + s.hours.filter((h) => h.busy).length, 0));
}

function drawWarnings(list) {
  const body = document.querySelector("#warnings-list tbody");
  body.replaceChildren();
  for (const w of list.warnings) {
    const row = document.createElement("tr");
    row.dataset.warning = String(w.id);
    row.dataset.state = w.state;
    row.dataset.kind = w.kind;
    row.classList.add(w.state);
    cell(row, String(w.id));
    cell(row, WARNING_KINDS[w.kind] || w.kind);
    cell(row, w.where || w.site || w.subject);
    cell(row, w.detail);
    cell(row, WARNING_STATES[w.state] || w.state);
    cell(row, chinaTime(w.raised_at));
    const who = [];
    if (w.acknowledged_by) who.push(`${w.acknowledged_by} ✓ ${chinaTime(w.acknowledged_at)}`);
    if (w.resolved_at) {
      who.push(`${w.resolved_by || "自动 / cleared"} ✔ ${chinaTime(w.resolved_at)}`);
    }
    cell(row, who.join(" · ") || "–");
    const last = document.createElement("td");
    if (mayHandle() && w.state !== "resolved") {
      for (const [action, label] of [["acknowledge", "确认 / Acknowledge"],
                                     ["resolve", "解除 / Resolve"]]) {
        if (action === "acknowledge" && w.state !== "raised") continue;
        const button = document.createElement("button");
        button.type = "button";
        button.className = action;
        button.textContent = label;
        button.addEventListener("click", () => handleWarning(w.id, action, button));
        last.appendChild(button);
      }
    }
    row.appendChild(last);
    body.appendChild(row);
  }
  const badge = document.getElementById("warnings-open");
  badge.textContent = String(list.open);
  badge.hidden = list.open === 0;
  document.getElementById("warnings-none").hidden = list.warnings.length > 0;
  document.body.dataset.warnings = String(list.warnings.length);
  document.body.dataset.warningsOpen = String(list.open);
}

async function pollWarnings() {
  if (!csrf) return;
  const mine = ++warningPolls;
  try {
    const state = document.getElementById("warnings-state").value;
    const [forecast, list] = await Promise.all([
      api("/console/api/forecast"),
      api(`/console/api/warnings${state ? `?state=${state}` : ""}`),
    ]);
    if (!forecast.ok || !list.ok || mine !== warningPolls) return;
    const found = await forecast.json();
    drawRunouts(found.runouts);
    drawLoad(found.load);
    drawWarnings(await list.json());
  } catch (error) {
    // the network: the next poll tries again
  }
}

document.getElementById("warnings-state").addEventListener("change", () => pollWarnings());
new MutationObserver(() => {
  if (document.body.dataset.signin === "0") pollWarnings();
}).observe(document.body, { attributes: true, attributeFilter: ["data-signin"] });
if (document.body.dataset.signin === "0") pollWarnings();
setInterval(() => pollWarnings(), WARNINGS_POLL_MS);
