/* Purchase orders: the list, newest first. */
(function () {
  "use strict";
  const { api, h, replace, fmt, badge, state, pager } = window.BO;
  const PAGE_SIZE = 25;
  const results = document.querySelector("[data-results]");
  const statusSelect = document.querySelector("[data-status]");
  let page = 1;

  async function load() {
    state.loading(results, "Loading purchase orders…");
    try {
      const status = statusSelect.value;
      const body = await api(`/api/v1/purchase-orders/?page_size=${PAGE_SIZE}&page=${page}${status ? "&status=" + status : ""}`);
      if (!body.results.length) {
        state.empty(results, status ? { title: "No purchase order has this status" } : {
          title: "No purchase orders yet",
          text: "Record stock you ordered from a supplier: shoppers are promised its date, and receiving it fills backorders.",
          action: h("a", { class: "btn btn-primary", href: "/purchase-orders/new/" }, "New purchase order") });
        return;
      }
      replace(results, h("div", { class: "table-wrap" }, h("table", { class: "table" },
        h("caption", { class: "visually-hidden" }, "Purchase orders, newest first"),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Reference"), h("th", { scope: "col" }, "Supplier"), h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col", class: "num" }, "Lines"), h("th", { scope: "col", class: "num" }, "Units received"), h("th", { scope: "col" }, "Next expected"),
          h("th", { scope: "col" }, "Created"))),
        h("tbody", null, body.results.map((order) => {
          const ordered = order.lines.reduce((sum, line) => sum + line.quantity, 0);
          const received = order.lines.reduce((sum, line) => sum + line.quantity_received, 0);
          const open = order.lines.filter((line) => line.quantity_received < line.quantity).map((line) => line.expected_date).sort();
          return h("tr", null,
            h("td", null, h("a", { class: "cell-title", href: `/purchase-orders/${order.id}/` }, order.reference || `PO ${order.id}`)),
            h("td", null, order.supplier || h("span", { class: "muted" }, "—")),
            h("td", null, badge(order.status)),
            h("td", { class: "num" }, String(order.lines.length)),
            h("td", { class: "num" }, `${fmt.number(received)} of ${fmt.number(ordered)}`),
            h("td", null, order.status === "cancelled" || !open.length ? "—" : fmt.date(open[0])),
            h("td", null, fmt.date(order.created_at)));
        })))),
        pager({ count: body.count, page, pageSize: PAGE_SIZE, label: "purchase orders", onPage: (next) => { page = next; load(); } }));
    } catch (error) {
      state.error(results, error, load);
    }
  }
  statusSelect.addEventListener("change", () => { page = 1; load(); });
  load();
})();
