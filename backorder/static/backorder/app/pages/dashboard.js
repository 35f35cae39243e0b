/* Dashboard: onboarding steps, figures, backorders per day (inline SVG), most backordered, at risk. */
(function () {
  "use strict";
  const { api, h, replace, fmt, badge, state, announce, sendTestEmail } = window.BO;

  const SERIES = [
    ["waiting", "Waiting", "#FFBF00"],
    ["allocated", "Allocated", "#3C64F4"],
    ["shipped", "Shipped", "#208831"],
    ["cancelled", "Cancelled", "#B4BAD1"],
  ];

  // -- onboarding -----------------------------------------------------------------------------------------
  /* A step is done on its own page (its link), except the test e-mail: sent from here. `keepOpen` keeps the
   * panel (and what it just said) on screen when that was the last step. */
  function stepAction(step) {
    if (step.key !== "test_email") return h("a", { class: "small link", href: step.href }, step.action || "Do this now");
    return h("button", { type: "button", class: "btn btn-small", "data-test-email": true, onclick: async (event) => {
      const message = await sendTestEmail(event.currentTarget, document.querySelector("[data-test-email-status]"));
      if (message && message.status === "sent") loadOnboarding(true);
    } }, "Send a test e-mail");
  }

  async function loadOnboarding(keepOpen = false) {
    const panel = document.getElementById("onboarding");
    try {
      const body = await api("/api/v1/dashboard/onboarding/");
      const steps = body.steps;
      const done = steps.filter((step) => step.done).length;
      if (done === steps.length && !keepOpen) {
        panel.hidden = true;
        return;
      }
      panel.hidden = false;
      panel.querySelector("[data-onboarding-progress]").textContent = `${done} of ${steps.length} done`;
      replace(panel.querySelector("[data-onboarding-steps]"), steps.map((step, index) => h("li", { class: step.done ? "done" : "" },
        h("span", { class: "tick", "aria-hidden": "true" }, step.done ? "✓" : String(index + 1)),
        h("div", null,
          h("span", { class: "step-label" }, step.label),
          h("span", { class: "visually-hidden" }, step.done ? "(done)" : "(to do)"),
          step.done ? null : stepAction(step)))));
    } catch (error) {
      panel.hidden = true;
    }
  }

  // -- figures --------------------------------------------------------------------------------------------
  function kpi(label, value, { note, href, danger } = {}) {
    const inner = [h("div", { class: "kpi-label" }, label), h("div", { class: "kpi-value" }, value),
      note ? h("div", { class: "kpi-note" }, note) : null];
    const tile = href ? h("a", { class: "kpi kpi-link", href }, inner) : h("div", { class: "kpi" }, inner);
    if (danger) tile.classList.add("kpi-danger");
    return tile;
  }

  function renderFigures(summary, currency) {
    const container = document.querySelector("[data-kpis]");
    replace(container,
      kpi("Open backorders", fmt.number(summary.open_backorders), { href: "/backorders/?status=waiting" }),
      kpi("Units waiting", fmt.number(summary.open_units)),
      kpi("Value waiting", fmt.money(summary.open_value, currency)),
      kpi("Average wait", fmt.days(summary.average_wait_days)),
      kpi("Oldest wait", fmt.days(summary.oldest_wait_days)),
      kpi("Late", fmt.number(summary.late), { href: "/backorders/?late=true", danger: summary.late > 0,
        note: summary.late ? "Past their date" : "None late" }),
      kpi("Cancellation rate", fmt.percent(summary.cancellation_rate), { note: `${fmt.number(summary.cancelled)} cancelled` }));
  }

  // -- chart ----------------------------------------------------------------------------------------------
  const SVG = "http://www.w3.org/2000/svg";
  function s(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children) if (child) node.append(child instanceof Node ? child : document.createTextNode(child));
    return node;
  }

  /* The top of the y axis: four equal whole-number steps (1, 2, 5 × 10ⁿ) that reach the tallest bar. */
  function niceMax(value) {
    const rough = Math.max(1, value / 4);
    const magnitude = 10 ** Math.floor(Math.log10(rough));
    const step = [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= rough);
    return step * 4;
  }

  let tip;
  function showTip(event, text) {
    if (!tip) {
      tip = h("div", { class: "chart-tip", role: "presentation" });
      document.body.append(tip);
    }
    tip.textContent = text;
    tip.hidden = false;
    tip.style.left = `${Math.min(event.clientX + 12, window.innerWidth - 220)}px`;
    tip.style.top = `${event.clientY + 12}px`;
  }
  function hideTip() { if (tip) tip.hidden = true; }

  function renderChart(data) {
    const container = document.querySelector("[data-chart]");
    const totals = data.dates.map((_, i) => SERIES.reduce((sum, [key]) => sum + data.series[key][i], 0));
    const grand = totals.reduce((a, b) => a + b, 0);
    if (!grand) {
      state.empty(container, { title: "No backorders in this period",
        text: "When shoppers order items that are out of stock, each day's backorders show here." });
      return;
    }
    const width = 880, height = 260, left = 40, right = 8, top = 8, bottom = 28;
    const plotW = width - left - right, plotH = height - top - bottom;
    const max = niceMax(Math.max(...totals));
    const slot = plotW / data.dates.length;
    const barW = Math.max(2, Math.min(28, slot * 0.7));
    const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-label": `Backorders placed per day over the last ${data.days} days: ${grand} in all. A table with the same numbers follows.` });
    const grid = s("g", { class: "grid" });
    for (let i = 0; i <= 4; i++) {
      const y = top + plotH - (plotH * i) / 4;
      grid.append(s("line", { x1: left, x2: width - right, y1: y, y2: y }));
      svg.append(s("text", { class: "axis", x: left - 8, y: y + 4, "text-anchor": "end" }, String(Math.round((max * i) / 4))));
    }
    svg.prepend(grid);
    const labelEvery = Math.ceil(data.dates.length / 10);
    data.dates.forEach((day, i) => {
      const x = left + i * slot + (slot - barW) / 2;
      let y = top + plotH;
      const group = s("g", { class: "bar" });
      const parts = [];
      for (const [key, label, colour] of SERIES) {
        const value = data.series[key][i];
        if (!value) continue;
        const barH = (plotH * value) / max;
        y -= barH;
        group.append(s("rect", { x, y, width: barW, height: Math.max(barH, 1), fill: colour, rx: 1 }));
        parts.push(`${value} ${label.toLowerCase()}`);
      }
      const text = `${fmt.date(day)}: ${totals[i]} backorder${totals[i] === 1 ? "" : "s"}${parts.length ? " (" + parts.join(", ") + ")" : ""}`;
      const hit = s("rect", { x: left + i * slot, y: top, width: slot, height: plotH, fill: "transparent" });
      hit.addEventListener("mousemove", (event) => showTip(event, text));
      hit.addEventListener("mouseleave", hideTip);
      group.append(hit);
      svg.append(group);
      if (i % labelEvery === 0) {
        svg.append(s("text", { class: "axis", x: left + i * slot + slot / 2, y: height - 8, "text-anchor": "middle" }, fmt.shortDate(day)));
      }
    });
    const legend = h("ul", { class: "legend" }, SERIES.map(([key, label]) => h("li", null,
      h("span", { class: `legend-swatch swatch-${key}`, "aria-hidden": "true" }), label,
      h("span", { class: "visually-hidden" }, `: ${data.series[key].reduce((a, b) => a + b, 0)}`))));
    const tableId = "chart-table";
    const toggle = h("button", { type: "button", class: "btn btn-subtle btn-small", "aria-expanded": "false", "aria-controls": tableId }, "Show as table");
    const table = h("div", { class: "table-wrap", id: tableId, hidden: true }, h("table", { class: "table table-compact" },
      h("caption", { class: "visually-hidden" }, "Backorders placed per day, by where they are now"),
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "Day"), SERIES.map(([, label]) => h("th", { scope: "col", class: "num" }, label)),
        h("th", { scope: "col", class: "num" }, "Total"))),
      h("tbody", null, data.dates.map((day, i) => totals[i] ? h("tr", null, h("th", { scope: "row" }, fmt.date(day)),
        SERIES.map(([key]) => h("td", { class: "num" }, String(data.series[key][i]))), h("td", { class: "num" }, String(totals[i]))) : null))));
    toggle.addEventListener("click", () => {
      const open = table.hidden;
      table.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "Hide table" : "Show as table";
    });
    replace(container, svg, h("div", { class: "actions" }, legend, h("span", { class: "spacer" }), toggle), table);
  }

  // -- lists ----------------------------------------------------------------------------------------------
  function renderTop(rows) {
    const container = document.querySelector("[data-top-variants]");
    if (!rows.length) {
      state.empty(container, { title: "Nobody is waiting", text: "Variants with backordered units waiting for stock show here." });
      return;
    }
    replace(container, h("div", { class: "table-wrap" }, h("table", { class: "table table-compact" },
      h("caption", { class: "visually-hidden" }, "Variants with the most units waiting"),
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "Variant"), h("th", { scope: "col", class: "num" }, "Waiting"),
        h("th", { scope: "col", class: "num" }, "Backorders"), h("th", { scope: "col", class: "num" }, "Incoming"))),
      h("tbody", null, rows.map((row) => h("tr", null,
        h("td", null, h("a", { class: "cell-title", href: `/backorders/?variant_id=${row.variant_id}` }, row.product_name || `Variant ${row.variant_id}`),
          h("div", { class: "cell-sub" }, row.sku || `variant ${row.variant_id}`)),
        h("td", { class: "num" }, fmt.number(row.units_waiting)),
        h("td", { class: "num" }, fmt.number(row.backorders)),
        h("td", { class: "num" }, row.units_incoming ? fmt.number(row.units_incoming) : h("span", { class: "muted" }, "none"))))))));
  }

  function renderAtRisk(atRisk, today) {
    const container = document.querySelector("[data-at-risk]");
    if (!atRisk.results.length) {
      state.empty(container, { title: "Nothing at risk", text: "Every waiting backorder is on track for its date." });
      return;
    }
    replace(container, h("div", { class: "table-wrap" }, h("table", { class: "table table-compact" },
      h("caption", { class: "visually-hidden" }, "Backorders at risk"),
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "Backorder"), h("th", { scope: "col", class: "num" }, "Units"),
        h("th", { scope: "col" }, "Expected"), h("th", { scope: "col" }, "Promised"))),
      h("tbody", null, atRisk.results.map((row) => {
        const late = row.expected_ship_date && row.expected_ship_date < today;
        const moved = row.promised_ship_date && row.expected_ship_date && row.expected_ship_date > row.promised_ship_date;
        return h("tr", null,
          h("td", null, h("a", { class: "cell-title", href: `/backorders/${row.id}/` }, row.product_name || row.sku || `Variant ${row.variant_id}`),
            h("div", { class: "cell-sub" }, `Order #${row.order_id} · ${row.customer_email}`)),
          h("td", { class: "num" }, fmt.number(row.quantity - row.quantity_allocated)),
          h("td", null, h("div", { class: "nowrap" }, fmt.date(row.expected_ship_date)),
            late ? badge("failed", "Late") : moved ? badge("pending", "Later than promised") : badge("pending", "Due soon")),
          h("td", { class: "nowrap" }, fmt.date(row.promised_ship_date)));
      }))),
      atRisk.count > atRisk.results.length ? h("p", { class: "small muted" }, `${fmt.number(atRisk.count)} at risk in all.`) : null));
  }

  // -- loading --------------------------------------------------------------------------------------------
  let currency = "USD";
  async function load(days) {
    const areas = ["[data-kpis]", "[data-chart]", "[data-top-variants]", "[data-at-risk]"].map((sel) => document.querySelector(sel));
    try {
      const body = await api(`/api/v1/dashboard/?days=${days}`);
      renderFigures(body.summary, currency);
      renderChart(body.over_time);
      renderTop(body.top_variants);
      renderAtRisk(body.at_risk, body.today);
      if (body.at_risk.results[0]) currency = body.at_risk.results[0].currency || currency;
    } catch (error) {
      areas.forEach((area) => state.error(area, error, () => load(days)));
    }
  }

  async function loadChart(days) {
    const container = document.querySelector("[data-chart]");
    state.loading(container, "Loading chart…");
    try {
      const body = await api(`/api/v1/dashboard/?days=${days}`);
      renderChart(body.over_time);
      announce(`Chart shows the last ${days} days.`);
    } catch (error) {
      state.error(container, error, () => loadChart(days));
    }
  }

  document.querySelectorAll("[data-days]").forEach((button) => button.addEventListener("click", () => {
    document.querySelectorAll("[data-days]").forEach((other) => other.setAttribute("aria-pressed", String(other === button)));
    loadChart(Number(button.dataset.days));
  }));

  loadOnboarding();
  load(30);
})();
