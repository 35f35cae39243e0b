/* Products: one row per variant with stock, waiting and incoming units, the policy that applies and why. */
(function () {
  "use strict";
  const { api, h, replace, fmt, state, debounce, query, pager, toast } = window.BO;

  const PAGE_SIZE = 25;
  const form = document.querySelector("[data-filters]");
  const results = document.querySelector("[data-results]");
  const countLabel = document.querySelector("[data-count]");
  const initial = query.read();
  let page = Number(initial.page) || 1;
  let sequence = 0;
  for (const name of ["q", "show", "sort"]) if (initial[name]) form.elements[name].value = initial[name];

  const LEVELS = { variant: "Variant", product: "Product", category: "Category", store: "Store-wide" };
  const STATES = { in_stock: ["In stock", "badge-success"], backorder: ["Backorder", "badge-warning"],
    preorder: ["Pre-order", "badge-info"], unavailable: ["Unavailable", "badge-neutral"] };

  function values() {
    return { q: form.elements.q.value.trim(), show: form.elements.show.value === "all" ? "" : form.elements.show.value,
      sort: form.elements.sort.value === "name" ? "" : form.elements.sort.value };
  }

  function policyCell(row) {
    const policy = row.policy;
    const label = policy.level ? LEVELS[policy.level] : "None";
    const status = !policy.id ? "No policy" : policy.enabled ? (policy.mode === "preorder" ? "Pre-order on" : "Backorders on") : "Backorders off";
    const editHref = policy.id && policy.level === "variant" ? `/policies/${policy.id}/` : `/policies/new/?scope=variant&bigcommerce_id=${row.variant_id}`;
    return h("td", null,
      h("div", null, h("span", { class: `badge ${policy.enabled ? "badge-success" : "badge-neutral"}` }, status), " ",
        h("span", { class: "cell-sub" }, `${label} policy`)),
      h("details", { class: "why-details" }, h("summary", { class: "small link" }, "Why?"), h("p", { class: "small muted" }, policy.why)),
      h("div", { class: "actions small" },
        policy.id && policy.level !== "variant" ? h("a", { href: `/policies/${policy.id}/` }, `Edit ${label.toLowerCase()} policy`) : null,
        h("a", { href: editHref, "aria-label": `${policy.level === "variant" ? "Edit" : "Add"} the policy of ${row.product_name} ${row.option_label}` },
          policy.level === "variant" ? "Edit variant policy" : "Add variant policy")));
  }

  function storefrontCell(row) {
    if (!row.storefront) return h("td", { class: "muted" }, "Not computed yet");
    const [label, kind] = STATES[row.storefront.state] || [row.storefront.state, "badge-neutral"];
    return h("td", null, h("span", { class: `badge ${kind}` }, label),
      h("div", { class: "cell-sub" }, `“${row.storefront.button_label}”${row.storefront.message ? " · " + row.storefront.message : ""}`));
  }

  // Per location (a store with several): a line under the variant's figure for each location.
  function byLocation(row, figure) {
    if (!row.locations || !row.locations.length) return null;
    return h("ul", { class: "cell-sub plain-list", "aria-label": "By location" }, row.locations.map((at) =>
      h("li", null, `${at.label}${at.enabled ? "" : " (disabled)"}: ${figure(at)}`)));
  }

  async function loadLocations() {
    const panel = document.querySelector("[data-locations]");
    let locations;
    try { locations = await api("/api/v1/locations/"); } catch (error) { return; }
    if (locations.length < 2) return;
    panel.hidden = false;
    replace(panel.querySelector("[data-locations-list]"), locations.map((location) => {
      const id = `sells-online-${location.location_id}`;
      const box = h("input", { type: "checkbox", id, checked: location.sells_online, disabled: location.is_default,
        onchange: async () => {
          try {
            await api(`/api/v1/locations/${location.location_id}/`, { method: "PATCH", body: { sells_online: box.checked } });
            toast(`${location.label} ${box.checked ? "now sells" : "no longer sells"} online; the storefront follows in a moment.`);
          } catch (error) { box.checked = !box.checked; toast(error.message, "error"); }
        } });
      const notes = [location.is_default ? "default location, the shipping origin" : "",
        location.enabled ? "" : "disabled in BigCommerce: its stock counts nowhere"].filter(Boolean);
      return h("li", null, box, " ", h("label", { for: id }, `${location.label} sells online`),
        notes.length ? h("span", { class: "muted small" }, ` (${notes.join("; ")})`) : null);
    }));
  }

  async function load() {
    const mine = ++sequence;
    const current = values();
    query.write({ ...current, page: page > 1 ? page : "" });
    state.loading(results, "Loading products…");
    try {
      const body = await api(`/api/v1/products/?${query.string({ ...current, page, page_size: PAGE_SIZE })}`);
      if (mine !== sequence) return;
      countLabel.textContent = `${fmt.number(body.count)} variant${body.count === 1 ? "" : "s"}`;
      if (!body.results.length) {
        state.empty(results, current.q || current.show
          ? { title: "No variant matches", text: "Try another search or show all variants." }
          : { title: "No products yet", text: "Your catalog is copied from BigCommerce once the store is connected.",
              action: h("a", { class: "btn", href: "/settings/catalog/" }, "See the catalog sync") });
        return;
      }
      replace(results, h("div", { class: "table-wrap" }, h("table", { class: "table" },
        h("caption", { class: "visually-hidden" }, "Variants with stock and policy"),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Variant"), h("th", { scope: "col", class: "num" }, "On hand"),
          h("th", { scope: "col", class: "num" }, "Waiting"), h("th", { scope: "col", class: "num" }, "Incoming"),
          h("th", { scope: "col" }, "Policy"), h("th", { scope: "col" }, "Storefront shows"))),
        h("tbody", null, body.results.map((row) => h("tr", null,
          h("td", null, h("div", { class: "cell-title" }, row.product_name),
            h("div", { class: "cell-sub" }, [row.option_label, row.sku, `variant ${row.variant_id}`].filter(Boolean).join(" · "))),
          h("td", { class: "num" }, row.tracked ? fmt.number(row.on_hand) : h("span", { class: "muted" }, "not tracked"),
            row.tracked ? byLocation(row, (at) => fmt.number(at.on_hand)) : null),
          h("td", { class: "num" }, row.units_waiting ? h("a", { href: `/backorders/?variant_id=${row.variant_id}&status=waiting` }, fmt.number(row.units_waiting)) : "0",
            byLocation(row, (at) => `${fmt.number(at.units_waiting)} waiting`)),
          h("td", { class: "num" }, row.units_incoming ? fmt.number(row.units_incoming) : "0",
            row.next_delivery ? h("div", { class: "cell-sub" }, `first ${fmt.date(row.next_delivery)}`) : null),
          policyCell(row), storefrontCell(row)))))),
        pager({ count: body.count, page, pageSize: PAGE_SIZE, label: "variants", onPage: (next) => { page = next; load(); } }));
    } catch (error) {
      if (mine !== sequence) return;
      state.error(results, error, load);
    }
  }

  form.addEventListener("input", debounce((event) => { if (event.target.name === "q") { page = 1; load(); } }, 350));
  form.addEventListener("change", (event) => { if (event.target.name !== "q") { page = 1; load(); } });
  form.addEventListener("submit", (event) => { event.preventDefault(); page = 1; load(); });
  loadLocations();
  load();
})();
