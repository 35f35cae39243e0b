/* Notifications: e-mail templates (edit, live preview, reset), the message log (filter, view, resend) and
 * merchant alert recipients. Everything comes from the notifications API at /api/v1/notifications/. */
(function () {
  "use strict";
  const { api, h, replace, fmt, badge, state, toast, debounce, dialog, query, pager, showErrors, clearErrors, busy,
    sendTestEmail } = window.BO;
  const section = document.querySelector("[data-section]").dataset.section;

  // -- templates ------------------------------------------------------------------------------------------
  async function templatesSection() {
    const list = document.querySelector("[data-kinds]");
    const form = document.querySelector("[data-template-form]");
    const language = document.querySelector("[data-language]");
    const frame = document.querySelector("[data-preview-frame]");
    const previewError = document.querySelector("[data-preview-error]");
    let kinds = [];
    let current = null;
    let sequence = 0;

    function renderList() {
      const groups = [["shopper", "To shoppers"], ["merchant", "To you"]];
      replace(list, groups.map(([audience, title]) => [h("h3", { class: "template-group" }, title),
        h("ul", { class: "template-links" }, kinds.filter((k) => k.audience === audience).map((k) => {
          const custom = k.languages.some((l) => l.customized);
          return h("li", null, h("a", { href: `?kind=${k.kind}`, "aria-current": current && current.kind === k.kind ? "page" : null,
            onclick: (event) => { event.preventDefault(); open(k.kind); } }, k.label, custom ? h("span", { class: "badge badge-info" }, "Edited") : null));
        }))]));
    }

    async function open(kind) {
      current = kinds.find((k) => k.kind === kind) || kinds[0];
      query.write({ kind: current.kind, language: language.value === "en" ? "" : language.value });
      renderList();
      form.setAttribute("aria-busy", "true");
      clearErrors(form);
      try {
        const template = await api(`/api/v1/notifications/templates/${current.kind}/${language.value}/`);
        form.elements.subject.value = template.subject;
        form.elements.body_html.value = template.body_html;
        form.elements.body_text.value = template.body_text;
        document.querySelector("[data-template-title]").textContent = current.label;
        document.querySelector("[data-template-meta]").textContent = `${current.audience === "shopper" ? "To the shopper" : "To you"} · ` +
          `${current.transactional ? "always sent" : "shoppers may unsubscribe"} · ` +
          (template.customized ? `edited ${fmt.dateTime(template.updated_at)}${template.updated_by ? " by " + template.updated_by : ""}` : "default wording");
        form.querySelector("[data-reset]").disabled = !template.customized;
        replace(document.querySelector("[data-variable-list]"), current.variables.map((v) => [h("dt", null, h("code", null, `{{ ${v.name} }}`)), h("dd", null, v.description)]));
        form.removeAttribute("aria-busy");
        preview();
      } catch (error) {
        state.error(form, error, () => open(kind));
      }
    }

    const preview = debounce(async () => {
      if (!current) return;
      const mine = ++sequence;
      try {
        const body = await api(`/api/v1/notifications/templates/${current.kind}/${language.value}/preview/`, { method: "POST",
          body: { subject: form.elements.subject.value, body_html: form.elements.body_html.value, body_text: form.elements.body_text.value } });
        if (mine !== sequence) return;
        previewError.hidden = true;
        clearErrors(form);
        document.querySelector("[data-preview-subject]").textContent = body.subject;
        frame.srcdoc = body.html;
      } catch (error) {
        if (mine !== sequence) return;
        previewError.textContent = error.status === 400 ? "The template has a mistake; see the highlighted part." : error.message;
        previewError.hidden = false;
        if (error.status === 400) showErrors(form, error);
      }
    }, 400);

    document.querySelector("[data-test-email]").addEventListener("click", (event) => {
      if (!current) return;
      sendTestEmail(event.currentTarget, document.querySelector("[data-test-email-status]"),
        { kind: current.kind, language: language.value });
    });

    form.addEventListener("input", preview);
    language.addEventListener("change", () => open(current.kind));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      try {
        await busy(form.querySelector("[data-save]"), () => api(`/api/v1/notifications/templates/${current.kind}/${language.value}/`, { method: "PUT",
          body: { subject: form.elements.subject.value, body_html: form.elements.body_html.value, body_text: form.elements.body_text.value } }));
        toast("Template saved. New e-mails use it.");
        kinds = await api("/api/v1/notifications/templates/");
        open(current.kind);
      } catch (error) {
        showErrors(form, error);
      }
    });
    form.querySelector("[data-reset]").addEventListener("click", async (event) => {
      const ok = await dialog({ title: "Go back to the default wording?", danger: true, confirm: "Use the default",
        description: "Your wording of this e-mail in this language is deleted." });
      if (!ok) return;
      try {
        await busy(event.target, () => api(`/api/v1/notifications/templates/${current.kind}/${language.value}/`, { method: "DELETE" }));
        toast("Back to the default wording.");
        kinds = await api("/api/v1/notifications/templates/");
        open(current.kind);
      } catch (error) {
        toast(error.message, "danger");
      }
    });

    try {
      kinds = await api("/api/v1/notifications/templates/");
      const initial = query.read();
      if (initial.language) language.value = initial.language;
      open(initial.kind || kinds[0].kind);
    } catch (error) {
      state.error(list, error, templatesSection);
    }
  }

  // -- log ------------------------------------------------------------------------------------------------
  async function logSection() {
    const PAGE_SIZE = 25;
    const form = document.querySelector("[data-log-filters]");
    const results = document.querySelector("[data-log]");
    const attention = document.querySelector("[data-attention]");
    let page = 1;
    let labels = {};
    try {
      const kinds = await api("/api/v1/notifications/templates/");
      labels = Object.fromEntries(kinds.map((k) => [k.kind, k.label]));
      form.elements.kind.append(...kinds.map((k) => h("option", { value: k.kind }, k.label)));
    } catch (error) {
      /* the kinds' names are a nicety: the log still loads */
    }
    const initial = query.read();
    for (const name of ["email", "status", "kind", "is_test", "order_id"]) if (initial[name]) form.elements[name].value = initial[name];

    function filters() {
      return { email: form.elements.email.value.trim(), status: form.elements.status.value, kind: form.elements.kind.value,
        is_test: form.elements.is_test.value, order_id: form.elements.order_id.value, backorder_id: initial.backorder_id || "" };
    }

    async function view(message) {
      try {
        const full = await api(`/api/v1/notifications/${message.id}/`);
        const iframe = h("iframe", { class: "email-frame", title: `The e-mail “${full.subject}”`, sandbox: "" });
        iframe.srcdoc = full.body_html || `<pre>${full.body_text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c])}</pre>`;
        await dialog({ title: full.subject || labels[full.kind] || full.kind, confirm: "Close",
          description: `To ${full.recipient} · ${full.sent_at ? "sent " + fmt.dateTime(full.sent_at) : full.status}`, body: iframe });
      } catch (error) {
        toast(error.message, "danger");
      }
    }

    async function resend(button, message) {
      try {
        await busy(button, () => api(`/api/v1/notifications/${message.id}/resend/`, { method: "POST" }));
        toast(`Resending to ${message.recipient}.`);
        load();
      } catch (error) {
        toast(error.message, "danger");
      }
    }

    async function load() {
      const values = filters();
      query.write({ ...values, page: page > 1 ? page : "" });
      state.loading(results, "Loading messages…");
      try {
        const body = await api(`/api/v1/notifications/?${query.string({ ...values, page, page_size: PAGE_SIZE })}`);
        document.querySelector("[data-count]").textContent = `${fmt.number(body.count)} message${body.count === 1 ? "" : "s"}`;
        const needing = body.needing_attention || {};
        const stuck = (needing.failed || 0) + (needing.unknown || 0);
        replace(attention, stuck ? h("div", { class: "alert alert-warning", role: "status" },
          h("p", null, `${needing.failed || 0} failed and ${needing.unknown || 0} with an unknown outcome: check them and resend if needed.`)) : null);
        if (!body.results.length) {
          state.empty(results, Object.values(values).some(Boolean)
            ? { title: "No message matches these filters" }
            : { title: "No e-mails yet", text: "Confirmations, delay notices and ready-to-ship e-mails show here as they are sent." });
          return;
        }
        replace(results, h("div", { class: "table-wrap" }, h("table", { class: "table" },
          h("caption", { class: "visually-hidden" }, "E-mails, newest first"),
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "To"), h("th", { scope: "col" }, "E-mail"),
            h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Order"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
          h("tbody", null, body.results.map((m) => h("tr", null,
            h("td", { class: "nowrap" }, fmt.dateTime(m.sent_at || m.created_at)),
            h("td", null, m.recipient),
            h("td", null, h("div", { class: "cell-title" }, labels[m.kind] || m.kind, m.is_test ? [" ", badge("test", "Test")] : null),
              m.subject ? h("div", { class: "cell-sub" }, m.subject) : null),
            h("td", null, badge(m.status, { sent: "Sent", pending: "To send", sending: "Sending", failed: "Failed", unknown: "Unknown",
              cancelled: "Cancelled", suppressed: "Unsubscribed" }[m.status]), m.last_error ? h("div", { class: "cell-sub" }, m.last_error) : null),
            h("td", null, m.backorder_id ? h("a", { href: `/backorders/${m.backorder_id}/` }, `#${m.order_id || m.backorder_id}`) : m.order_id ? `#${m.order_id}` : "—"),
            h("td", { class: "num" }, h("div", { class: "actions" },
              h("button", { type: "button", class: "btn btn-small", onclick: () => view(m), "aria-label": `View the e-mail to ${m.recipient}` }, "View"),
              m.resendable ? h("button", { type: "button", class: "btn btn-small", onclick: (e) => resend(e.currentTarget, m) }, "Resend") : null))))))),
          pager({ count: body.count, page, pageSize: PAGE_SIZE, label: "messages", onPage: (next) => { page = next; load(); } }));
      } catch (error) {
        state.error(results, error, load);
      }
    }
    form.addEventListener("input", debounce(() => { page = 1; load(); }, 350));
    form.addEventListener("submit", (event) => { event.preventDefault(); page = 1; load(); });
    load();
  }

  // -- alert recipients -----------------------------------------------------------------------------------
  async function recipientsSection() {
    const container = document.querySelector("[data-recipients]");
    const form = document.querySelector("[data-recipient-form]");
    let merchantKinds = [];
    try {
      merchantKinds = (await api("/api/v1/notifications/templates/")).filter((k) => k.audience === "merchant");
    } catch (error) {
      merchantKinds = [];
    }
    replace(form.querySelector("[data-kind-boxes]"), merchantKinds.map((k) => h("label", { class: "check" },
      h("input", { type: "checkbox", name: "kinds", value: k.kind }), k.label)));
    const label = (kind) => (merchantKinds.find((k) => k.kind === kind) || { label: kind }).label;

    async function load() {
      try {
        const body = await api("/api/v1/notifications/alert-recipients/");
        document.querySelector("[data-effective]").textContent = body.effective.length
          ? `Alerts go to: ${body.effective.join(", ")}.${body.results.length ? "" : " Nobody is set up here, so the store's owner gets them."}`
          : "Nobody gets alerts yet.";
        if (!body.results.length) {
          state.empty(container, { title: "No one added", text: "Add the people who should hear about new backorders, limits reached and sync problems." });
          return;
        }
        replace(container, h("div", { class: "table-wrap" }, h("table", { class: "table" },
          h("caption", { class: "visually-hidden" }, "Alert recipients"),
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "Recipient"), h("th", { scope: "col" }, "Alerts"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
          h("tbody", null, body.results.map((r) => h("tr", null,
            h("td", null, h("div", { class: "cell-title" }, r.name || r.email), r.name ? h("div", { class: "cell-sub" }, r.email) : null),
            h("td", null, r.kinds.length ? r.kinds.map(label).join(", ") : "Every alert"),
            h("td", { class: "num" }, h("button", { type: "button", class: "btn btn-small btn-danger-outline", "aria-label": `Remove ${r.email}`,
              onclick: async (event) => {
                const button = event.currentTarget;
                const ok = await dialog({ title: `Stop alerts to ${r.email}?`, danger: true, confirm: "Remove" });
                if (!ok) return;
                try {
                  await busy(button, () => api(`/api/v1/notifications/alert-recipients/${r.id}/`, { method: "DELETE" }));
                  toast(`${r.email} removed.`);
                } catch (error) {
                  toast(error.message, "danger");
                }
                load();
              } }, "Remove"))))))));
      } catch (error) {
        state.error(container, error, load);
      }
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const kinds = Array.from(form.querySelectorAll('input[name="kinds"]:checked')).map((box) => box.value);
      try {
        await busy(form.querySelector("button[type=submit]"), () => api("/api/v1/notifications/alert-recipients/", { method: "POST",
          body: { email: form.elements.email.value, name: form.elements.name.value, kinds } }));
        toast(`${form.elements.email.value} gets alerts now.`);
        form.reset();
        load();
      } catch (error) {
        showErrors(form, error);
      }
    });
    load();
  }

  ({ templates: templatesSection, log: logSection, recipients: recipientsSection })[section]();
})();
