// The fleet console: fetches the summary with the operator token given in the
// page's address (#token=...), fills the tiles, the table and two charts, and
// refreshes every 30 s. Marks <body data-rendered="N"> after the N-th drawing
// (the headless browser test waits for it).
"use strict";

const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
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
    cell(row, t.name);
    cell(row, t.revoked ? "吊销 / revoked" : t.online ? "在线 / online" : "离线 / offline");
    cell(row, age(t.last_heartbeat_age_s));
    cell(row, Object.entries(t.faults)
    .map(([n, d]) => `${n}: ${d.status}${d.detail ? ` (${d.detail})` : ""}`).join(", ") || "–");
    cell(row, t.paper ?? "–");
    cell(row, `${t.outbox_depth} (${age(t.outbox_lag_s === null ? null : Math.round(t.outbox_lag_s))})`);
    cell(row, t.version);
    body.appendChild(row);
  }

  const alerts = document.getElementById("alerts");
  alerts.replaceChildren();
  for (const a of summary.alerts) {
    const li = document.createElement("li");
    li.textContent = `${new Date(a.at * 1000).toISOString().slice(0, 16)} ${a.terminal || ""} ${a.kind}: ${a.detail}`;
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

async function refresh() {
  const status = document.getElementById("status");
  try {
    const answer = await fetch("/console/api/summary", { headers: { Authorization: `Bearer ${token}` } });
    if (!answer.ok) throw new Error((await answer.json()).detail || answer.statusText);
    draw(await answer.json());
    status.textContent = `更新于 / updated ${new Date().toLocaleTimeString()}`;
    status.classList.remove("error");
  } catch (error) {
    status.textContent = `无法载入 / cannot load: ${error.message}`;
    status.classList.add("error");
    document.body.dataset.failed = "1";
  }
}

refresh();
setInterval(refresh, 30000);
