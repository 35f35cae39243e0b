/* Policies: every policy, the store-wide one first, with what each does and whom it is for. */
(function () {
  "use strict";
  const { api, h, replace, fmt, state, pager } = window.BO;
  const PAGE_SIZE = 50;
  let page = 1;
  const results = document.querySelector("[data-results]");
  const LEVELS = { store: "Store-wide", category: "Category", product: "Product", variant: "Variant" };
  let groupNames = null;  // BigCommerce's names of the customer groups, once asked

  function forWhom(policy) {
    const ids = policy.customer_group_ids || [];
    if (!ids.length) return "";
    const names = ids.map((id) => (groupNames && groupNames.get(id)) || (id === 0 ? "guests" : `group ${id}`));
    return ` · for ${names.join(", ")}`;
  }

  function dates(policy) {
    const parts = [];
    if (policy.lead_time_days !== null) parts.push(`${policy.lead_time_days} ${policy.lead_time_business_days ? "business " : ""}day${policy.lead_time_days === 1 ? "" : "s"}`);
    if (policy.fixed_ship_date) parts.push(`ships ${fmt.date(policy.fixed_ship_date)}`);
    return parts.join(" or ") || "—";
  }

  async function load() {
    try {
      const [body, groups] = await Promise.all([api(`/api/v1/policies/?page_size=${PAGE_SIZE}&page=${page}`),
        groupNames ? null : api("/api/v1/customer-groups/").catch(() => null)]);
      if (groups) groupNames = new Map(groups.groups.map((group) => [group.id, group.name]));
      const rows = body.results;
      document.querySelector("[data-count]").textContent = `${fmt.number(body.count)} polic${body.count === 1 ? "y" : "ies"}`;
      replace(results, h("div", { class: "table-wrap" }, h("table", { class: "table" },
        h("caption", { class: "visually-hidden" }, "Policies, most general first"),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Applies to"), h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col" }, "Ship date"), h("th", { scope: "col", class: "num" }, "Cap"), h("th", { scope: "col" }, "Storefront label"),
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", null, rows.map((policy) => h("tr", null,
          h("td", null, h("a", { class: "cell-title", href: `/policies/${policy.id}/` }, policy.target_name || `${LEVELS[policy.scope]} ${policy.bigcommerce_id}`),
            h("div", { class: "cell-sub" }, `${LEVELS[policy.scope]}${policy.bigcommerce_id ? " · id " + policy.bigcommerce_id : ""}${forWhom(policy)}`)),
          h("td", null, h("span", { class: `badge ${policy.enabled ? "badge-success" : "badge-neutral"}` },
            policy.enabled ? (policy.mode === "preorder" ? "Pre-order on" : "Backorders on") : "Off")),
          h("td", null, dates(policy)),
          h("td", { class: "num" }, policy.max_units === null ? "No cap" : fmt.number(policy.max_units)),
          h("td", null, policy.button_label || h("span", { class: "muted" }, "Default")),
          h("td", { class: "num" }, h("a", { class: "btn btn-small", href: `/policies/${policy.id}/`,
            "aria-label": `Edit the ${LEVELS[policy.scope].toLowerCase()} policy ${policy.target_name || ""}` }, "Edit"))))))),
        body.count === 1 ? h("p", { class: "muted small panel-note" }, "Only the store-wide policy so far. Add a policy for a category, a product or a variant to treat it differently.") : null,
        body.count > PAGE_SIZE ? pager({ count: body.count, page, pageSize: PAGE_SIZE, label: "policies", onPage: (next) => { page = next; load(); } }) : null);
    } catch (error) {
      state.error(results, error, load);
    }
  }
  load();
})();
