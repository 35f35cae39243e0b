/* Backorders: filters (kept in the address bar), search, sorting, pages, selection and bulk actions. */
(function () {
  "use strict";
  const { api, h, replace, fmt, badge, state, toast, announce, debounce, query, pager, dialog, busy } = window.BO;

  const PAGE_SIZE = 25;
  const form = document.querySelector("[data-filters]");
  const results = document.querySelector("[data-results]");
  const countLabel = document.querySelector("[data-count]");
  const bulkbar = document.querySelector("[data-bulkbar]");
  const chips = document.querySelector("[data-chips]");
  const exportAll = document.querySelector("[data-export-all]");
  const FILTERS = ["q", "status", "ordered_from", "ordered_to", "late", "at_risk", "product_id", "variant_id"];
  const SORTABLE = { order: "age", quantity: "quantity", date: "date" };

  const initial = query.read();
  let current = { sort: initial.sort || "-age", page: Number(initial.page) || 1 };
  const selected = new Set();
  let rows = [];
  let sequence = 0;

  for (const name of FILTERS) {
    const input = form.elements[name];
    if (!input || initial[name] === undefined) continue;
    if (input.type === "checkbox") input.checked = initial[name] === "true";
    else input.value = initial[name];
  }

  function filters() {
    const values = {};
    for (const name of FILTERS) {
      const input = form.elements[name];
      if (!input) continue;
      values[name] = input.type === "checkbox" ? (input.checked ? "true" : "") : input.value.trim();
    }
    return values;
  }

  function renderChips(values) {
    const items = [];
    if (values.product_id) items.push(["product_id", `Product ${values.product_id}`]);
    if (values.variant_id) items.push(["variant_id", `Variant ${values.variant_id}`]);
    chips.hidden = !items.length;
    replace(chips, items.map(([name, label]) => h("button", {
      type: "button", class: "btn btn-small", "aria-label": `Remove filter: ${label}`,
      onclick: () => { form.elements[name].value = ""; reload(true); },
    }, label, " ×")));
  }

  async function load() {
    const mine = ++sequence;
    const values = filters();
    renderChips(values);
    query.write({ ...values, sort: current.sort === "-age" ? "" : current.sort, page: current.page > 1 ? current.page : "" });
    exportAll.href = `/api/v1/backorders/export/?${query.string({ ...values, sort: current.sort })}`;
    state.loading(results, "Loading backorders…");
    try {
      const body = await api(`/api/v1/backorders/?${query.string({ ...values, sort: current.sort, page: current.page, page_size: PAGE_SIZE })}`);
      if (mine !== sequence) return;
      rows = body.results;
      countLabel.textContent = `${fmt.number(body.count)} backorder${body.count === 1 ? "" : "s"}`;
      render(body);
    } catch (error) {
      if (mine !== sequence) return;
      if (error.status === 404 && current.page > 1) { current.page = 1; load(); return; }
      countLabel.textContent = "";
      state.error(results, error, load);
    }
  }

  function reload(resetPage) {
    if (resetPage) current.page = 1;
    load();
  }

  function sortHeader(key, label) {
    const field = SORTABLE[key];
    if (!field) return h("th", { scope: "col", class: key === "quantity" ? "num" : "" }, label);
    const direction = current.sort === field ? "ascending" : current.sort === `-${field}` ? "descending" : null;
    return h("th", { scope: "col", class: key === "quantity" ? "num" : "", "aria-sort": direction || "none" },
      h("button", { type: "button", class: "sort-button", onclick: () => {
        current.sort = current.sort === field ? `-${field}` : field;
        reload(true);
        announce(`Sorted by ${label}, ${current.sort.startsWith("-") ? "descending" : "ascending"}.`);
      } }, label));
  }

  function render(body) {
    if (!body.results.length) {
      const filtered = Object.values(filters()).some(Boolean);
      state.empty(results, filtered
        ? { title: "No backorder matches these filters", text: "Try another search, or clear the filters.",
            action: h("button", { type: "button", class: "btn", onclick: () => { form.reset(); reload(true); } }, "Clear filters") }
        : { title: "No backorders yet", text: "They appear here as soon as shoppers order items that are out of stock and your policy allows it.",
            action: h("a", { class: "btn", href: "/policies/" }, "Review your policies") });
      updateBulkbar();
      return;
    }
    const today = new Date().toISOString().slice(0, 10);
    const allOnPage = h("input", { type: "checkbox", "aria-label": "Select every backorder on this page",
      checked: body.results.every((row) => selected.has(row.id)),
      onchange: (event) => {
        body.results.forEach((row) => (event.target.checked ? selected.add(row.id) : selected.delete(row.id)));
        results.querySelectorAll("tbody input[type=checkbox]").forEach((box) => { box.checked = event.target.checked; });
        updateBulkbar();
      } });
    const table = h("table", { class: "table" },
      h("caption", { class: "visually-hidden" }, "Backorders; column headers with buttons sort the list"),
      h("thead", null, h("tr", null, h("th", { class: "cell-check", scope: "col" }, allOnPage),
        sortHeader("order", "Order"), sortHeader("item", "Item"), sortHeader("quantity", "Units"), sortHeader("status", "Status"),
        sortHeader("date", "Expected"), sortHeader("customer", "Customer"))),
      h("tbody", null, body.results.map((row) => {
        const late = row.status === "waiting" && row.expected_ship_date && (row.expected_ship_date < today ||
          (row.promised_ship_date && row.expected_ship_date > row.promised_ship_date));
        return h("tr", null,
          h("td", { class: "cell-check" }, h("input", { type: "checkbox", "aria-label": `Select order ${row.order_id}, ${row.product_name}`,
            checked: selected.has(row.id), onchange: (event) => {
              if (event.target.checked) selected.add(row.id); else selected.delete(row.id);
              updateBulkbar();
            } })),
          h("td", null, h("a", { class: "cell-title", href: `/backorders/${row.id}/` }, `#${row.order_id}`),
            h("div", { class: "cell-sub" }, fmt.dateTime(row.order_created_at))),
          h("td", null, h("div", null, row.product_name || `Variant ${row.variant_id}`), h("div", { class: "cell-sub" }, row.sku || `variant ${row.variant_id}`)),
          h("td", { class: "num" }, fmt.number(row.quantity),
            row.quantity_allocated && row.status === "waiting" ? h("div", { class: "cell-sub" }, `${row.quantity_allocated} allocated`) : null),
          h("td", null, badge(row.status)),
          h("td", { class: "nowrap" }, fmt.date(row.expected_ship_date), late ? h("div", null, badge("failed", "Late")) : null),
          h("td", null, h("div", null, row.customer_name || row.customer_email), row.customer_name ? h("div", { class: "cell-sub" }, row.customer_email) : null));
      })));
    replace(results, h("div", { class: "table-wrap" }, table),
      pager({ count: body.count, page: current.page, pageSize: PAGE_SIZE, label: "backorders", onPage: (page) => {
        current.page = page;
        load();
        document.getElementById("list-title").scrollIntoView({ behavior: "smooth", block: "start" });
      } }));
    updateBulkbar();
  }

  function updateBulkbar() {
    bulkbar.hidden = selected.size === 0;
    bulkbar.querySelector("[data-selected-count]").textContent = `${selected.size} selected`;
  }

  async function act(action, extra, button) {
    const ids = Array.from(selected);
    try {
      const body = await busy(button, () => api("/api/v1/backorders/actions/", { method: "POST", body: { action, ids, ...extra } }));
      report(action, body);
    } catch (error) {
      if (error.status === 409 && error.body && error.body.refused) report(action, error.body);
      else toast(error.message, "danger");
    }
  }

  function report(action, body) {
    const verbs = { allocate: "Allocation ran for", cancel: "Cancelled", change_date: "New date for", mark_shipped: "Marked shipped:" };
    const refused = Object.entries(body.refused || {});
    if (body.done.length) toast(`${verbs[action]} ${body.done.length} backorder${body.done.length === 1 ? "" : "s"}.`);
    if (refused.length) {
      toast(`${refused.length} not changed: ${refused.slice(0, 3).map(([id, why]) => `#${id} ${why}`).join(" ")}`, "danger");
    }
    body.done.forEach((id) => selected.delete(id));
    load();
  }

  bulkbar.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-bulk]");
    if (!button) return;
    const kind = button.dataset.bulk;
    if (kind === "clear") { selected.clear(); results.querySelectorAll("input[type=checkbox]").forEach((box) => { box.checked = false; }); updateBulkbar(); return; }
    if (kind === "export") { window.location.assign(`/api/v1/backorders/export/?ids=${Array.from(selected).join(",")}`); return; }
    if (kind === "allocate") { act("allocate", {}, button); return; }
    if (kind === "change_date") {
      const values = await dialog({ title: `New expected date for ${selected.size} backorder${selected.size === 1 ? "" : "s"}`,
        description: "Shoppers are told when their date moves. Only waiting backorders have a date to change.",
        confirm: "Change date",
        body: h("div", { class: "field" }, h("label", { for: "bulk-date" }, "Expected ship date"),
          h("input", { class: "input", id: "bulk-date", name: "expected_ship_date", type: "date", required: true }),
          h("label", { for: "bulk-reason", class: "field-label" }, "Reason (optional, shown on the timeline)"),
          h("input", { class: "input", id: "bulk-reason", name: "reason", maxlength: "200" })) });
      if (values) act("change_date", values, button);
      return;
    }
    if (kind === "cancel") {
      const values = await dialog({ title: `Cancel ${selected.size} backorder${selected.size === 1 ? "" : "s"}?`, danger: true,
        description: "Their units are released to the next shoppers in line, and BigCommerce is told.", confirm: "Cancel backorders",
        body: h("div", { class: "field" }, h("label", { for: "bulk-cancel-reason" }, "Reason (sent to the shopper)"),
          h("input", { class: "input", id: "bulk-cancel-reason", name: "reason", maxlength: "200", required: true }),
          h("label", { class: "check" }, h("input", { type: "checkbox", name: "refund", value: "true", checked: true }), "Refund the shopper in BigCommerce")) });
      if (values) act("cancel", { reason: values.reason, refund: values.refund === "true" }, button);
    }
  });

  form.addEventListener("input", debounce((event) => { if (event.target.name === "q") reload(true); }, 350));
  form.addEventListener("change", (event) => { if (event.target.name !== "q") reload(true); });
  form.addEventListener("submit", (event) => { event.preventDefault(); reload(true); });
  form.addEventListener("reset", () => window.setTimeout(() => {
    form.elements.product_id.value = "";
    form.elements.variant_id.value = "";
    reload(true);
  }, 0));

  load();
})();
