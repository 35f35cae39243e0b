/* One purchase order: details, lines (quantity and date editable), receiving (all or part), the receipts and
 * the backorders its units went to. */
(function () {
  "use strict";
  const { api, h, replace, fmt, badge, state, toast, dialog, showErrors, clearErrors, busy } = window.BO;

  const id = document.querySelector("[data-po-id]").dataset.poId;
  const detail = document.querySelector("[data-detail]");
  const actions = document.querySelector("[data-actions]");

  function detailsForm(order) {
    const editable = order.status !== "cancelled";
    const form = h("form", { class: "panel", novalidate: true, "aria-labelledby": "details-title" },
      h("h2", { id: "details-title" }, "Details"),
      h("div", { class: "form-grid" },
        h("div", { class: "field" }, h("label", { for: "supplier" }, "Supplier"),
          h("input", { class: "input", id: "supplier", name: "supplier", value: order.supplier, maxlength: "200", disabled: !editable })),
        h("div", { class: "field" }, h("label", { for: "reference" }, "Reference"),
          h("input", { class: "input", id: "reference", name: "reference", value: order.reference, maxlength: "100", disabled: !editable })),
        h("div", { class: "field span-2" }, h("label", { for: "notes" }, "Notes"),
          h("textarea", { class: "textarea", id: "notes", name: "notes", disabled: !editable }, order.notes))),
      editable ? h("div", { class: "form-footer" }, h("span", { class: "spacer" }), h("button", { class: "btn", type: "submit" }, "Save details")) : null);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      try {
        await busy(form.querySelector("button[type=submit]"), () => api(`/api/v1/purchase-orders/${id}/`, { method: "PATCH",
          body: { supplier: form.elements.supplier.value, reference: form.elements.reference.value, notes: form.elements.notes.value } }));
        toast("Details saved.");
        load();
      } catch (error) {
        showErrors(form, error);
      }
    });
    return form;
  }

  function linesPanel(order) {
    const receivable = order.status === "open" || order.status === "partly_received";
    const rows = order.lines.map((line) => {
      const outstanding = line.quantity - line.quantity_received;
      const quantity = h("input", { class: "input input-small", type: "number", min: String(Math.max(1, line.quantity_received)),
        value: String(line.quantity), "aria-label": `Ordered units of ${line.product_name || "variant " + line.variant_id}`, disabled: !receivable });
      const date = h("input", { class: "input", type: "date", value: line.expected_date,
        "aria-label": `Expected date of ${line.product_name || "variant " + line.variant_id}`, disabled: !receivable || !outstanding });
      const save = h("button", { type: "button", class: "btn btn-small", hidden: true }, "Save line");
      const changed = () => { save.hidden = quantity.value === String(line.quantity) && date.value === line.expected_date; };
      quantity.addEventListener("input", changed);
      date.addEventListener("input", changed);
      save.addEventListener("click", async () => {
        const body = {};
        if (quantity.value !== String(line.quantity)) body.quantity = Number(quantity.value);
        if (date.value !== line.expected_date) body.expected_date = date.value;
        try {
          await busy(save, () => api(`/api/v1/purchase-orders/${id}/lines/${line.id}/`, { method: "PATCH", body }));
          toast("Line saved; waiting backorders have their new dates.");
          load();
        } catch (error) {
          toast(Object.values(error.fields || {}).flat().join(" ") || error.message, "danger");
        }
      });
      const receive = h("input", { class: "input input-small", type: "number", min: "0", max: String(outstanding), value: "0",
        name: `receive-${line.variant_id}`, "aria-label": `Units of ${line.product_name || "variant " + line.variant_id} to receive now`,
        disabled: !receivable || !outstanding });
      return h("tr", null,
        h("td", null, h("div", { class: "cell-title" }, line.product_name || `Variant ${line.variant_id}`),
          h("div", { class: "cell-sub" }, [line.option_label, line.sku, `variant ${line.variant_id}`].filter(Boolean).join(" · "))),
        h("td", null, quantity),
        h("td", { class: "num" }, fmt.number(line.quantity_received)),
        h("td", { class: "num" }, fmt.number(outstanding)),
        h("td", null, h("div", { class: "actions" }, date, save)),
        h("td", null, receive));
    });
    const form = h("form", { novalidate: true },
      h("div", { class: "table-wrap" }, h("table", { class: "table table-form" },
        h("caption", { class: "visually-hidden" }, "Lines of the purchase order"),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Variant"), h("th", { scope: "col" }, "Ordered"),
          h("th", { scope: "col", class: "num" }, "Received"), h("th", { scope: "col", class: "num" }, "Outstanding"),
          h("th", { scope: "col" }, "Expected"), h("th", { scope: "col" }, "Receive now"))),
        h("tbody", null, rows))),
      receivable ? h("div", { class: "form-footer" },
        h("p", { class: "muted small spacer" }, "Received units go to the oldest waiting backorders first, then to stock in BigCommerce."),
        h("button", { class: "btn", type: "submit", value: "part", dataset: { receive: "part" } }, "Receive entered units"),
        h("button", { class: "btn btn-primary", type: "button", dataset: { receive: "all" } }, "Receive everything outstanding")) : null);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const lines = order.lines.map((line) => ({ variant_id: line.variant_id, quantity: Number(form.elements[`receive-${line.variant_id}`]?.value) || 0 }))
        .filter((line) => line.quantity > 0);
      if (!lines.length) { toast("Enter the units that arrived on at least one line.", "danger"); return; }
      receive(event.submitter, { lines });
    });
    const all = form.querySelector('[data-receive="all"]');
    if (all) all.addEventListener("click", async () => {
      const outstanding = order.lines.reduce((sum, line) => sum + line.quantity - line.quantity_received, 0);
      const ok = await dialog({ title: "Receive everything outstanding?", confirm: `Receive ${outstanding} units`,
        description: "Every outstanding unit is added to your stock and given to waiting backorders, oldest first." });
      if (ok) receive(all, {});
    });
    return h("section", { class: "panel panel-flush", "aria-labelledby": "lines-title" },
      h("div", { class: "panel-header" }, h("h2", { id: "lines-title" }, "Lines")), form);
  }

  async function receive(button, body) {
    try {
      const result = await busy(button, () => api(`/api/v1/purchase-orders/${id}/receive/`, { method: "POST", body }));
      const given = result.allocations.reduce((sum, a) => sum + a.quantity, 0);
      toast(`Received. ${given ? given + " unit" + (given === 1 ? "" : "s") + " allocated to backorders so far." : "Allocation follows in a few seconds."}`);
      render(result);
      if (!given) window.setTimeout(load, 3000);
    } catch (error) {
      toast(Object.values(error.fields || {}).flat().join(" ") || error.message, "danger");
    }
  }

  function allocationsPanel(order) {
    const body = order.allocations.length
      ? h("div", { class: "table-wrap" }, h("table", { class: "table" },
        h("caption", { class: "visually-hidden" }, "Backorders that received units from this purchase order"),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Backorder"), h("th", { scope: "col" }, "Shopper"),
          h("th", { scope: "col", class: "num" }, "Units"), h("th", { scope: "col" }, "Now"), h("th", { scope: "col" }, "When"))),
        h("tbody", null, order.allocations.map((a) => h("tr", null,
          h("td", null, h("a", { class: "cell-title", href: `/backorders/${a.backorder_id}/` }, `Order #${a.order_id}`),
            h("div", { class: "cell-sub" }, `variant ${a.variant_id}`)),
          h("td", null, a.customer_email), h("td", { class: "num" }, fmt.number(a.quantity)), h("td", null, badge(a.backorder_status)),
          h("td", null, fmt.dateTime(a.created_at)))))))
      : h("p", { class: "muted panel-note" }, order.receipts.length
        ? "No waiting backorder needed these units: they went to stock."
        : "When you receive units, the backorders they fill are listed here.");
    return h("section", { class: "panel panel-flush", "aria-labelledby": "alloc-title" },
      h("div", { class: "panel-header" }, h("h2", { id: "alloc-title" }, "Backorders filled by this purchase order")), body);
  }

  function receiptsPanel(order) {
    if (!order.receipts.length) return null;
    return h("section", { class: "panel", "aria-labelledby": "receipts-title" }, h("h2", { id: "receipts-title" }, "Receipts"),
      h("ul", { class: "plain-list" }, order.receipts.map((r) => h("li", null, h("strong", null, fmt.dateTime(r.received_at)), ": ",
        r.lines.map((line) => `${line.quantity} × variant ${line.variant_id}`).join(", ")))));
  }

  function render(order) {
    document.querySelector("[data-title]").textContent = order.reference ? `Purchase order ${order.reference}` : `Purchase order ${order.id}`;
    replace(document.querySelector("[data-lead]"), badge(order.status), " ", order.supplier ? `from ${order.supplier} · ` : "",
      `created ${fmt.date(order.created_at)}`);
    if (order.location_id && order.location_id !== 1) { // a store with several locations: where the units arrive
      const at = h("span", { "data-location": "" }, ` · received at location ${order.location_id}`);
      document.querySelector("[data-lead]").append(at);
      api("/api/v1/locations/").then((locations) => {
        const found = locations.find((location) => location.location_id === order.location_id);
        if (found) at.textContent = ` · received at ${found.label}`;
      }).catch(() => {});
    }
    const cancellable = order.status === "open" || order.status === "partly_received";
    replace(actions, cancellable ? h("button", { type: "button", class: "btn btn-danger-outline", onclick: async (event) => {
      const button = event.currentTarget;
      const ok = await dialog({ title: "Cancel this purchase order?", danger: true, confirm: "Cancel purchase order",
        description: "Its outstanding units stop counting as incoming stock; waiting backorders get later dates if they counted on them." });
      if (!ok) return;
      try {
        await busy(button, () => api(`/api/v1/purchase-orders/${id}/`, { method: "PATCH", body: { status: "cancelled" } }));
        toast("Purchase order cancelled.");
        load();
      } catch (error) {
        toast(Object.values(error.fields || {}).flat().join(" ") || error.message, "danger");
      }
    } }, "Cancel purchase order") : null);
    replace(detail, linesPanel(order), allocationsPanel(order), h("div", { class: "grid-2" }, detailsForm(order), receiptsPanel(order)));
  }

  async function load() {
    try {
      render(await api(`/api/v1/purchase-orders/${id}/`));
    } catch (error) {
      if (error.status === 404) {
        state.empty(detail, { title: "This purchase order does not exist", action: h("a", { class: "btn", href: "/purchase-orders/" }, "All purchase orders") });
      } else {
        state.error(detail, error, load);
      }
    }
  }

  if (new URLSearchParams(window.location.search).get("created")) toast("Purchase order created. Shoppers' dates now count on it.");
  load();
})();
