// 网点 / Sites: each site's terminals, today's sessions, satisfaction and follow-ups
// (backend/sites.py), on the fleet console; every minute once signed in. An
// administrator also sets a terminal's site here (PUT /v1/admin/terminals/{id}/site,
// in the audit log; empty: the site its name says). Uses console.js's session (api,
// cell, role). <body data-sites="N"> after the N-th drawing.
"use strict";

(() => {
  const SITES_POLL_MS = 60000;
  let siteDrawings = 0;

  function share(value) {
    return value === null ? "–" : `${Math.round(value * 100)} %`;
  }

  function drawSites(answer) {
    const body = document.querySelector("#sites-table tbody");
    body.replaceChildren();
    for (const s of [...answer.sites, answer.total]) {
      const row = document.createElement("tr");
      row.dataset.site = s.site;
      if (s.offline) row.classList.add("trouble");
      if (s.faults) row.classList.add("faulty");
      cell(row, s.site === "*" ? "合计 / all sites" : s.site);
      cell(row, `${s.online} / ${s.terminals}`);
      cell(row, s.faults);
      cell(row, s.paper_low);
      cell(row, s.sessions);
      cell(row, share(s.finished_share));
      cell(row, `${share(s.satisfaction)} (${s.ratings})`);
      cell(row, `${s.followups_open}` + (s.followups_overdue ? ` (${s.followups_overdue} 逾期 / overdue)` : ""));
      if (s.followups_overdue) row.lastChild.classList.add("overdue");
      if (s.site === "*") row.classList.add("total");
      body.appendChild(row);
    }
  }

  async function drawTerminals() {
    // an administrator's form: every terminal, its site now
    const form = document.getElementById("site-change");
    form.hidden = role !== "administrator";
    if (form.hidden) return;
    const answer = await api("/console/api/summary?hours=1");
    if (!answer.ok) return;
    const select = document.getElementById("site-terminal");
    const chosen = select.value;
    select.replaceChildren();
    for (const t of (await answer.json()).terminals) {
      const option = document.createElement("option");
      option.value = t.id;
      option.textContent = `${t.id} ${t.name} (${t.site})`;
      select.appendChild(option);
    }
    if (chosen) select.value = chosen;
  }

  async function pollSites() {
    if (document.body.dataset.signin !== "0") return;
    const status = document.getElementById("sites-status");
    try {
      const answer = await api("/console/api/sites");
      if (!answer.ok) throw new Error(answer.statusText);
      drawSites(await answer.json());
      await drawTerminals();
      status.textContent = "";
      siteDrawings += 1;
      document.body.dataset.sites = String(siteDrawings);
    } catch (error) {
      status.textContent = `无法载入 / cannot load: ${error.message}`;
    }
  }

  document.getElementById("site-change").addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = document.getElementById("site-terminal").value;
    const text = document.getElementById("site-text").value.trim();
    const done = document.getElementById("site-change-done");
    const answer = await api(`/v1/admin/terminals/${encodeURIComponent(id)}/site`, {
      method: "PUT", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ site: text || null }),
    });
    const reply = await answer.json().catch(() => ({}));
    done.textContent = answer.ok ? `${reply.terminal} → ${reply.shown_as}`
      : `无法设置 / cannot set: ${reply.detail || answer.statusText}`;
    await pollSites();
  });

  new MutationObserver(() => {
    if (document.body.dataset.signin === "0") pollSites();
  }).observe(document.body, { attributes: true, attributeFilter: ["data-signin"] });
  if (document.body.dataset.signin === "0") pollSites();
  setInterval(pollSites, SITES_POLL_MS);
})();
