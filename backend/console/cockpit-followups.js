// 差评回访: the follow-ups of low ratings (backend/followups.py) and the satisfaction
// indicators, on the fleet console. Uses console.js's session (csrf, role) and its
// helpers (api, cell). Asks every 15 s once signed in; an overdue ticket's row is
// red and their count shows beside the heading and as a warning line. An operator
// (or administrator) sees the row's next step: assign (to themselves unless another
// account is typed), answer (the text of the call back), close.
// <body data-followups="N" data-followups-overdue="N"> after each drawing.
"use strict";

const FOLLOWUPS_POLL_MS = 15000;
const STATE_NAMES = {
  open: "待指派 / open", assigned: "已指派 / assigned",
  answered: "已答复 / answered", closed: "已办结 / closed",
};
const REASON_NAMES = {
  waiting: "等待久 / waiting", device_fault: "设备故障 / device fault",
  too_complex: "操作复杂 / too complex", not_done: "未办成 / not done",
  fee: "费用 / fee", other: "其他 / other",
};
let me = "";
let followupPolls = 0;

function day(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
}

function percent(share) {
  return share === null ? "–" : `${(share * 100).toFixed(1)} %`;
}

function mayAct() {
  return role === "operator" || role === "administrator";
}

async function move(id, action, body, button) {
  button.disabled = true;
  const options = { method: "POST" };
  if (body) {
    options.headers = { "Content-Type": "application/json" };
    options.body = JSON.stringify(body);
  }
  const answer = await api(`/console/api/followups/${id}/${action}`, options);
  if (!answer.ok) {
    const problem = await answer.json().catch(() => ({}));
    button.disabled = false;
    document.getElementById("status").textContent =
      `无法操作 / cannot ${action}: ${problem.detail || answer.statusText}`;
  }
  await pollFollowups(true);
}

function actions(t, td) {
  if (!mayAct() || t.state === "closed") return;
  const field = document.createElement("input");
  const button = document.createElement("button");
  button.type = "button";
  if (t.state === "open" || t.state === "assigned") {
    field.className = "assignee";
    field.value = t.assignee || me;
    field.setAttribute("aria-label", "负责人 / assignee");
    button.className = "assign";
    button.textContent = t.state === "open" ? "指派 / Assign" : "改派 / Reassign";
    button.addEventListener("click", () => move(t.id, "assign", { assignee: field.value.trim() }, button));
    td.append(field, button);
  }
  if (t.state === "assigned") {
    const text = document.createElement("input");
    text.className = "text";
    text.placeholder = "回访结果 / what was done";
    text.setAttribute("aria-label", "答复 / answer");
    const answer = document.createElement("button");
    answer.type = "button";
    answer.className = "answer";
    answer.textContent = "答复 / Answer";
    answer.addEventListener("click", () => {
      if (text.value.trim()) move(t.id, "answer", { text: text.value.trim() }, answer);
    });
    td.append(text, answer);
  }
  if (t.state === "answered") {
    button.className = "close";
    button.textContent = "办结 / Close";
    button.addEventListener("click", () => move(t.id, "close", null, button));
    td.append(button);
  }
}

function drawFollowups(list) {
  const body = document.querySelector("#followups-list tbody");
  body.replaceChildren();
  for (const t of list.followups) {
    const row = document.createElement("tr");
    row.dataset.followup = String(t.id);
    row.dataset.state = t.state;
    if (t.overdue) row.classList.add("overdue");
    if (t.state === "closed") row.classList.add("closed");
    cell(row, String(t.id));
    cell(row, t.where || t.terminal);
    cell(row, t.service);
    cell(row, "★".repeat(t.stars));
    cell(row, t.reason ? REASON_NAMES[t.reason] || t.reason : "–");
    cell(row, STATE_NAMES[t.state] || t.state);
    cell(row, day(t.due_at) + (t.overdue ? " 逾期 / overdue" : ""));
    row.lastChild.classList.add("due");
    cell(row, t.assignee || "–");
    cell(row, t.answer || "–");
    const last = document.createElement("td");
    actions(t, last);
    row.appendChild(last);
    body.appendChild(row);
  }
  const badge = document.getElementById("followups-overdue");
  badge.textContent = String(list.overdue);
  badge.hidden = list.overdue === 0;
  const warning = document.getElementById("followups-warning");
  warning.hidden = list.overdue === 0;
  warning.textContent = `${list.overdue} 件回访已逾期 / ${list.overdue} follow-up(s) overdue`;
  document.getElementById("followups-none").hidden = list.followups.length > 0;
  document.body.dataset.followups = String(list.followups.length);
  document.body.dataset.followupsOverdue = String(list.overdue);
}

function drawSatisfaction(table) {
  const body = document.querySelector("#satisfaction tbody");
  body.replaceChildren();
  for (const g of [...table.groups, table.total]) {
    const row = document.createElement("tr");
    cell(row, g.key === "*" ? "合计 / all" : g.key);
    cell(row, String(g.ratings));
    cell(row, percent(g.satisfaction));
    cell(row, g.mean === null ? "–" : g.mean.toFixed(2));
    cell(row, String(g.opened));
    cell(row, percent(g.closure));
    cell(row, percent(g.closure_in_time));
    body.appendChild(row);
  }
}

async function pollFollowups(force) {
  if (!csrf) return;
  // someone typing in a row: the rows stay as they are until the next poll
  const typing = document.activeElement?.closest?.("#followups-list tbody");
  if (typing && !force) return;
  const mine = ++followupPolls;
  try {
    if (!me) {
      const account = await api("/console/api/session");
      if (account.ok) me = (await account.json()).name;
    }
    const state = document.getElementById("followups-state").value;
    const query = state && state !== "all" ? `?state=${state}` : ""; // "": all but closed
    const by = document.getElementById("satisfaction-by").value;
    const [list, table] = await Promise.all([
      api(`/console/api/followups${query}`),
      api(`/console/api/satisfaction?by=${by}`),
    ]);
    if (!list.ok || !table.ok || mine !== followupPolls) return;
    const tickets = await list.json();
    if (!state) tickets.followups = tickets.followups.filter((t) => t.state !== "closed");
    drawFollowups(tickets);
    drawSatisfaction(await table.json());
  } catch (error) {
    // the network: the next poll tries again
  }
}

document.getElementById("followups-state").addEventListener("change", () => pollFollowups(true));
document.getElementById("satisfaction-by").addEventListener("change", () => {
  const by = document.getElementById("satisfaction-by").value;
  document.getElementById("satisfaction-csv").href = `/console/api/satisfaction?format=csv&by=${by}`;
  pollFollowups(true);
});
// signed in (console.js marks <body data-signin="0">): draw at once
new MutationObserver(() => {
  if (document.body.dataset.signin === "0") pollFollowups(true);
  else me = "";
}).observe(document.body, { attributes: true, attributeFilter: ["data-signin"] });
if (document.body.dataset.signin === "0") pollFollowups(true);
setInterval(() => pollFollowups(false), FOLLOWUPS_POLL_MS);
