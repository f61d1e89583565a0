// The wall (大屏): the day's key indicators on a 1920×1080 screen, one screen at a
// time, rotating every `?every=` seconds (default 15; `?screen=N` holds screen N;
// `?refresh=` seconds between loads, default 60).
// Signed in as a viewer once (the form below; the session cookie stays). Its data
// (backend/sites.py, the cockpit's and the follow-ups' endpoints, all for today) is
// asked for every minute; when the backend does not answer (a restart), the last
// figures stay, a warning says since when, and it asks again every 10 s. Times are
// the backend's, in UTC+8. Steps are shown by their citizen text (the first clause of
// the flow's text, /console/api/texts), Chinese with English beside; the self-service
// share is of the last 30 days; the warnings are those not resolved, with who and when.
// <body data-wall="N" data-screen="I" data-stale="0|1">.
"use strict";

const params = new URLSearchParams(location.search);
const EVERY_S = Math.max(1, Number(params.get("every")) || 15);
const HELD = params.has("screen") ? Number(params.get("screen")) : null;
const REFRESH_MS = 1000 * Math.max(2, Number(params.get("refresh")) || 60); // tests: less
const RETRY_MS = Math.min(10000, REFRESH_MS);
const STALE_MS = 3 * 60000; // three missed refreshes
const SERVICES = { // the services' names, short for the wall (else the flows' titles)
  id_renewal: ["身份证换领/补领", "ID card renewal"],
  criminal_record_proof: ["无犯罪记录证明", "No-crime certificate"],
  id_photo: ["自助拍照", "ID photo"],
  permit_endorsement: ["港澳通行证签注", "HK/Macao endorsement"],
  queue_ticket: ["取号", "Queue ticket"],
};
const WARNING_KINDS = {
  busy: ["网点繁忙", "site busy"], failure_rate: ["故障率升高", "failures up"],
  runout: ["耗材将尽", "running out"],
};
const CONSUMABLES = { paper: ["纸", "paper"], ribbon: ["色带", "ribbon"], cards: ["卡", "cards"] };
let texts = null; // /console/api/texts: services' and steps' citizen texts
const screens = [...document.querySelectorAll(".screen")];
let shown = 0;
let loads = 0;
let lastOk = 0; // this browser's clock, ms
let lastServer = null; // the backend's clock at the last answer, s
let timer = null;
let failing = false; // the last try did not get the data
let chart = null;

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function bilingual(tag, zh, en, cls) {
  const node = el(tag, zh, cls);
  if (en) {
    node.appendChild(document.createTextNode(" "));
    node.appendChild(el("span", en, "en"));
  }
  return node;
}

function hhmm(seconds) { // the backend's time, UTC+8
  return new Date((seconds + 8 * 3600) * 1000).toISOString().slice(11, 16);
}

function percent(share) {
  return share === null || share === undefined ? "–" : `${Math.round(share * 100)}%`;
}

function minutes(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function service(id) {
  const flow = texts && texts.services[id];
  return SERVICES[id] || (flow ? [flow.zh_CN, flow.en] : [id, ""]);
}

function brief(text, stops) { // a prompt's first clause: "请将通行证背面朝下放在扫描区，识读机读码"
  const at = text.search(stops);
  return at > 0 ? text.slice(0, at) : text;
}

function step(serviceId, stepId) { // the step's citizen text, else its id
  const found = texts && texts.services[serviceId] && texts.services[serviceId].steps[stepId];
  if (!found) return [stepId, ""];
  return [brief(found.zh_CN, /[，。？！：；]/), brief(found.en, /[.:;?!]\s|[.?!]$/)];
}

function chinaDay(seconds) { // YYYY-MM-DD in UTC+8
  return new Date((seconds + 8 * 3600) * 1000).toISOString().slice(0, 10);
}

function when(seconds, today) { // HH:MM, with the date when not today (UTC+8)
  const text = new Date((seconds + 8 * 3600) * 1000).toISOString();
  return chinaDay(seconds) === today ? text.slice(11, 16) : `${text.slice(5, 10)} ${text.slice(11, 16)}`;
}

function set(id, value, zeroIsGood) {
  const node = document.getElementById(id);
  node.textContent = value;
  node.parentElement.classList.toggle("zero", zeroIsGood === true && Number(value) === 0);
}

function row(cells) { // [text, class] or text
  const tr = document.createElement("tr");
  for (const c of cells) {
    if (c instanceof Node) {
      const td = el("td");
      td.appendChild(c);
      tr.appendChild(td);
    } else {
      const [text, cls] = Array.isArray(c) ? c : [c, ""];
      tr.appendChild(el("td", text, cls));
    }
  }
  return tr;
}

function head(table, names) {
  const tr = document.createElement("tr");
  for (const [zh, en, cls] of names) tr.appendChild(bilingual("th", zh, en, cls));
  const thead = document.createElement("thead");
  thead.appendChild(tr);
  table.replaceChildren(thead);
  const body = document.createElement("tbody");
  table.appendChild(body);
  return body;
}

// -- the screens ----------------------------------------------------------------------

function drawFleet(summary, sites) {
  const t = sites.total;
  set("f-online", `${t.online}/${t.terminals}`);
  set("f-offline", t.offline, true);
  set("f-faults", t.faults, true);
  set("f-paper", t.paper_low, true);
  const list = document.getElementById("f-problems");
  list.replaceChildren();
  const problems = [];
  for (const term of summary.terminals.filter((x) => !x.revoked)) {
    const where = term.name || term.id;
    for (const [device, d] of Object.entries(term.faults)) {
      problems.push([0, "bad", `${where} · ${device} ${d.status}${d.detail ? `（${d.detail}）` : ""}`]);
    }
    if (!term.online) problems.push([1, "off", `${where} · 离线 offline`]);
    if (term.paper !== null && term.paper !== undefined && term.paper < 50) {
      problems.push([2, "warn", `${where} · 缺纸 paper ${term.paper}`]);
    }
  }
  problems.sort((a, b) => a[0] - b[0] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));
  for (const [, cls, text] of problems.slice(0, 10)) list.appendChild(el("li", text, cls));
  if (!problems.length) list.appendChild(el("li", "全部正常 · all terminals well", ""));
}

function drawHours(sites) {
  const t = sites.total;
  set("h-sessions", t.sessions);
  set("h-finished", percent(t.finished_share));
  let hours = sites.hours;
  const first = hours.findIndex((h) => h.sessions > 0);
  hours = hours.slice(first < 0 ? Math.max(0, hours.length - 8) : Math.min(first, 8));
  const labels = hours.map((h) => hhmm(h.hour).slice(0, 2) + "时");
  const data = {
    labels,
    datasets: [
      { label: "办结 finished", data: hours.map((h) => h.finished), backgroundColor: "#4fc3f7" },
      { label: "未办结 not finished", data: hours.map((h) => h.sessions - h.finished),
        backgroundColor: "#ffb300" },
    ],
  };
  Chart.defaults.color = "#c3d2e4";
  Chart.defaults.font.size = 26;
  Chart.defaults.font.family = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif';
  if (chart) chart.destroy();
  chart = new Chart(document.getElementById("h-chart"), {
    type: "bar", data,
    options: {
      animation: false, responsive: false,
      plugins: { legend: { labels: { font: { size: 28 } } } },
      scales: {
        x: { stacked: true, grid: { color: "#1b3558" } },
        y: { stacked: true, beginAtZero: true, grid: { color: "#1b3558" }, ticks: { precision: 0 } },
      },
    },
  });
}

function drawServices(sites) {
  const body = head(document.getElementById("s-table"), [
    ["业务", "Service"], ["", ""], ["次数", "Sessions", "num"], ["办结率", "Finished", "num"]]);
  const top = sites.services.slice(0, 7);
  const most = Math.max(1, ...top.map((s) => s.sessions));
  for (const s of top) {
    const [zh, en] = service(s.service);
    const bar = el("div", null, "bar");
    const fill = el("div");
    fill.style.width = `${Math.round((s.sessions / most) * 100)}%`;
    bar.appendChild(fill);
    body.appendChild(row([bilingual("span", zh, en), bar, [s.sessions, "num"],
      [percent(s.sessions ? s.finished / s.sessions : null), "num"]]));
  }
  if (!top.length) body.appendChild(row(["今日暂无业务 · no sessions yet today"]));
}

function drawFunnels(funnel) {
  const body = head(document.getElementById("u-table"), [
    ["业务", "Service"], ["流失步骤", "Step"], ["放弃", "Gave up", "num"],
    ["流失率", "Rate", "num"], ["次数", "Sessions", "num"]]);
  const worst = funnel.groups.filter((g) => g.gave_up.length)
    .map((g) => ({ g, w: g.gave_up[0] }))
    .sort((a, b) => b.w.count - a.w.count).slice(0, 6);
  for (const { g, w } of worst) {
    const [zh, en] = service(g.service);
    const [text, english] = step(g.service, w.step);
    const tr = row([bilingual("span", zh, en), bilingual("span", text, english), [w.count, "num bad"],
      [percent(w.rate), "num bad"], [g.sessions, "num"]]);
    tr.children[1].className = "step warn";
    tr.dataset.service = g.service;
    tr.dataset.step = w.step;
    body.appendChild(tr);
  }
  if (!worst.length) body.appendChild(row(["今日无人中途放弃 · nobody gave up today"]));
}

function drawTimes(durations) {
  const body = head(document.getElementById("t-table"), [
    ["业务", "Service"], ["中位", "Median", "num"], ["P90", "", "num"],
    ["设备", "Machine", "num"], ["群众", "Citizen", "num"], ["次数", "Sessions", "num"]]);
  const groups = [...durations.groups].sort((a, b) => b.sessions - a.sessions).slice(0, 6);
  for (const g of groups) {
    const [zh, en] = service(g.service);
    body.appendChild(row([bilingual("span", zh, en), [minutes(g.duration.median), "num good"],
      [minutes(g.duration.p90), "num"], [minutes(g.machine.median), "num"],
      [minutes(g.citizen.median), "num"], [g.sessions, "num"]]));
  }
  if (!groups.length) body.appendChild(row(["今日暂无业务 · no sessions yet today"]));
}

function drawSatisfaction(satisfaction, summary) {
  const t = satisfaction.total;
  set("r-satisfaction", percent(t.satisfaction));
  set("r-mean", t.mean === null ? "–" : `${t.mean.toFixed(1)}★`);
  set("r-open", summary.followups.open, true);
  set("r-overdue", summary.followups.overdue, true);
  document.getElementById("r-note").replaceChildren(bilingual("span",
    `今日评价 ${t.ratings} 条，其中差评 ${t.opened} 条已转回访；回访须在期限内办结。`,
    `${t.ratings} ratings today; ${t.opened} low ones became follow-ups, to be closed in time.`));
}

function drawSites(sites) {
  const body = head(document.getElementById("n-table"), [
    ["网点", "Site"], ["在线", "Online", "num"], ["故障", "Faults", "num"],
    ["业务", "Sessions", "num"], ["办结率", "Finished", "num"], ["满意率", "Satisfied", "num"],
    ["待回访", "Follow-ups", "num"]]);
  for (const s of sites.sites.slice(0, 8)) {
    body.appendChild(row([[s.site, "name"],
      [`${s.online}/${s.terminals}`, s.offline ? "num warn" : "num good"],
      [s.faults, s.faults ? "num bad" : "num"], [s.sessions, "num"],
      [percent(s.finished_share), "num"], [percent(s.satisfaction), "num"],
      [s.followups_open + (s.followups_overdue ? `（逾期 ${s.followups_overdue}）` : ""),
        s.followups_overdue ? "num bad" : "num"]]));
  }
}

function drawShare(share) {
  const body = head(document.getElementById("p-table"), [
    ["业务", "Service"], ["", ""], ["自助办结", "Terminals", "num"], ["窗口受理", "Counters", "num"],
    ["自助占比", "Share", "num"]]);
  const groups = share.groups.filter((g) => g.share !== null)
    .sort((a, b) => b.finished + b.counter - (a.finished + a.counter)).slice(0, 5);
  for (const g of groups) {
    const [zh, en] = service(g.service);
    const bar = el("div", null, "bar");
    const fill = el("div");
    fill.style.width = `${Math.round(g.share * 100)}%`;
    bar.appendChild(fill);
    const tr = row([bilingual("span", zh, en), bar, [g.finished, "num"], [g.counter, "num"],
      [percent(g.share), "num good"]]);
    tr.dataset.service = g.service;
    body.appendChild(tr);
  }
  if (!groups.length) body.appendChild(row(["暂无数据 · nothing counted yet"]));
  const t = share.total;
  document.getElementById("p-note").replaceChildren(bilingual("span",
    `${share.first_day} 至 ${share.last_day}：自助办结 ${t.finished} 件，窗口受理 ${t.counter} 件，` +
    `自助占比 ${percent(t.share)}`,
    `${t.finished} finished at terminals, ${t.counter} at counters: ${percent(t.share)} self-service`));
}

function drawWarnings(answer, today) {
  const open = answer.warnings.filter((w) => w.state !== "resolved");
  set("w-raised", open.filter((w) => w.state === "raised").length, true);
  set("w-acknowledged", open.filter((w) => w.state === "acknowledged").length, true);
  set("w-resolved", answer.warnings.filter((w) => w.state === "resolved"
    && chinaDay(w.resolved_at) === today).length);
  const list = document.getElementById("w-list");
  list.replaceChildren();
  for (const w of open.slice(0, 3)) {
    const [kind, kindEn] = WARNING_KINDS[w.kind] || [w.kind, ""];
    const item = el("li", null, w.state);
    item.dataset.kind = w.kind;
    const what = el("div", null, "what");
    what.appendChild(bilingual("b", kind, kindEn));
    let subject = w.site || w.subject;
    if (w.kind !== "busy") subject = w.where || w.terminal || w.subject;
    if (w.kind === "runout") {
      const [thing, thingEn] = CONSUMABLES[w.subject.split(":").pop()] || [w.subject, ""];
      subject = `${subject} · ${thing} ${thingEn}`;
    }
    what.appendChild(el("span", subject, "subject"));
    const who = el("div", null, "who");
    who.appendChild(bilingual("span", `发出 ${when(w.raised_at, today)}`, "raised"));
    who.appendChild(w.state === "acknowledged"
      ? bilingual("span", `已确认 ${w.acknowledged_by} ${when(w.acknowledged_at, today)}`,
        "acknowledged", "ack")
      : bilingual("span", "待处理", "awaiting", "await"));
    item.append(what, who, el("p", w.detail, "detail"));
    list.appendChild(item);
  }
  if (open.length > 3) {
    list.appendChild(bilingual("li", `另有 ${open.length - 3} 条`, `${open.length - 3} more`, "more"));
  }
  if (!open.length) list.appendChild(bilingual("li", "暂无预警", "no open warnings", "none"));
}

// -- data, rotation, staleness ----------------------------------------------------------

class SignedOut extends Error {}

async function get(path) {
  const answer = await fetch(path, { cache: "no-store" });
  if (answer.status === 403) throw new SignedOut();
  if (!answer.ok) throw new Error(`${answer.status}`);
  return answer.json();
}

async function load() {
  clearTimeout(timer);
  try {
    if (texts === null) texts = await get("/console/api/texts");
    const sites = await get("/console/api/sites");
    const since = `?since=${sites.since}&until=${sites.until}`;
    const [summary, funnel, durations, satisfaction, share, warnings] = await Promise.all([
      get("/console/api/summary?hours=1"), get(`/console/api/funnel${since}`),
      get(`/console/api/durations${since}`), get(`/console/api/satisfaction${since}`),
      get(`/console/api/share?until=${sites.until}`), get("/console/api/warnings?limit=200"),
    ]);
    drawFleet(summary, sites);
    drawHours(sites);
    drawServices(sites);
    drawFunnels(funnel);
    drawTimes(durations);
    drawSatisfaction(satisfaction, summary);
    drawSites(sites);
    drawShare(share);
    drawWarnings(warnings, chinaDay(sites.now));
    lastOk = Date.now();
    failing = false;
    lastServer = sites.now;
    loads += 1;
    document.body.dataset.wall = String(loads);
    timer = setTimeout(load, REFRESH_MS);
  } catch (error) {
    if (error instanceof SignedOut) return signIn();
    failing = true;
    timer = setTimeout(load, RETRY_MS); // the backend restarting: ask again soon
  }
  freshness();
}

function freshness() {
  const updated = document.getElementById("updated");
  if (lastServer !== null) {
    updated.replaceChildren(bilingual("span", `数据更新于 ${hhmm(lastServer)}`,
      `updated ${hhmm(lastServer)}`));
  }
  const stale = document.getElementById("stale");
  const late = loads > 0 && (failing || Date.now() - lastOk > STALE_MS);
  stale.hidden = !late;
  if (late) {
    const since = lastServer === null ? "" : hhmm(lastServer);
    stale.replaceChildren(bilingual("span", `⚠ 数据未能更新（${since} 起），正在重试`,
      `stale since ${since}: retrying`));
  }
  document.body.dataset.stale = late ? "1" : "0";
}

function show(index) {
  shown = ((index % screens.length) + screens.length) % screens.length;
  screens.forEach((s, i) => s.classList.toggle("on", i === shown));
  [...document.getElementById("dots").children]
    .forEach((d, i) => d.classList.toggle("on", i === shown));
  document.body.dataset.screen = String(shown);
  const bar = document.getElementById("progress");
  if (HELD !== null) return;
  bar.style.transition = "none";
  bar.style.width = "0";
  void bar.offsetWidth; // the transition starts again from 0
  bar.style.transition = `width ${EVERY_S}s linear`;
  bar.style.width = "100%";
}

function begin() {
  document.getElementById("signin").hidden = true;
  document.getElementById("screens").hidden = false;
  const dots = document.getElementById("dots");
  dots.replaceChildren(...screens.map(() => el("li")));
  show(HELD === null ? 0 : HELD);
  if (HELD === null) setInterval(() => show(shown + 1), EVERY_S * 1000);
  setInterval(freshness, 5000);
  load();
}

function signIn() {
  document.getElementById("screens").hidden = true;
  document.getElementById("signin").hidden = false;
  document.body.dataset.signin = "1";
}

document.getElementById("signin").addEventListener("submit", async (event) => {
  event.preventDefault();
  const password = document.getElementById("password");
  const answer = await fetch("/console/api/session", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: document.getElementById("name").value.trim(),
      password: password.value }),
  });
  password.value = "";
  if (answer.ok) return location.reload(); // one start, with the cookie
  const problem = await answer.json().catch(() => ({}));
  document.getElementById("signin-error").textContent =
    `无法登录 / cannot sign in: ${problem.detail || answer.statusText}`;
});

(async () => {
  try {
    const answer = await fetch("/console/api/session");
    if (answer.ok) return begin();
  } catch (error) {
    // the backend is down: the form, and a reload later
  }
  signIn();
})();
