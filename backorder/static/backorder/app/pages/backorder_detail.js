/* One backorder: what was ordered, where it stands, its timeline (events, e-mails, coupon) and actions. */
(function () {
  "use strict";
  const { api, h, replace, fmt, badge, state, toast, dialog, busy } = window.BO;

  const id = document.querySelector("[data-backorder-id]").dataset.backorderId;
  const detail = document.querySelector("[data-detail]");
  const actions = document.querySelector("[data-actions]");

  const KINDS = {
    captured: "Backorder recorded from the order",
    allocated: "Stock allocated: ready to ship",
    partly_allocated: "Part of the units allocated",
    units_released: "Units released",
    delayed: "Expected date moved later",
    brought_forward: "Expected date brought forward",
    date_changed: "Expected date set",
    date_brought_forward: "Expected date brought forward",
    shipped: "Shipped",
    shipped_partly: "Partly shipped",
    shipped_unallocated: "Shipped before stock was allocated",
    cancelled: "Cancelled",
    refunded: "Refunded",
    refund_due: "Refund needs doing by hand",
    group_not_allowed: "Its customer group's policy does not allow this backorder",
    delay_accepted: "Shopper accepted the new date",
    delay_consent_cleared: "Delay no longer needs the shopper's consent",
    consent_auto_cancelled: "Cancelled: the shopper did not accept the delay",
    shipping_preference_changed: "Shopper changed how to ship",
    incentive_offered: "Coupon offered for the wait",
    bigcommerce_follow_up_owed: "BigCommerce update queued",
    bigcommerce_follow_up_done: "BigCommerce updated",
    bigcommerce_follow_up_failed: "BigCommerce could not be updated (will retry)",
    bigcommerce_follow_up_caught_up: "BigCommerce updated after reconnecting",
  };
  const ACTORS = { system: "Backorder", merchant: "Merchant", shopper: "Shopper", staff: "Support", bigcommerce: "BigCommerce" };

  // A store with several locations names where units came from and where a pickup waits (labels, when known).
  const locationLabels = new Map();
  async function locationNames(backorder) {
    const elsewhere = backorder.pickup || backorder.timeline.some((event) => (event.details || {}).location_id > 1);
    if (!elsewhere || locationLabels.size) return;
    try {
      for (const location of await api("/api/v1/locations/")) locationLabels.set(location.location_id, location.label);
    } catch (error) { /* the ids are shown instead */ }
  }
  const locationName = (locationId) => locationLabels.get(locationId) || `location ${locationId}`;

  function eventText(event) {
    const d = event.details || {};
    const bits = [];
    if (d.from !== undefined || d.to !== undefined) bits.push(`${fmt.date(d.from)} → ${fmt.date(d.to)}`);
    if (d.units) bits.push(`${d.units} unit${d.units === 1 ? "" : "s"}${d.source ? " from " + sourceText(d.source) : ""}${d.location_id > 1 ? ` at ${locationName(d.location_id)}` : ""}`);
    if (d.quantity_shipped) bits.push(`${d.quantity_shipped} shipped`);
    if (d.amount) bits.push(`amount ${d.amount}`);
    if (d.reason) bits.push(d.reason);
    if (d.error) bits.push(d.error);
    return bits.join(" · ");
  }

  function sourceText(source) {
    if (source.startsWith("purchase_order:")) return `purchase order ${source.split(":")[1]}`;
    return { restock: "a restock", merchant: "your allocation", release: "released units" }[source] || source;
  }

  function dotKind(kind) {
    if (["allocated", "shipped"].includes(kind)) return "kind-good";
    if (["cancelled", "refund_due", "consent_auto_cancelled", "group_not_allowed"].includes(kind)) return "kind-alert";
    return "";
  }

  async function emails(backorder) {
    if (document.body.dataset.notifications !== "1") return { items: [], note: null };
    try {
      // E-mails about this line, and those about its whole order (a confirmation lists every line).
      const [own, order] = await Promise.all([
        api(`/api/v1/notifications/?backorder_id=${backorder.id}&page_size=100`),
        api(`/api/v1/notifications/?order_id=${backorder.order_id}&page_size=100`),
      ]);
      const seen = new Set();
      const body = { results: [...own.results, ...order.results].filter((m) => (seen.has(m.id) ? false : seen.add(m.id))) };
      const words = { sent: "sent", pending: "waiting to be sent", sending: "sending", failed: "failed", unknown: "outcome unknown",
        cancelled: "not sent", suppressed: "not sent: unsubscribed" };
      return { items: body.results.map((m) => ({ at: m.sent_at || m.created_at, kind: "mail",
        title: `E-mail: ${m.subject || m.kind.replace(/_/g, " ")}`, meta: `to ${m.recipient} · ${words[m.status] || m.status}`,
        link: `/notifications/log/?backorder_id=${backorder.id}` })), note: null };
    } catch (error) {
      return { items: [], note: `E-mails could not be loaded: ${error.message}` };
    }
  }

  function timeline(backorder, mail) {
    const items = backorder.timeline.map((event) => ({
      at: event.at, kind: dotKind(event.kind), title: KINDS[event.kind] || event.kind.replace(/_/g, " "),
      meta: [ACTORS[event.actor] || event.actor, event.actor_label].filter(Boolean).join(" · "), text: eventText(event),
    }));
    if (backorder.incentive) {
      const c = backorder.incentive;
      items.push({ at: c.offered_at || c.created_at, kind: "kind-coupon", title: `Coupon ${c.code}: ${Number(c.percent)}% off`,
        meta: `${c.status} · expires ${fmt.date(c.expires_on)}` });
    }
    items.push(...mail.items.map((m) => ({ ...m, kind: "kind-mail" })));
    items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    if (!items.length) return h("p", { class: "timeline-empty" }, "Nothing has happened to this backorder yet.");
    return h("ol", { class: "timeline" }, items.map((item) => h("li", null,
      h("span", { class: `timeline-dot ${item.kind || ""}`, "aria-hidden": "true" }),
      h("div", { class: "timeline-title" }, item.title),
      h("div", { class: "timeline-meta" }, h("time", { datetime: item.at }, fmt.dateTime(item.at)), item.meta ? ` · ${item.meta}` : ""),
      item.text ? h("div", { class: "small" }, item.text) : null)));
  }

  function renderActions(backorder) {
    const buttons = [];
    const open = backorder.status === "waiting" || backorder.status === "allocated";
    if (backorder.status === "waiting") {
      buttons.push(h("button", { type: "button", class: "btn", onclick: (e) => act(e.currentTarget, "allocate") }, "Allocate stock"));
      buttons.push(h("button", { type: "button", class: "btn", onclick: async (e) => {
        const button = e.currentTarget;
        const values = await dialog({ title: "Change the expected date", confirm: "Change date",
          description: "The shopper is told; a date more than 30 days later needs their consent.",
          body: h("div", { class: "field" }, h("label", { for: "new-date" }, "Expected ship date"),
            h("input", { class: "input", type: "date", id: "new-date", name: "expected_ship_date", required: true, value: backorder.expected_ship_date || "" }),
            h("label", { for: "new-date-reason", class: "field-label" }, "Reason (optional)"),
            h("input", { class: "input", id: "new-date-reason", name: "reason", maxlength: "200" })) });
        if (values) act(button, "change_date", values);
      } }, "Change date"));
    }
    if (open) {
      buttons.push(h("button", { type: "button", class: "btn", onclick: async (e) => {
        const button = e.currentTarget;
        const values = await dialog({ title: "Mark as shipped?", confirm: "Mark shipped",
          description: "Use this when you shipped the units outside BigCommerce's shipments." });
        if (values) act(button, "mark_shipped");
      } }, "Mark shipped"));
      buttons.push(h("button", { type: "button", class: "btn btn-danger-outline", onclick: async (e) => {
        const button = e.currentTarget;
        const values = await dialog({ title: `Cancel order #${backorder.order_id}'s backorder?`, danger: true, confirm: "Cancel backorder",
          description: "The units go to the next shopper in line and BigCommerce is told.",
          body: h("div", { class: "field" }, h("label", { for: "cancel-reason" }, "Reason (sent to the shopper)"),
            h("input", { class: "input", id: "cancel-reason", name: "reason", maxlength: "200", required: true }),
            h("label", { class: "check" }, h("input", { type: "checkbox", name: "refund", value: "true", checked: true }), "Refund the shopper in BigCommerce")) });
        if (values) act(button, "cancel", { reason: values.reason, refund: values.refund === "true" });
      } }, "Cancel backorder"));
    }
    replace(actions, buttons);
  }

  async function act(button, action, extra = {}) {
    try {
      await busy(button, () => api(`/api/v1/backorders/${id}/actions/`, { method: "POST", body: { action, ...extra } }));
      toast({ allocate: "Allocation ran.", change_date: "Date changed.", mark_shipped: "Marked as shipped.", cancel: "Backorder cancelled." }[action]);
    } catch (error) {
      const refused = error.body && error.body.refused ? Object.values(error.body.refused)[0] : null;
      toast(refused || error.message, "danger");
    }
    load();
  }

  async function load() {
    try {
      const backorder = await api(`/api/v1/backorders/${id}/`);
      const mail = await emails(backorder);
      await locationNames(backorder);
      document.querySelector("[data-title]").textContent = `Order #${backorder.order_id}: ${backorder.product_name || "variant " + backorder.variant_id}`;
      document.title = `Order #${backorder.order_id} · Backorders`;
      replace(document.querySelector("[data-lead]"), badge(backorder.status), " ",
        `${backorder.quantity} unit${backorder.quantity === 1 ? "" : "s"} · ordered ${fmt.dateTime(backorder.order_created_at)}`);
      renderActions(backorder);
      const waiting = backorder.quantity - backorder.quantity_allocated;
      replace(detail, h("div", { class: "layout-aside" },
        h("section", { class: "panel", "aria-labelledby": "timeline-title" },
          h("div", { class: "panel-header" }, h("h2", { id: "timeline-title" }, "Timeline")),
          mail.note ? h("p", { class: "alert alert-warning small" }, mail.note) : null,
          document.body.dataset.notifications === "1" ? null : h("p", { class: "muted small" }, "E-mails sent will show here once notifications are set up."),
          timeline(backorder, mail)),
        h("div", null,
          h("section", { class: "panel", "aria-labelledby": "item-title" },
            h("h2", { id: "item-title" }, "Item"),
            h("dl", { class: "facts" },
              h("dt", null, "Product"), h("dd", null, backorder.product_name || "—"),
              h("dt", null, "SKU"), h("dd", null, backorder.sku || "—"),
              h("dt", null, "Variant"), h("dd", null, h("a", { href: `/products/?q=${backorder.variant_id}` }, String(backorder.variant_id))),
              h("dt", null, "Units"), h("dd", null, `${backorder.quantity} ordered · ${backorder.quantity_allocated} allocated · ${backorder.quantity_shipped} shipped`),
              h("dt", null, "Waiting"), h("dd", null, String(waiting)),
              h("dt", null, "Unit price"), h("dd", null, fmt.money(backorder.unit_price, backorder.currency)))),
          h("section", { class: "panel", "aria-labelledby": "dates-title" },
            h("h2", { id: "dates-title" }, "Dates"),
            h("dl", { class: "facts" },
              h("dt", null, "Promised"), h("dd", null, fmt.date(backorder.promised_ship_date)),
              h("dt", null, "Expected"), h("dd", null, fmt.date(backorder.expected_ship_date)),
              h("dt", null, "Allocated"), h("dd", null, fmt.dateTime(backorder.allocated_at)),
              h("dt", null, "Shipped"), h("dd", null, fmt.dateTime(backorder.shipped_at)),
              backorder.cancelled_at ? [h("dt", null, "Cancelled"), h("dd", null, `${fmt.dateTime(backorder.cancelled_at)} · ${backorder.cancellation_reason}`)] : null)),
          h("section", { class: "panel", "aria-labelledby": "shopper-title" },
            h("h2", { id: "shopper-title" }, "Shopper"),
            h("dl", { class: "facts" },
              h("dt", null, "Name"), h("dd", null, backorder.customer_name || "—"),
              h("dt", null, "E-mail"), h("dd", null, h("a", { href: `mailto:${backorder.customer_email}` }, backorder.customer_email)),
              h("dt", null, "Shipping"), h("dd", null, backorder.shipping_preference.replace(/_/g, " ")),
              // A store with several locations: an order to collect waits at its pickup location.
              backorder.pickup ? [h("dt", null, "Collect at"), h("dd", null, locationName(backorder.location_id))] : null,
              h("dt", null, "Order"), h("dd", null, `#${backorder.order_id}`))))));
    } catch (error) {
      if (error.status === 404) {
        state.empty(detail, { title: "This backorder does not exist", text: "It may belong to another store, or the link is wrong.",
          action: h("a", { class: "btn", href: "/backorders/" }, "All backorders") });
      } else {
        state.error(detail, error, load);
      }
    }
  }

  load();
})();
