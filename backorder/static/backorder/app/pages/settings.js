/* Settings: store details, widget appearance, catalog sync (progress, sync now), connection health, team,
 * API tokens. Each section talks to its own API; owners may change, staff see. */
(function () {
  "use strict";
  const { api, h, replace, fmt, badge, state, toast, announce, dialog, showErrors, clearErrors, busy } = window.BO;
  const section = document.querySelector("[data-section]").dataset.section;
  const isOwner = document.body.dataset.role === "owner";

  // -- store ----------------------------------------------------------------------------------------------
  async function storeSection() {
    const form = document.querySelector("[data-store-form]");
    const facts = document.querySelector("[data-store-facts]");
    function show(store) {
      form.elements.name.value = store.name;
      form.elements.timezone.value = store.timezone;
      form.elements.language.value = store.language;
      const connection = { connected: "Connected", not_connected: "Not connected", needs_reconnecting: "Needs reconnecting", uninstalled: "Uninstalled" };
      replace(facts,
        h("dt", null, "Address"), h("dd", null, h("a", { href: store.base_url }, store.base_url)),
        h("dt", null, "Plan"), h("dd", null, store.plan.charAt(0).toUpperCase() + store.plan.slice(1), " ", h("span", { class: "muted small" }, "(billing is handled with BigCommerce)")),
        h("dt", null, "BigCommerce store"), h("dd", null, store.bigcommerce_store_hash || "—", " · ", connection[store.connection] || store.connection),
        h("dt", null, "Storefront key"), h("dd", null, h("code", null, store.public_key)),
        h("dt", null, "Your role"), h("dd", null, store.your_role || "—"),
        h("dt", null, "Created"), h("dd", null, fmt.date(store.created_at)));
      form.removeAttribute("aria-busy");
    }
    try {
      show(await api("/api/v1/store/"));
    } catch (error) {
      state.error(facts, error, storeSection);
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      try {
        const store = await busy(form.querySelector("[data-save]"), () => api("/api/v1/store/", { method: "PATCH",
          body: { name: form.elements.name.value, timezone: form.elements.timezone.value, language: form.elements.language.value } }));
        show(store);
        document.querySelector(".app-store").textContent = store.name;
        toast("Store settings saved.");
      } catch (error) {
        showErrors(form, error);
      }
    });
  }

  // -- widget ---------------------------------------------------------------------------------------------
  async function widgetSection() {
    const form = document.querySelector("[data-widget-form]");
    if (!form) return;
    const COLOURS = ["accent_color", "text_color", "background_color"];
    const TEXTS = ["label_backorder", "label_preorder", "label_unavailable"];
    const SWITCHES = ["show_split", "show_notify_me", "show_alternatives"];
    let accentText = "#ffffff";
    function sample() {
      const box = document.querySelector("[data-widget-sample]");
      const button = document.querySelector("[data-sample-button]");
      const message = document.querySelector("[data-sample-message]");
      const colour = (name) => (/^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(form.elements[name].value) ? form.elements[name].value : null);
      box.style.borderLeftColor = colour("accent_color") || "";
      box.style.background = colour("background_color") || "";
      message.style.color = colour("text_color") || "";
      button.style.background = colour("accent_color") || "";
      button.style.color = accentText;
      button.textContent = form.elements.label_backorder.value || "Backorder";
      message.textContent = form.elements.show_split.checked ? "1 ready to ship, 2 backordered · Ships by Dec 14" : "Ships by Dec 14";
    }
    function show(appearance) {
      for (const name of [...COLOURS, ...TEXTS]) form.elements[name].value = appearance[name];
      for (const name of COLOURS) {
        const picker = form.querySelector(`[data-colour-for="${name}"]`);
        if (/^#[0-9a-f]{6}$/i.test(appearance[name])) picker.value = appearance[name];
      }
      for (const name of SWITCHES) form.elements[name].checked = appearance[name];
      form.querySelectorAll('input[name="languages"]').forEach((box) => { box.checked = appearance.languages.includes(box.value); });
      accentText = appearance.accent_text_color;
      replace(document.querySelector("[data-widget-warnings]"), appearance.warnings.map((w) => h("li", { class: "alert alert-warning" }, w)));
      sample();
      form.removeAttribute("aria-busy");
    }
    form.querySelectorAll("[data-colour-for]").forEach((picker) => picker.addEventListener("input", () => {
      form.elements[picker.dataset.colourFor].value = picker.value;
      sample();
    }));
    form.addEventListener("input", sample);
    try {
      show(await api("/api/v1/widget-appearance/"));
    } catch (error) {
      state.error(form, error, widgetSection);
      return;
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const body = {};
      for (const name of [...COLOURS, ...TEXTS]) body[name] = form.elements[name].value.trim();
      for (const name of SWITCHES) body[name] = form.elements[name].checked;
      body.languages = Array.from(form.querySelectorAll('input[name="languages"]:checked')).map((box) => box.value);
      try {
        show(await busy(form.querySelector("[data-save]"), () => api("/api/v1/widget-appearance/", { method: "PATCH", body })));
        toast("Widget saved. Storefronts show it within a minute.");
      } catch (error) {
        showErrors(form, error);
      }
    });
  }

  // -- catalog --------------------------------------------------------------------------------------------
  function catalogSection() {
    const status = document.querySelector("[data-sync-status]");
    const button = document.querySelector("[data-sync-now]");
    let timer = null;
    let lastPercent = null;
    function render(body) {
      const sync = body.sync;
      if (!sync) {
        state.empty(status, { title: "No sync yet", text: "The first sync starts when the store is connected." });
        return false;
      }
      const running = sync.status === "running";
      const label = running ? `${sync.phase_label}: ${body.percent}%` : sync.status === "done" ? "Up to date" : "The last sync failed";
      const bar = h("progress", { class: `progress${sync.status === "done" ? " progress-done" : ""}`, max: "100", value: String(body.percent),
        "aria-labelledby": "sync-progress-label", "aria-valuetext": label, dataset: { percent: String(body.percent) } });
      replace(status,
        h("div", { class: "progress-label" }, h("span", { id: "sync-progress-label" }, running ? `Copying: ${sync.phase_label.toLowerCase()}` : "Catalog copy"),
          h("span", { "data-sync-state": sync.status }, running ? `${body.percent}%` : badge(sync.status, sync.status === "done" ? "Up to date" : undefined))),
        bar,
        sync.status === "failed" ? h("p", { class: "alert alert-danger small", role: "alert" }, sync.error || "The sync stopped.") : null,
        h("dl", { class: "facts section" },
          h("dt", null, "Products"), h("dd", null, `${fmt.number(sync.products_done)}${sync.products_total !== null ? " of " + fmt.number(sync.products_total) : ""}`),
          h("dt", null, "Variants"), h("dd", null, fmt.number(sync.variants_done)),
          h("dt", null, "Stock records"), h("dd", null, fmt.number(sync.stock_items_done)),
          h("dt", null, "Started"), h("dd", null, fmt.dateTime(sync.started_at)),
          h("dt", null, running ? "Last progress" : "Finished"), h("dd", null, running ? fmt.ago(sync.heartbeat_at) : fmt.dateTime(sync.finished_at)),
          h("dt", null, "BigCommerce requests"), h("dd", null, fmt.number(sync.api_requests)),
          h("dt", null, "In the copy now"), h("dd", null, `${fmt.number(body.mirror.products)} products, ${fmt.number(body.mirror.variants)} variants`)));
      if (lastPercent !== body.percent) announce(label);
      lastPercent = body.percent;
      return running;
    }
    async function poll() {
      window.clearTimeout(timer);
      try {
        const running = render(await api("/api/v1/catalog/sync/"));
        if (running) timer = window.setTimeout(poll, 700);
        button.disabled = running || button.hasAttribute("aria-describedby");
      } catch (error) {
        state.error(status, error, poll);
      }
    }
    button.addEventListener("click", async () => {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      timer = window.setTimeout(poll, 300);  // the sync reports progress while this request runs
      try {
        render(await api("/api/v1/catalog/sync/", { method: "POST" }));
        toast("Catalog sync started.", "info");
      } catch (error) {
        toast(error.message, "danger");
      } finally {
        button.removeAttribute("aria-busy");
        poll();
      }
    });
    poll();
  }

  // -- connection -----------------------------------------------------------------------------------------
  function connectionSection() {
    const container = document.querySelector("[data-connection]");
    const STATUS = { connected: ["Connected", "badge-success"], not_connected: ["Not connected", "badge-neutral"],
      needs_reconnecting: ["Needs reconnecting", "badge-danger"], uninstalled: ["Uninstalled", "badge-danger"] };
    function row(label, ok, text) {
      return h("tr", null, h("th", { scope: "row" }, label),
        h("td", null, ok === null ? badge("pending", "Not checked") : ok ? badge("done", "OK") : badge("failed", "Problem")),
        h("td", null, text));
    }
    function render(body) {
      const check = body.last_check || {};
      const [statusText, statusClass] = STATUS[body.connection] || [body.connection, "badge-neutral"];
      const hooks = check.webhooks;
      const scripts = check.scripts;
      const events = body.events;
      replace(container,
        h("dl", { class: "facts" },
          h("dt", null, "Status"), h("dd", null, h("span", { class: `badge ${statusClass}` }, statusText)),
          h("dt", null, "Store hash"), h("dd", null, body.store_hash || "—"),
          h("dt", null, "Connected"), h("dd", null, fmt.dateTime(body.connected_at)),
          h("dt", null, "Last reconciled"), h("dd", null, fmt.dateTime(body.reconciled_at)),
          h("dt", null, "Last checked"), h("dd", null, check.checked_at ? fmt.dateTime(check.checked_at) : "never")),
        h("div", { class: "table-wrap section" }, h("table", { class: "table table-compact" },
          h("caption", { class: "visually-hidden" }, "Connection checks"),
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "Check"), h("th", { scope: "col" }, "Result"), h("th", { scope: "col" }, "Details"))),
          h("tbody", null,
            row("Access token", check.token ? check.token === "ok" : null,
              check.token === "refused" ? "BigCommerce refuses the app's token: open Backorder from your control panel to reconnect."
                : check.token === "ok" ? "BigCommerce accepts the app's token." : check.error || "—"),
            row("Webhooks", hooks ? hooks.active >= hooks.expected : null, hooks
              ? `${hooks.active} of ${hooks.expected} active${hooks.missing && hooks.missing.length ? "; missing: " + hooks.missing.join(", ") : ""}` : "—"),
            row("Widget script", scripts ? scripts.installed >= scripts.channels && scripts.channels > 0 : null, scripts
              ? `On ${scripts.installed} of ${scripts.channels} storefront${scripts.channels === 1 ? "" : "s"}` : "—"),
            row("Events from BigCommerce", events.dead ? false : events.last_received_at ? true : null,
              `${events.last_received_at ? "Last " + fmt.ago(events.last_received_at) : "None received yet"} · ${fmt.number(events.last_day)} in the last day` +
              `${events.pending ? " · " + events.pending + " waiting" : ""}${events.retrying ? " · " + events.retrying + " being retried" : ""}` +
              `${events.dead ? " · " + events.dead + " failed for good (support can re-drive them)" : ""}`)))),
        body.scopes.length ? h("details", { class: "section" }, h("summary", { class: "link" }, `Permissions granted (${body.scopes.length})`),
          h("ul", { class: "plain-list small section" }, body.scopes.map((scope) => h("li", null, h("code", null, scope))))) : null);
    }
    async function load() {
      try {
        render(await api("/api/v1/connection/"));
      } catch (error) {
        state.error(container, error, load);
      }
    }
    document.querySelector("[data-check]").addEventListener("click", async (event) => {
      try {
        const result = await busy(event.currentTarget, () => api("/api/v1/connection/check/", { method: "POST" }));
        toast(result.token === "ok" ? "Checked with BigCommerce." : "BigCommerce reported a problem.", result.token === "ok" ? "success" : "danger");
      } catch (error) {
        toast(error.message, "danger");
      }
      load();
    });
    document.querySelector("[data-repair]").addEventListener("click", async (event) => {
      try {
        await busy(event.currentTarget, () => api("/api/v1/connection/repair/", { method: "POST" }));
        toast("Repair started; it runs in the background.", "info");
      } catch (error) {
        toast(error.message, "danger");
      }
      load();
    });
    load();
  }

  // -- team -----------------------------------------------------------------------------------------------
  function teamSection() {
    const container = document.querySelector("[data-team]");
    async function load() {
      try {
        const body = await api("/api/v1/team/");
        replace(container, h("div", { class: "table-wrap" }, h("table", { class: "table" },
          h("caption", { class: "visually-hidden" }, "People with access to this store"),
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "Person"), h("th", { scope: "col" }, "Role"),
            h("th", { scope: "col" }, "Signs in with"), h("th", { scope: "col" }, "Since"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
          h("tbody", null, body.results.map((member) => h("tr", null,
            h("td", null, h("div", { class: "cell-title" }, member.full_name || member.email, member.is_you ? h("span", { class: "muted" }, " (you)") : null),
              member.full_name ? h("div", { class: "cell-sub" }, member.email) : null),
            h("td", null, isOwner ? roleSelect(member) : h("span", { class: "badge badge-neutral" }, member.role === "owner" ? "Owner" : "Staff")),
            h("td", null, member.signs_in_with === "bigcommerce" ? "BigCommerce" : "E-mail and password"),
            h("td", null, fmt.date(member.joined_at)),
            h("td", { class: "num" }, isOwner && !member.is_you ? h("button", { type: "button", class: "btn btn-small btn-danger-outline",
              "aria-label": `Remove ${member.email}`, onclick: (event) => remove(event.currentTarget, member) }, "Remove") : null)))))));
      } catch (error) {
        state.error(container, error, load);
      }
    }
    function roleSelect(member) {
      const select = h("select", { class: "select", "aria-label": `Role of ${member.email}` },
        h("option", { value: "owner" }, "Owner"), h("option", { value: "staff" }, "Staff"));
      select.value = member.role;
      select.addEventListener("change", async () => {
        try {
          await api(`/api/v1/team/${member.id}/`, { method: "PATCH", body: { role: select.value } });
          toast(`${member.email} is now ${select.value}.`);
        } catch (error) {
          toast(Object.values(error.fields || {}).flat().join(" ") || error.message, "danger");
          select.value = member.role;
        }
        load();
      });
      return select;
    }
    async function remove(button, member) {
      const ok = await dialog({ title: `Remove ${member.email}?`, danger: true, confirm: "Remove access",
        description: "They can no longer open this store in Backorder." });
      if (!ok) return;
      try {
        await busy(button, () => api(`/api/v1/team/${member.id}/`, { method: "DELETE" }));
        toast(`${member.email} no longer has access.`);
      } catch (error) {
        toast(Object.values(error.fields || {}).flat().join(" ") || error.message, "danger");
      }
      load();
    }
    const form = document.querySelector("[data-team-add]");
    if (form) form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      try {
        const member = await busy(form.querySelector("button[type=submit]"), () => api("/api/v1/team/", { method: "POST",
          body: { email: form.elements.email.value, role: form.elements.role.value } }));
        toast(`${member.email} has access now.`);
        form.reset();
        load();
      } catch (error) {
        showErrors(form, error);
      }
    });
    load();
  }

  // -- API tokens -----------------------------------------------------------------------------------------
  function tokensSection() {
    const container = document.querySelector("[data-tokens]");
    if (!container) return;
    const fresh = document.querySelector("[data-new-token]");
    async function load() {
      try {
        const body = await api("/api/v1/api-tokens/?page_size=100");
        if (!body.results.length) {
          state.empty(container, { title: "No API tokens", text: "Make one below when an integration needs to read or change this store's backorders." });
          return;
        }
        replace(container, h("div", { class: "table-wrap" }, h("table", { class: "table" },
          h("caption", { class: "visually-hidden" }, "API tokens, newest first"),
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Starts with"), h("th", { scope: "col" }, "Made"),
            h("th", { scope: "col" }, "Last used"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
          h("tbody", null, body.results.map((token) => h("tr", null,
            h("td", { class: "cell-title" }, token.name), h("td", null, h("code", null, `${token.prefix}…`)),
            h("td", null, fmt.date(token.created_at), token.created_by ? h("div", { class: "cell-sub" }, token.created_by) : null),
            h("td", null, token.last_used_at ? fmt.ago(token.last_used_at) : "never"),
            h("td", null, token.revoked_at ? badge("cancelled", "Revoked") : badge("done", "Active")),
            h("td", { class: "num" }, token.revoked_at ? null : h("button", { type: "button", class: "btn btn-small btn-danger-outline",
              "aria-label": `Revoke ${token.name}`, onclick: (event) => revoke(event.currentTarget, token) }, "Revoke"))))))));
      } catch (error) {
        state.error(container, error, load);
      }
    }
    async function revoke(button, token) {
      const ok = await dialog({ title: `Revoke “${token.name}”?`, danger: true, confirm: "Revoke token",
        description: "It stops working at once; integrations using it get 401 answers." });
      if (!ok) return;
      try {
        await busy(button, () => api(`/api/v1/api-tokens/${token.id}/`, { method: "DELETE" }));
        toast(`“${token.name}” is revoked.`);
      } catch (error) {
        toast(error.message, "danger");
      }
      load();
    }
    const form = document.querySelector("[data-token-form]");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      try {
        const token = await busy(form.querySelector("button[type=submit]"), () => api("/api/v1/api-tokens/", { method: "POST", body: { name: form.elements.name.value } }));
        form.reset();
        const code = h("code", { "data-token-value": "" }, token.token);
        const copy = h("button", { type: "button", class: "btn btn-small", onclick: async () => {
          try { await navigator.clipboard.writeText(token.token); toast("Copied."); } catch (error) { toast("Select the token and copy it.", "info"); }
        } }, "Copy");
        replace(fresh, h("div", { class: "callout", role: "status" },
          h("p", null, h("strong", null, `“${token.name}” is ready. Copy it now: it is not shown again.`)),
          h("div", { class: "secret" }, code, copy)));
        fresh.hidden = false;
        copy.focus();
        load();
      } catch (error) {
        showErrors(form, error);
      }
    });
    load();
  }

  const sectionScript = ({ store: storeSection, widget: widgetSection, catalog: catalogSection, connection: connectionSection,
    team: teamSection, "api-tokens": tokensSection })[section];
  if (sectionScript) sectionScript();  // other sections bring their own script (webhooks.js)
})();
