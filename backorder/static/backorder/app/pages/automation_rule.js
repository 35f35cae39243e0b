/* The rule editor: a sentence built from the automations catalog (When <trigger>, if all/any of <conditions>, then
 * <actions>), saved through /api/v1/automations/rules/, with a dry run over the last 30 days. */
(function () {
  "use strict";
  const { api, h, replace, fmt, state, toast, dialog, showErrors, clearErrors, busy } = window.BO;
  const form = document.querySelector("[data-rule-form]");
  const ruleId = form.dataset.ruleId;
  const conditionsList = form.querySelector("[data-conditions]");
  const actionsList = form.querySelector("[data-actions]");
  let catalog = null;
  let endpoints = [];
  let uid = 0;
  const next = (prefix) => `${prefix}-${++uid}`;

  const trigger = () => catalog.triggers.find((t) => t.name === form.elements.trigger.value);
  const about = () => (trigger() || {}).about;

  function field(label, control, { help, wide, narrow } = {}) {
    const id = control.id || (control.id = next("f"));
    const helpId = help ? `${id}-help` : null;
    if (helpId) control.setAttribute("aria-describedby", helpId);
    return h("div", { class: `field${wide ? " field-wide" : ""}${narrow ? " field-narrow" : ""}` },
      h("label", { for: id }, label), control, help ? h("p", { class: "help", id: helpId }, help) : null);
  }
  const input = (props) => h("input", { class: "input", ...props });
  const select = (options, value) => {
    const node = h("select", { class: "select" }, options.map(([v, label]) => h("option", { value: v }, label)));
    if (value !== undefined && value !== null) node.value = String(value);
    return node;
  };
  const removeButton = (row, label) => h("button", { type: "button", class: "btn btn-small btn-subtle remove", "aria-label": label,
    onclick: () => { row.remove(); renumber(); } }, "Remove");

  function renumber() {
    actionsList.querySelectorAll(".rule-row-number").forEach((node, n) => { node.textContent = `${n + 1}.`; });
  }

  // -- conditions -----------------------------------------------------------------------------------------
  function conditionRow(condition = {}) {
    const fields = catalog.conditions.filter((c) => c.about.includes(about()));
    const row = h("li", { class: "rule-row" });
    const fieldSelect = select(fields.map((c) => [c.field, c.label]), condition.field || (fields[0] || {}).field);
    const opHolder = h("div", { class: "field-narrow" });
    const valueHolder = h("div", { class: "field-wide" });
    function draw(keepValue) {
      const spec = fields.find((c) => c.field === fieldSelect.value);
      if (!spec) return;
      const op = select(spec.ops.map((o) => [o.op, o.label]), keepValue ? condition.op : spec.ops[0].op);
      op.dataset.role = "op";
      replace(opHolder, field("is", op));
      let value;
      if (spec.kind === "choice") value = select(spec.choices.map((c) => [c, c === "preorder" ? "pre-order" : c]), keepValue ? condition.value : undefined);
      else if (spec.kind === "number") value = input({ type: "number", step: "any", value: keepValue ? condition.value : "" });
      else if (spec.kind === "ids") value = input({ value: keepValue && Array.isArray(condition.value) ? condition.value.join(", ") : "",
        placeholder: spec.field === "customer_group" ? "e.g. 2 (0 = guests)" : "ids, separated by commas", inputmode: "numeric" });
      else value = input({ value: keepValue ? condition.value : "", maxlength: 200 });
      value.dataset.role = "value";
      value.dataset.kind = spec.kind;
      replace(valueHolder, field(spec.checked_when === "remote" ? "value (read from BigCommerce when it runs)" : "value", value,
        { help: spec.description }));
    }
    fieldSelect.dataset.role = "field";
    fieldSelect.addEventListener("change", () => draw(false));
    row.append(field("Field", fieldSelect), opHolder, valueHolder, removeButton(row, "Remove this condition"));
    draw(Boolean(condition.field));
    return row;
  }

  function readConditions() {
    return [...conditionsList.children].map((row) => {
      const value = row.querySelector('[data-role="value"]');
      let parsed = value.value;
      if (value.dataset.kind === "number") parsed = value.value === "" ? null : Number(value.value);
      if (value.dataset.kind === "ids") parsed = value.value.split(/[\s,;]+/).filter(Boolean).map(Number);
      return { field: row.querySelector('[data-role="field"]').value, op: row.querySelector('[data-role="op"]').value, value: parsed };
    });
  }

  // -- actions --------------------------------------------------------------------------------------------
  const PARAMS = {
    email(a) {
      const options = about() === "backorder" ? [["shopper", "the shopper"], ["team", "your team (alert recipients)"], ["address", "an address"]]
        : [["team", "your team (alert recipients)"], ["address", "an address"]];
      const to = select(options, a.to || options[0][0]);
      const box = h("div", { class: "action-params" });
      function draw() {
        const parts = [field("To", param(to, "to"))];
        if (to.value === "address") parts.push(field("Address", param(input({ type: "email", value: a.address || "" }), "address")));
        if (to.value === "shopper") {
          parts.push(field("Template", param(select(catalog.shopper_templates.map((t) => [t, t === "automation_coupon" ? "A coupon for the wait" : "An update"]),
            a.template), "template"), { help: "Its wording is under Notifications > E-mail templates." }));
        } else {
          parts.push(field("Subject", param(input({ value: a.subject || "", maxlength: 200, placeholder: "Default: the rule's name and the event" }), "subject")));
        }
        parts.push(field(to.value === "shopper" ? "Message (English, or any language you write in)" : "Message",
          param(h("textarea", { class: "textarea", rows: 3, maxlength: 2000 }, a.message || ""), "message"), { wide: true }));
        if (to.value === "shopper") {
          const messages = a.messages || {};
          parts.push(h("details", { class: "field-wide field" }, h("summary", { class: "link" }, "The message in German, French and Spanish"),
            ["de", "fr", "es"].map((lang) => field({ de: "Deutsch", fr: "Français", es: "Español" }[lang],
              param(h("textarea", { class: "textarea", rows: 2, maxlength: 2000 }, messages[lang] || ""), `messages.${lang}`)))));
        }
        replace(box, parts);
      }
      to.addEventListener("change", draw);
      draw();
      return box;
    },
    order_status: (a) => field("Status", param(select(catalog.order_statuses.map((s) => [s.id, s.name]), a.status_id || 9), "status_id", Number)),
    staff_note: (a) => field("Note", param(input({ value: a.text || "", maxlength: 500 }), "text"), { wide: true }),
    customer_group: (a) => field("Customer group id", param(input({ type: "number", min: 1, value: a.customer_group_id || "" }), "customer_group_id", Number),
      { help: "The group's id in BigCommerce (Customers > Customer Groups)." }),
    coupon: (a) => [
      field("Discount", param(select([["percent", "percent off"], ["amount", "amount off"]], a.discount_type || "percent"), "discount_type")),
      field("Amount", param(input({ type: "number", min: 0, step: "any", value: a.amount || "10" }), "amount")),
      field("On", param(select([["order", "the whole order"], ["product", "the backordered product"]], a.applies_to || "order"), "applies_to")),
      field("Valid for (days)", param(input({ type: "number", min: 1, max: 365, value: a.valid_days || 60 }), "valid_days", Number))],
    move_date: (a) => field("Days (negative: earlier)", param(input({ type: "number", min: -365, max: 365, value: a.days || 7 }), "days", Number)),
    cancel: (a) => [field("Reason the shopper reads", param(input({ value: a.reason || "Cancelled by the store", maxlength: 200 }), "reason"), { wide: true }),
      h("label", { class: "check" }, param(h("input", { type: "checkbox", checked: a.refund !== false }), "refund", "checkbox"), "Refund the shopper")],
    task: (a) => [field("Title", param(input({ value: a.title || "", maxlength: 200 }), "title"), { wide: true }),
      field("Note", param(h("textarea", { class: "textarea", rows: 2, maxlength: 2000 }, a.note || ""), "note"), { wide: true })],
    webhook(a) {
      if (!endpoints.length) return h("p", { class: "help" }, "No webhook endpoint yet: add one under ", h("a", { href: "/settings/webhooks/" }, "Settings > Webhooks"), ".");
      return field("Endpoint", param(select(endpoints.map((e) => [e.id, `${e.description || e.url}${e.enabled ? "" : " (off)"}`]), a.webhook_id || endpoints[0].id), "webhook_id", Number));
    },
    slack: (a) => chat(a, "Slack incoming webhook URL", "https://hooks.slack.com/services/…"),
    teams: (a) => chat(a, "Teams incoming webhook URL", "https://…webhook.office.com/… or a Workflows URL"),
  };
  function chat(a, label, placeholder) {
    return [field(label, param(input({ type: "url", value: a.url || "", placeholder }), "url"), { wide: true, help: "Kept secret: shown shortened once saved." }),
      field("Message", param(h("textarea", { class: "textarea", rows: 2, maxlength: 2000 }, a.message || ""), "message"), { wide: true })];
  }
  function param(control, name, cast) {
    control.dataset.param = name;
    if (cast === Number) control.dataset.cast = "number";
    if (cast === "checkbox") control.dataset.cast = "checkbox";
    return control;
  }

  function actionRow(action = {}) {
    const types = catalog.actions.filter((a) => a.about.includes(about()));
    const row = h("li", { class: "rule-row" });
    const typeSelect = select(types.map((a) => [a.type, a.label]), action.type || (types[0] || {}).type);
    typeSelect.dataset.role = "type";
    const params = h("div", { class: "action-params" });
    const description = h("p", { class: "help action-description" });
    function draw(keep) {
      const spec = types.find((a) => a.type === typeSelect.value);
      description.textContent = spec ? spec.description : "";
      replace(params, PARAMS[typeSelect.value] ? PARAMS[typeSelect.value](keep ? action : {}) : null);
    }
    typeSelect.addEventListener("change", () => draw(false));
    row.append(h("span", { class: "rule-row-number", "aria-hidden": "true" }), field("Do", typeSelect, { wide: true }),
      removeButton(row, "Remove this action"), description, params);
    draw(Boolean(action.type));
    return row;
  }

  function readActions() {
    return [...actionsList.children].map((row) => {
      const action = { type: row.querySelector('[data-role="type"]').value };
      row.querySelectorAll("[data-param]").forEach((control) => {
        let value = control.dataset.cast === "checkbox" ? control.checked : control.value;
        if (control.dataset.cast === "number") value = value === "" ? null : Number(value);
        const [name, lang] = control.dataset.param.split(".");
        if (lang) {
          if (value) (action[name] = action[name] || {})[lang] = value;
        } else {
          action[name] = value;
        }
      });
      return action;
    });
  }

  // -- the whole rule -------------------------------------------------------------------------------------
  function drawTrigger(rule) {
    const groups = { backorder: "A backorder", purchase_order: "A purchase order", variant: "The catalog", stock_alert: "Shoppers" };
    replace(form.elements.trigger, Object.entries(groups).map(([key, label]) => h("optgroup", { label },
      catalog.triggers.filter((t) => t.about === key).map((t) => h("option", { value: t.name }, t.label)))));
    form.elements.trigger.value = rule.trigger || "backorder.created";
    const help = () => { form.querySelector("[data-trigger-help]").textContent = (trigger() || {}).description || ""; };
    help();
    let previous = about();
    form.elements.trigger.addEventListener("change", () => {
      help();
      if (about() !== previous) {  // conditions and actions that do not apply to the new trigger are redrawn
        replace(conditionsList, readConditions().filter((c) => catalog.conditions.find((f) => f.field === c.field).about.includes(about())).map(conditionRow));
        replace(actionsList, readActions().filter((a) => catalog.actions.find((s) => s.type === a.type).about.includes(about())).map(actionRow));
        if (!actionsList.children.length) actionsList.append(actionRow());
        renumber();
        previous = about();
      }
    });
  }

  async function load() {
    try {
      catalog = await api("/api/v1/automations/catalog/");
      try {
        endpoints = (await api("/api/v1/webhooks/?page_size=100")).results;
      } catch (error) {
        endpoints = [];
      }
      const rule = ruleId ? await api(`/api/v1/automations/rules/${ruleId}/`) : { match: "all", conditions: [], actions: [] };
      form.elements.name.value = rule.name || "";
      drawTrigger(rule);
      form.elements.match.value = rule.match;
      form.querySelector("[data-enabled]").checked = Boolean(rule.enabled);
      replace(conditionsList, rule.conditions.map(conditionRow));
      replace(actionsList, (rule.actions.length ? rule.actions : [{}]).map(actionRow));
      renumber();
      replace(form.querySelector("[data-placeholders]"), "Texts may use ", h("span", { class: "placeholder-list" },
        Object.keys(catalog.placeholders).map((name) => h("code", { title: catalog.placeholders[name] }, `{${name}}`))));
      if (rule.needs && rule.needs.length) {
        form.prepend(h("div", { class: "alert alert-warning" }, h("p", null, "Fill these in, then switch the rule on:"),
          h("ul", null, rule.needs.map((need) => h("li", null, need)))));
      }
      if (new URLSearchParams(window.location.search).get("installed")) toast(`“${rule.name}” is installed, switched off. Review it, then switch it on.`, "info");
      form.removeAttribute("aria-busy");
    } catch (error) {
      state.error(form, error, load);
    }
  }

  form.querySelector("[data-add-condition]").addEventListener("click", () => {
    const row = conditionRow();
    conditionsList.append(row);
    row.querySelector("select").focus();
  });
  form.querySelector("[data-add-action]").addEventListener("click", () => {
    const row = actionRow();
    actionsList.append(row);
    renumber();
    row.querySelector("select").focus();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { name: form.elements.name.value, trigger: form.elements.trigger.value, match: form.elements.match.value,
      conditions: readConditions(), actions: readActions(), enabled: form.querySelector("[data-enabled]").checked };
    try {
      const saved = await busy(form.querySelector("[data-save]"), () => api(ruleId ? `/api/v1/automations/rules/${ruleId}/` : "/api/v1/automations/rules/",
        { method: ruleId ? "PATCH" : "POST", body }));
      toast(`“${saved.name}” is saved${saved.enabled ? " and on" : ", switched off"}.`);
      if (!ruleId) window.location.assign(`/automations/rules/${saved.id}/`);
    } catch (error) {
      showErrors(form, error);
    }
  });

  const remove = form.querySelector("[data-delete]");
  if (remove) remove.addEventListener("click", async () => {
    const ok = await dialog({ title: "Delete this rule?", danger: true, confirm: "Delete rule",
      description: "It stops at once. Its runs stay in the run log." });
    if (!ok) return;
    await api(`/api/v1/automations/rules/${ruleId}/`, { method: "DELETE" });
    window.location.assign("/automations/");
  });

  const dryButton = document.querySelector("[data-dry-run]");
  const dryResult = document.querySelector("[data-dry-run-result]");
  dryButton.addEventListener("click", () => busy(dryButton, async () => {
    try {
      const result = await api("/api/v1/automations/dry-run/", { method: "POST", body: {
        trigger: form.elements.trigger.value, match: form.elements.match.value, conditions: readConditions() } });
      replace(dryResult,
        h("div", { class: "dry-run-figures" },
          h("div", null, h("strong", null, fmt.number(result.matched)), h("span", { class: "muted small" }, "would have matched")),
          result.maybe ? h("div", null, h("strong", null, fmt.number(result.maybe)), h("span", { class: "muted small" }, `depend on ${result.checked_when_run.join(", ").replace(/_/g, " ")}`)) : null,
          h("div", null, h("strong", null, fmt.number(result.scanned)), h("span", { class: "muted small" }, `events in ${result.days} days`))),
        result.approximate ? h("p", { class: "help" }, "Rebuilt from today's data: an estimate.") : null,
        result.truncated ? h("p", { class: "help" }, "Only the newest 5,000 events were checked.") : null,
        result.examples.length ? [h("h3", { class: "small" }, "Examples"), h("ul", { class: "example-list" }, result.examples.map((e) => h("li", null,
          e.backorder_id ? h("a", { href: `/backorders/${e.backorder_id}/` }, e.summary) : e.summary,
          h("span", { class: "muted" }, ` · ${e.occurred_at.length > 10 ? fmt.dateTime(e.occurred_at) : fmt.date(e.occurred_at)}${e.certain ? "" : " · if BigCommerce's facts hold"}`))))]
          : h("p", { class: "muted small" }, "No example: nothing matched."));
    } catch (error) {
      replace(dryResult, h("p", { class: "alert alert-danger small" }, Object.entries(error.fields || {}).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`).join(" ") || error.message));
    }
  }));

  load();
})();
