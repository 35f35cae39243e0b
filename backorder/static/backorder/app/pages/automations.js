/* Automations: the store's rules (switch on and off), the template gallery (install in one click), the run log
 * (inputs, steps, retry) and the tasks rules made. Everything comes from /api/v1/automations/. */
(function () {
  "use strict";
  const { api, h, replace, fmt, state, toast, pager, busy } = window.BO;
  const section = document.querySelector("[data-section]").dataset.section;
  const RUN_STATUS = {
    succeeded: ["Done", "badge-success"], failed: ["Failed", "badge-danger"], unknown: ["Outcome unknown", "badge-warning"],
    skipped: ["Skipped", "badge-neutral"], pending: ["To run", "badge-info"], running: ["Running", "badge-info"],
  };
  const OUTCOMES = {
    done: "", conditions_not_met: "Its conditions did not hold.", rule_off: "The rule was off or deleted when it would have run.",
    loop_prevented: "Caused by this rule's own action: not run again.", budget_exhausted: "The day's action budget was used up.",
    action_failed: "", gave_up: "", handed_off: "", facts_unavailable: "",
  };
  let catalog = null;

  function runBadge(status) {
    const [text, kind] = RUN_STATUS[status] || [status, "badge-neutral"];
    return h("span", { class: `badge ${kind}` }, text);
  }

  async function triggerLabel(name) {
    catalog = catalog || await api("/api/v1/automations/catalog/");
    const trigger = catalog.triggers.find((t) => t.name === name);
    return trigger ? `When ${trigger.label}` : name;
  }

  async function budgetBanner() {
    const box = document.querySelector("[data-budget]");
    try {
      const budget = await api("/api/v1/automations/budget/");
      const parts = [];
      if (budget.exhausted) {
        parts.push(h("section", { class: "alert alert-warning" },
          h("h2", { class: "alert-title" }, `Today's limit of ${fmt.number(budget.limit)} actions is reached`),
          h("p", null, `Your rules took ${fmt.number(budget.used)} actions today; ${fmt.number(budget.refused)} more were skipped. ` +
            "They are in the run log, where each can be run again once the day is over.")));
      }
      if (budget.needing_attention) {
        parts.push(h("p", { class: "alert alert-danger small" }, `${budget.needing_attention} run(s) of the last 30 days failed or have an unknown outcome. `,
          h("a", { href: "/automations/log/?status=failed" }, "See them in the run log")));
      }
      replace(box, parts);
    } catch (error) {
      replace(box);
    }
  }

  // -- rules ----------------------------------------------------------------------------------------------
  async function rulesSection() {
    const container = document.querySelector("[data-rules]");
    async function load() {
      state.loading(container);
      try {
        catalog = catalog || await api("/api/v1/automations/catalog/");
        const body = await api("/api/v1/automations/rules/?page_size=200");
        if (!body.results.length) {
          state.empty(container, { title: "No rules yet", text: "Start from a ready-made template, or write your own.",
            action: h("div", { class: "actions" }, h("a", { class: "btn btn-primary", href: "/automations/templates/" }, "Browse templates"),
              h("a", { class: "btn", href: "/automations/rules/new/" }, "New rule")) });
          return;
        }
        replace(container, h("div", { class: "table-wrap" }, h("table", { class: "table" },
          h("caption", { class: "visually-hidden" }, "Your automation rules"),
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "On"), h("th", { scope: "col" }, "Rule"), h("th", { scope: "col", class: "num" }, "Runs (30 days)"),
            h("th", { scope: "col" }, "Last run"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
          h("tbody", null, body.results.map(row)))));
      } catch (error) {
        state.error(container, error, load);
      }
    }
    function row(rule) {
      const trigger = catalog.triggers.find((t) => t.name === rule.trigger);
      const toggle = h("input", { type: "checkbox", checked: rule.enabled, "aria-label": `${rule.name}: switched on` });
      toggle.addEventListener("change", async () => {
        try {
          await api(`/api/v1/automations/rules/${rule.id}/`, { method: "PATCH", body: { enabled: toggle.checked } });
          toast(toggle.checked ? `“${rule.name}” is on.` : `“${rule.name}” is off.`);
        } catch (error) {
          toggle.checked = !toggle.checked;
          toast(Object.values(error.fields || {}).flat().join(" ") || error.message, "danger");
        }
      });
      const stats = rule.stats;
      return h("tr", null,
        h("td", null, h("label", { class: "switch" }, toggle, h("span", { class: "switch-track", "aria-hidden": "true" }))),
        h("td", null, h("a", { class: "cell-title", href: `/automations/rules/${rule.id}/` }, rule.name),
          h("div", { class: "cell-sub" }, trigger ? `When ${trigger.label}` : rule.trigger,
            ` · ${rule.actions.length} action${rule.actions.length === 1 ? "" : "s"}`),
          rule.needs.length ? h("div", { class: "cell-sub recipe-needs" }, "To fill in before switching it on: ", rule.needs.join("; ")) : null),
        h("td", { class: "num" }, fmt.number(stats.runs_30_days),
          stats.failed ? h("div", { class: "cell-sub" }, h("a", { href: `/automations/log/?rule_id=${rule.id}&status=failed` }, `${stats.failed} failed`)) : null),
        h("td", null, stats.last_run_at ? fmt.ago(stats.last_run_at) : "never"),
        h("td", { class: "num" }, h("div", { class: "actions" },
          h("a", { class: "btn btn-small", href: `/automations/log/?rule_id=${rule.id}` }, "Runs"),
          h("a", { class: "btn btn-small", href: `/automations/rules/${rule.id}/` }, "Edit"))));
    }
    load();
  }

  // -- templates ------------------------------------------------------------------------------------------
  async function templatesSection() {
    const container = document.querySelector("[data-templates]");
    try {
      catalog = catalog || await api("/api/v1/automations/catalog/");
      const templates = await api("/api/v1/automations/templates/");
      replace(container, templates.map((template) => {
        const trigger = catalog.triggers.find((t) => t.name === template.trigger);
        const button = h("button", { type: "button", class: "btn btn-primary btn-small" }, "Install");
        button.addEventListener("click", () => busy(button, async () => {
          try {
            const rule = await api(`/api/v1/automations/templates/${encodeURIComponent(template.key)}/install/`, { method: "POST" });
            window.location.assign(`/automations/rules/${rule.id}/?installed=1`);
          } catch (error) {
            toast(error.message, "danger");
          }
        }));
        return h("article", { class: "recipe", "aria-labelledby": `recipe-${template.key}` },
          h("div", { class: "recipe-meta" }, h("span", { class: "badge badge-neutral" }, template.category),
            template.installed ? h("span", { class: "badge badge-success" }, `Installed${template.installed > 1 ? " ×" + template.installed : ""}`) : null),
          h("h3", { id: `recipe-${template.key}` }, template.name),
          h("p", { class: "muted small" }, trigger ? `When ${trigger.label}` : template.trigger),
          h("p", null, template.description),
          template.needs.length ? h("p", { class: "recipe-needs" }, `You fill in: ${template.needs.join(", ")}`) : null,
          h("div", { class: "actions" }, button));
      }));
    } catch (error) {
      state.error(container, error, templatesSection);
    }
  }

  // -- run log --------------------------------------------------------------------------------------------
  async function logSection() {
    const container = document.querySelector("[data-runs]");
    const form = document.querySelector("[data-run-filters]");
    const params = new URLSearchParams(window.location.search);
    let page = 1;
    try {
      const rules = await api("/api/v1/automations/rules/?page_size=200");
      for (const rule of rules.results) form.elements.rule_id.append(h("option", { value: rule.id }, rule.name));
    } catch (error) { /* the filter stays "Any" */ }
    form.elements.status.value = params.get("status") || "";
    form.elements.rule_id.value = params.get("rule_id") || "";
    form.addEventListener("change", () => { page = 1; load(); });

    async function load() {
      state.loading(container);
      const query = new URLSearchParams({ page, page_size: 25 });
      if (form.elements.status.value) query.set("status", form.elements.status.value);
      if (form.elements.rule_id.value) query.set("rule_id", form.elements.rule_id.value);
      window.history.replaceState(null, "", `?${query}`);
      try {
        const body = await api(`/api/v1/automations/runs/?${query}`);
        if (!body.count) {
          state.empty(container, { title: "No runs", text: "Runs appear here as soon as a rule that is on matches an event." });
          return;
        }
        const rows = [];
        for (const run of body.results) rows.push(await runRow(run));
        replace(container, h("div", { class: "table-wrap" }, h("table", { class: "table" },
          h("caption", { class: "visually-hidden" }, "Rule runs, newest first"),
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Rule"), h("th", { scope: "col" }, "Event"),
            h("th", { scope: "col" }, "Outcome"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
          h("tbody", null, rows))),
          pager({ count: body.count, page, pageSize: 25, label: "runs", onPage: (n) => { page = n; load(); } }));
      } catch (error) {
        state.error(container, error, load);
      }
    }
    async function runRow(run) {
      const detail = h("tr", { class: "run-detail", hidden: true }, h("td", { colspan: 5 }));
      const open = h("button", { type: "button", class: "btn btn-small", "aria-expanded": "false" }, "Details");
      open.addEventListener("click", async () => {
        const show = detail.hidden;
        detail.hidden = !show;
        open.setAttribute("aria-expanded", String(show));
        if (show) await fillDetail(detail.firstChild, run);
      });
      const retry = run.retryable ? h("button", { type: "button", class: "btn btn-small" }, "Run again") : null;
      if (retry) retry.addEventListener("click", () => busy(retry, async () => {
        try {
          await api(`/api/v1/automations/runs/${run.id}/retry/`, { method: "POST" });
          toast("The run is queued again.");
          load();
        } catch (error) {
          toast(error.message, "danger");
        }
      }));
      const event = run.event;
      return [h("tr", null,
        h("td", null, fmt.dateTime(run.created_at)),
        h("td", null, run.rule_id ? h("a", { href: `/automations/rules/${run.rule_id}/` }, run.rule_name) : run.rule_name),
        h("td", null, await triggerLabel(event.type),
          event.backorder_id ? h("div", { class: "cell-sub" }, h("a", { href: `/backorders/${event.backorder_id}/` }, `Order ${event.order_id}`)) : null),
        h("td", null, runBadge(run.status), h("div", { class: "cell-sub" }, run.error || OUTCOMES[run.outcome] || "")),
        h("td", { class: "num" }, h("div", { class: "actions" }, open, retry))), detail];
    }
    async function fillDetail(cell, run) {
      state.loading(cell);
      try {
        const full = await api(`/api/v1/automations/runs/${run.id}/`);
        replace(cell,
          h("h3", { class: "small" }, "Actions"),
          full.steps.length ? h("ol", { class: "run-steps" }, full.steps.map((step) => h("li", null,
            h("strong", null, step.type), runBadge({ done: "succeeded", skipped: "skipped", failed: "failed", unknown: "unknown" }[step.status] || "pending"),
            h("span", { class: "muted" }, step.error || step.note || ""),
            step.response ? h("code", { class: "small" }, JSON.stringify(step.response)) : null))) : h("p", { class: "muted small" }, "No action was taken."),
          h("details", null, h("summary", { class: "link" }, "What the conditions were checked against"), h("pre", null, JSON.stringify(full.inputs, null, 2))),
          h("details", null, h("summary", { class: "link" }, "The event's data"), h("pre", null, JSON.stringify(full.event_data, null, 2))));
      } catch (error) {
        state.error(cell, error);
      }
    }
    load();
  }

  // -- tasks ----------------------------------------------------------------------------------------------
  function tasksSection() {
    const container = document.querySelector("[data-tasks]");
    const buttons = document.querySelectorAll("[data-task-status]");
    let status = "open";
    buttons.forEach((button) => button.addEventListener("click", () => {
      status = button.dataset.taskStatus;
      buttons.forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      load();
    }));
    async function load() {
      state.loading(container);
      try {
        const body = await api(`/api/v1/automations/tasks/?status=${status}&page_size=100`);
        if (!body.count) {
          state.empty(container, { title: status === "open" ? "Nothing to do" : "No tasks done yet",
            text: "Rules with a “Create a merchant task” action put their to-dos here." });
          return;
        }
        replace(container, h("ul", { class: "plain-list panel-intro" }, body.results.map((task) => {
          const done = status === "open" ? h("button", { type: "button", class: "btn btn-small" }, "Done") : null;
          if (done) done.addEventListener("click", () => busy(done, async () => {
            await api(`/api/v1/automations/tasks/${task.id}/done/`, { method: "POST" });
            toast("Marked done.");
            load();
          }));
          return h("li", { class: "rule-row" },
            h("div", { class: "field-wide field" }, h("span", { class: "cell-title" }, task.title),
              task.note ? h("span", { class: "cell-sub" }, task.note) : null,
              h("span", { class: "cell-sub" }, `${fmt.dateTime(task.created_at)} · ${task.rule_name || "a rule"}`,
                task.backorder_id ? [" · ", h("a", { href: `/backorders/${task.backorder_id}/` }, `order ${task.order_id}`)] : null)),
            done);
        })));
      } catch (error) {
        state.error(container, error, load);
      }
    }
    load();
  }

  budgetBanner();
  ({ rules: rulesSection, templates: templatesSection, log: logSection, tasks: tasksSection })[section]();
})();
