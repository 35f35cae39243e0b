/* Settings > Webhooks: the store's endpoints (events, on/off, test event, secret rotation, delivery log with
 * replay) through /api/v1/webhooks/. A secret is shown once, when it is made or rotated. */
(function () {
  "use strict";
  const { api, h, replace, fmt, state, toast, dialog, showErrors, clearErrors, busy } = window.BO;
  const container = document.querySelector("[data-webhooks]");
  const fresh = document.querySelector("[data-new-secret]");
  const form = document.querySelector("[data-webhook-form]");
  const isOwner = Boolean(form);
  const DELIVERY = { delivered: ["Delivered", "badge-success"], pending: ["Retrying", "badge-warning"], sending: ["Sending", "badge-info"],
    failed: ["Failed", "badge-danger"] };
  let types = [];

  const badgeFor = (status) => { const [text, kind] = DELIVERY[status] || [status, "badge-neutral"]; return h("span", { class: `badge ${kind}` }, text); };

  function showSecret(title, secret) {
    const code = h("code", null, secret);
    const copy = h("button", { type: "button", class: "btn btn-small", onclick: async () => {
      try { await navigator.clipboard.writeText(secret); toast("Copied."); } catch (error) { toast("Select the secret and copy it.", "info"); }
    } }, "Copy");
    replace(fresh, h("div", { class: "callout", role: "status" }, h("p", null, h("strong", null, title)), h("div", { class: "secret" }, code, copy)));
    fresh.hidden = false;
    copy.focus();
  }

  async function load() {
    try {
      types = types.length ? types : await api("/api/v1/webhooks/event-types/");
      const body = await api("/api/v1/webhooks/?page_size=100");
      if (!body.results.length) {
        state.empty(container, { title: "No webhook endpoints", text: isOwner ? "Add one below: your ERP, 3PL or a Zapier/Make hook." : "The owner can add one." });
        return;
      }
      replace(container, h("ul", { class: "plain-list" }, body.results.map(endpointItem)));
    } catch (error) {
      state.error(container, error, load);
    }
  }

  function endpointItem(endpoint) {
    const log = h("div", { class: "deliveries", hidden: true });
    const labels = endpoint.events.map((name) => (types.find((t) => t.type === name) || { label: name }).label);
    const toggle = h("input", { type: "checkbox", checked: endpoint.enabled, disabled: !isOwner, "aria-label": `${endpoint.url}: switched on` });
    toggle.addEventListener("change", async () => {
      try {
        await api(`/api/v1/webhooks/${endpoint.id}/`, { method: "PATCH", body: { enabled: toggle.checked } });
        toast(toggle.checked ? "The endpoint is on." : "The endpoint is off; its waiting deliveries failed (replay them from the log).");
        load();
      } catch (error) {
        toggle.checked = !toggle.checked;
        toast(error.message, "danger");
      }
    });
    const button = (label, handler, extra = {}) => {
      const node = h("button", { type: "button", class: `btn btn-small ${extra.class || ""}`, "aria-expanded": extra.expanded }, label);
      node.addEventListener("click", () => busy(node, () => handler(node)));
      return node;
    };
    const logButton = button("Delivery log", async (node) => {
      log.hidden = !log.hidden;
      node.setAttribute("aria-expanded", String(!log.hidden));
      if (!log.hidden) await deliveries(endpoint, log);
    }, { expanded: "false" });
    return h("li", { class: "panel-intro" }, h("div", { class: "rule-row" },
      h("label", { class: "switch" }, toggle, h("span", { class: "switch-track", "aria-hidden": "true" })),
      h("div", { class: "field field-wide" },
        h("span", { class: "cell-title" }, endpoint.description || "Endpoint"), h("span", { class: "endpoint-url" }, endpoint.url),
        h("span", { class: "cell-sub" }, labels.length ? `Gets: ${labels.join(", ")}` : "Gets only what rules send it"),
        endpoint.disabled_reason ? h("span", { class: "cell-sub recipe-needs" }, endpoint.disabled_reason) : null,
        h("span", { class: "cell-sub" }, endpoint.last_success_at ? `Last delivered ${fmt.ago(endpoint.last_success_at)}` : "Nothing delivered yet",
          endpoint.failing_since && endpoint.enabled ? ` · failing since ${fmt.dateTime(endpoint.failing_since)}` : "")),
      h("div", { class: "actions" }, logButton,
        isOwner ? button("Send test event", async () => {
          await api(`/api/v1/webhooks/${endpoint.id}/test/`, { method: "POST" });
          toast("Test event queued; see the delivery log in a moment.", "info");
        }) : null,
        isOwner ? button("Rotate secret", async () => {
          const ok = await dialog({ title: "Rotate the secret?", confirm: "Rotate",
            description: "A new secret signs from now on; the old one also signs for 24 hours, so your receiver can switch without missing a message." });
          if (!ok) return;
          const rotated = await api(`/api/v1/webhooks/${endpoint.id}/rotate-secret/`, { method: "POST" });
          showSecret("The new secret. Copy it now: it is not shown again.", rotated.secret);
        }) : null,
        isOwner ? button("Delete", async () => {
          const ok = await dialog({ title: `Delete ${endpoint.url}?`, danger: true, confirm: "Delete endpoint",
            description: "Nothing more is sent to it, and its secret is erased." });
          if (!ok) return;
          await api(`/api/v1/webhooks/${endpoint.id}/`, { method: "DELETE" });
          toast("Deleted.");
          load();
        }, { class: "btn-danger-outline" }) : null)), log);
  }

  async function deliveries(endpoint, box) {
    state.loading(box);
    try {
      const body = await api(`/api/v1/webhooks/${endpoint.id}/deliveries/?page_size=50`);
      if (!body.count) { state.empty(box, { title: "No deliveries yet" }); return; }
      replace(box, h("div", { class: "table-wrap" }, h("table", { class: "table table-compact" },
        h("caption", { class: "visually-hidden" }, `Deliveries to ${endpoint.url}, newest first`),
        h("thead", null, h("tr", null, ["When", "Event", "Status", "Tries", "Answer", ""].map((title) => h("th", { scope: "col" }, title)))),
        h("tbody", null, body.results.map((delivery) => h("tr", null,
          h("td", null, fmt.dateTime(delivery.created_at)),
          h("td", null, delivery.event_type, h("div", { class: "cell-sub" }, h("code", null, delivery.message_id))),
          h("td", null, badgeFor(delivery.status), delivery.next_attempt_at && delivery.status === "pending" ? h("div", { class: "cell-sub" }, `next ${fmt.dateTime(delivery.next_attempt_at)}`) : null),
          h("td", { class: "num" }, fmt.number(delivery.attempts)),
          h("td", null, delivery.response_status || "—", delivery.error ? h("div", { class: "cell-sub" }, delivery.error) : null),
          h("td", { class: "num" }, isOwner && (delivery.status === "delivered" || delivery.status === "failed") ? (() => {
            const replay = h("button", { type: "button", class: "btn btn-small" }, "Replay");
            replay.addEventListener("click", () => busy(replay, async () => {
              try {
                await api(`/api/v1/webhooks/${endpoint.id}/deliveries/${delivery.id}/replay/`, { method: "POST" });
                toast("Sent again (same webhook-id).", "info");
                deliveries(endpoint, box);
              } catch (error) { toast(error.message, "danger"); }
            }));
            return replay;
          })() : null)))))));
    } catch (error) {
      state.error(box, error);
    }
  }

  async function formSetup() {
    if (!form) return;
    types = types.length ? types : await api("/api/v1/webhooks/event-types/");
    replace(form.querySelector("[data-event-choices]"), types.map((type) => h("label", { class: "check", title: type.description },
      h("input", { type: "checkbox", name: "events", value: type.type, checked: ["backorder.created", "backorder.allocated", "backorder.shipped",
        "backorder.cancelled", "backorder.date_changed"].includes(type.type) }), h("span", null, type.label, " ", h("code", { class: "small" }, type.type)))));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const events = [...form.querySelectorAll('input[name="events"]:checked')].map((box) => box.value);
      try {
        const created = await busy(form.querySelector("button[type=submit]"), () => api("/api/v1/webhooks/", { method: "POST",
          body: { url: form.elements.url.value, description: form.elements.description.value, events } }));
        form.reset();
        showSecret(`The endpoint is added. Its secret (verify signatures with it) is shown this once:`, created.secret);
        load();
      } catch (error) {
        showErrors(form, error);
      }
    });
  }

  formSetup().then(load);
})();
