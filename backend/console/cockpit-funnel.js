// 数据驾驶舱: the service funnels and handling times (backend/cockpit.py), and the
// self-service share (backend/counter.py), drawn when the desk is shown and again every
// minute. Steps and services are named by their citizen text (/console/api/texts) beside
// their ids. An administrator imports the counter system's CSV here (console.js's api,
// role: the session's CSRF token). <body data-cockpit="N"> after the N-th drawing.
"use strict";

(() => {
  const REFRESH_MS = 60000;
  const ENDS = {
    finished: "完成 / finished", cancelled: "取消 / cancelled", timed_out: "超时 / timed out",
    refused: "不予受理 / refused", failed: "失败 / failed",
  };
  const WHO = { citizen: "群众 / citizen", machine: "设备 / machine" };
  let drawings = 0;
  let timer = null;
  let texts = { services: {} };

  function serviceName(id) {
    const flow = texts.services[id];
    return flow ? `${flow.zh_CN} / ${flow.en}` : id;
  }

  function stepText(service, step) { // the citizen's prompt, in Chinese
    const flow = texts.services[service];
    const found = flow && flow.steps[step];
    return found ? found.zh_CN : "";
  }

  function el(tag, text, attrs = {}) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    return node;
  }

  function row(cells, attrs) {
    const tr = el("tr", null, attrs);
    for (const c of cells) tr.appendChild(c instanceof Node ? c : el("td", c));
    return tr;
  }

  function table(head, rows, attrs = {}) {
    const t = el("table", null, attrs);
    const thead = el("thead");
    thead.appendChild(row(head.map((h) => el("th", h))));
    const tbody = el("tbody");
    rows.forEach((r) => tbody.appendChild(r));
    t.append(thead, tbody);
    return t;
  }

  function seconds(s) { return s === null || s === undefined ? "–" : `${s.toFixed(1)} s`; }

  function bar(share) {
    const td = el("td");
    const outer = el("div", null, { class: "bar" });
    const inner = el("div");
    inner.style.width = `${Math.round(share * 100)}%`;
    outer.appendChild(inner);
    td.append(outer, el("span", `${Math.round(share * 100)}%`));
    return td;
  }

  function drawFunnel(groups) {
    const where = document.getElementById("funnels");
    where.replaceChildren();
    for (const g of groups) {
      const box = el("article", null, { class: "funnel", "data-service": g.service });
      box.appendChild(el("h3", `${g.service} — ${g.sessions} 次 / sessions`));
      if (texts.services[g.service]) box.appendChild(el("p", serviceName(g.service)));
      const worst = g.gave_up[0];
      if (worst) {
        const said = stepText(g.service, worst.step);
        box.appendChild(el("p",
          `流失最多 / most citizens give up at: ${worst.step}${said ? `「${said}」` : ""} ` +
          `(${worst.count}, ${Math.round((worst.rate || 0) * 100)}%)`, { class: "worst" }));
      }
      const lost = Object.fromEntries(g.gave_up.map((s) => [s.step, s.count]));
      box.appendChild(table(
        ["步骤 / Step", "提示 / Prompt", "类型 / Type", "等待 / Waits for", "到达 / Reached",
         "比例 / Share", "放弃 / Gave up"],
        g.steps.map((s) => row(
          [s.step, stepText(g.service, s.step), s.kind, WHO[s.who] || s.who, s.reached,
            bar(s.share), lost[s.step] || 0],
          worst && s.step === worst.step ? { class: "worst", "data-step": s.step }
            : { "data-step": s.step })),
        { class: "funnel-steps" }));
      box.appendChild(table(
        ["结果 / End", "原因 / Reason", "次数 / Count"],
        g.ends.flatMap((e) => e.reasons.map((r) => row([ENDS[e.end] || e.end, r.reason, r.count]))),
        { class: "funnel-ends" }));
      where.appendChild(box);
    }
    if (!groups.length) where.appendChild(el("p", "暂无数据 / No sessions yet"));
  }

  function drawDurations(groups) {
    const rows = groups.map((g) => row([
      g.service, g.sessions,
      seconds(g.duration.median), seconds(g.duration.p90),
      seconds(g.machine.median), seconds(g.machine.p90),
      seconds(g.citizen.median), seconds(g.citizen.p90),
    ], { "data-service": g.service }));
    const where = document.getElementById("durations");
    where.replaceChildren(table(
      ["业务 / Service", "次数 / Sessions", "中位 / Median", "P90",
       "设备中位 / Machine median", "设备 P90 / Machine p90",
       "群众中位 / Citizen median", "群众 P90 / Citizen p90"],
      rows, { id: "duration-table" }));
  }

  function percent(share) {
    return share === null ? "–" : `${Math.round(share * 100)}%`;
  }

  function drawShare(answer) {
    const body = document.querySelector("#share-table tbody");
    body.replaceChildren();
    for (const g of [...answer.groups, answer.total]) {
      const tr = row([g.site === "*" ? "全部 / all" : g.site,
        g.service === "*" ? "全部 / all" : serviceName(g.service), g.finished, g.counter,
        percent(g.share)], { "data-site": g.site, "data-service": g.service });
      if (g === answer.total) tr.classList.add("total");
      body.appendChild(tr);
    }
  }

  async function draw() {
    const desk = document.getElementById("desk");
    if (!desk || desk.hidden) return;
    document.getElementById("counter-import").hidden =
      typeof role === "undefined" || role !== "administrator";
    try {
      const by = document.getElementById("share-by").value;
      const [funnel, durations, share, named] = await Promise.all(
        ["/console/api/funnel", "/console/api/durations", `/console/api/share?by=${by}`,
          "/console/api/texts"].map((p) => fetch(p)));
      for (const answer of [funnel, durations, share, named]) {
        if (!answer.ok) throw new Error(`${answer.status} ${answer.url}`);
      }
      texts = await named.json();
      drawFunnel((await funnel.json()).groups);
      drawDurations((await durations.json()).groups);
      drawShare(await share.json());
      document.getElementById("cockpit-status").textContent = "";
      drawings += 1;
      document.body.dataset.cockpit = String(drawings);
    } catch (error) {
      document.getElementById("cockpit-status").textContent =
        `无法载入 / cannot load: ${error.message}`;
    }
  }

  document.getElementById("share-by").addEventListener("change", (event) => {
    document.getElementById("share-csv").href =
      `/console/api/share?format=csv&by=${event.target.value}`;
    draw();
  });

  document.getElementById("counter-import").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = document.getElementById("counter-file").files[0];
    const done = document.getElementById("counter-done");
    if (!file) return;
    const answer = await api("/console/api/counter", {
      method: "POST", headers: { "Content-Type": "text/csv" }, body: await file.arrayBuffer(),
    });
    const reply = await answer.json().catch(() => ({}));
    done.textContent = answer.ok
      ? `已导入 / imported ${reply.rows} (${reply.first_day} – ${reply.last_day}), ` +
        `${reply.replaced} 条替换 / replaced`
      : `未导入 / ${reply.detail || answer.statusText}`;
    done.dataset.ok = answer.ok ? "1" : "0";
    await draw();
  });

  // drawn once the desk is shown (after signing in), again every minute
  const desk = document.getElementById("desk");
  new MutationObserver(() => {
    if (!desk.hidden) {
      draw();
      if (timer === null) timer = setInterval(draw, REFRESH_MS);
    } else if (timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  }).observe(desk, { attributes: true, attributeFilter: ["hidden"] });
})();
