/* Policy editor: every field of a policy at any level and for any customer groups, with a live storefront preview of
   the unsaved edit for a shopper of any group. */
(function () {
  "use strict";
  const { api, h, replace, fmt, toast, announce, debounce, dialog, showErrors, clearErrors, busy, variantPicker } = window.BO;

  const form = document.querySelector("[data-policy-form]");
  const policyId = form.dataset.policyId ? Number(form.dataset.policyId) : null;
  const preview = document.querySelector("[data-preview]");
  const quantityInput = document.getElementById("preview-quantity");
  const previewGroup = document.getElementById("preview-group");
  const groupList = document.querySelector("[data-group-list]");
  const NUMBERS = ["bigcommerce_id", "lead_time_days", "max_units", "max_per_order", "incentive_after_days"];
  const DATES = ["preorder_starts_on", "preorder_ends_on", "fixed_ship_date"];
  const BOOLEANS = ["enabled", "lead_time_business_days"];
  const TEXTS = ["mode", "button_label", "product_message", "cart_message", "shipping_preference", "shopper_may_cancel", "incentive_trigger"];
  const LEVEL_WORDS = { store: "the store-wide policy", category: "a category policy", product: "a product policy", variant: "a variant's own policy" };

  let saved = null;
  let previewVariant = null;
  let groupNames = new Map([[0, "Guests and shoppers in no group"]]);
  let previewGroupChosen = false;
  let previewSequence = 0;
  // A field's errors show once the merchant has left it, or tried to save: the empty fields of a new policy are
  // not mistakes yet. The preview (asked after every change) keeps its last refusal for the moment a field is left.
  const left = new Set();
  let triedToSave = false;
  let previewRefusal = null;

  // -- reading and writing the form -----------------------------------------------------------------------
  function values() {
    const data = { scope: form.elements.scope.value };
    for (const name of NUMBERS) {
      const raw = form.elements[name].value.trim();
      data[name] = raw === "" ? null : Number(raw);
    }
    for (const name of DATES) data[name] = form.elements[name].value || null;
    for (const name of BOOLEANS) data[name] = form.elements[name].checked;
    for (const name of TEXTS) data[name] = form.elements[name].value;
    const percent = form.elements.incentive_percent.value.trim();
    data.incentive_percent = percent === "" ? null : percent;
    if (data.scope === "store") data.bigcommerce_id = null;
    data.customer_group_ids = chosenGroups();
    data.location_limits = locationLimits();
    return data;
  }

  // -- a cap per location (a store with several BigCommerce locations) ------------------------------------
  const limitList = document.querySelector("[data-location-limit-list]");
  let limitsSaved = {}; // as saved: a location set to "no cap" (null, through the API) stays so while left empty

  function locationLimits() {
    const limits = { ...limitsSaved };
    limitList.querySelectorAll("input[data-location]").forEach((input) => {
      const raw = input.value.trim();
      if (raw !== "") limits[input.dataset.location] = Number(raw);
      else if (limits[input.dataset.location] !== null) delete limits[input.dataset.location];
    });
    return limits;
  }

  function fillLocationLimits(limits) {
    limitsSaved = { ...(limits || {}) };
    limitList.querySelectorAll("input[data-location]").forEach((input) => {
      const units = limitsSaved[input.dataset.location];
      input.value = units === null || units === undefined ? "" : units;
    });
  }

  async function loadLocations() {
    let locations = [];
    try { locations = await api("/api/v1/locations/"); } catch (error) { return; }
    if (locations.length < 2) return;
    replace(limitList, ...locations.map((location) => {
      const id = `location-limit-${location.location_id}`;
      const units = limitsSaved[String(location.location_id)];
      return h("div", { class: "field" },
        h("label", { for: id }, location.label + (location.is_default ? " (default)" : "") + (location.enabled ? "" : " (disabled)")),
        h("input", { class: "input", type: "number", min: "0", id, inputmode: "numeric", "data-location": String(location.location_id),
          value: units === null || units === undefined ? "" : String(units), placeholder: units === null ? "No cap" : "As above",
          "aria-describedby": "location-limits-help" }));
    }));
    document.querySelector("[data-location-limits]").hidden = false;
  }

  // -- whom it is for: customer groups ---------------------------------------------------------------------
  function chosenGroups() {
    return [...groupList.querySelectorAll("input[name=customer_group_ids]:checked")].map((input) => Number(input.value));
  }

  function groupBox(id, name, checked = false) {
    return h("label", { class: "check" }, h("input", { type: "checkbox", name: "customer_group_ids", value: String(id), checked }), name);
  }

  /* The store's customer groups from BigCommerce (guests first), as boxes to tick and as shoppers to preview. */
  async function loadGroups() {
    let body = { groups: [{ id: 0, name: groupNames.get(0), in_bigcommerce: true }], bigcommerce: false, message: "" };
    try {
      body = await api("/api/v1/customer-groups/");
    } catch (error) {
      body.message = `Customer groups could not be loaded: ${error.message}`;
    }
    groupNames = new Map(body.groups.map((group) => [group.id, group.in_bigcommerce ? group.name : `${group.name} (not in BigCommerce)`]));
    const ticked = new Set(chosenGroups());
    replace(groupList, ...body.groups.map((group) => groupBox(group.id, groupNames.get(group.id), ticked.has(group.id))),
      body.message ? h("p", { class: "help" }, body.message) : null);
    replace(previewGroup, ...body.groups.map((group) => h("option", { value: String(group.id) }, groupNames.get(group.id))));
  }

  function tickGroups(ids) {
    for (const id of ids) {
      if (!groupList.querySelector(`input[value="${id}"]`)) groupList.prepend(groupBox(id, groupNames.get(id) || `Group ${id}`));
    }
    groupList.querySelectorAll("input[name=customer_group_ids]").forEach((input) => { input.checked = ids.includes(Number(input.value)); });
  }

  /* Unless the merchant chose whom to preview, the preview shows a shopper this policy is for. */
  function suggestPreviewGroup() {
    const groups = chosenGroups();
    if (previewGroupChosen) return;
    const wanted = String(groups.length ? groups[0] : 0);
    if (!previewGroup.querySelector(`option[value="${wanted}"]`)) previewGroup.append(h("option", { value: wanted }, groupNames.get(Number(wanted)) || `Group ${wanted}`));
    previewGroup.value = wanted;
  }
  previewGroup.addEventListener("change", () => { previewGroupChosen = true; refresh(); });

  function fill(policy) {
    form.elements.scope.value = policy.scope;
    for (const name of [...NUMBERS, ...DATES]) form.elements[name].value = policy[name] === null || policy[name] === undefined ? "" : policy[name];
    for (const name of BOOLEANS) form.elements[name].checked = Boolean(policy[name]);
    for (const name of TEXTS) form.elements[name].value = policy[name] || (name === "incentive_trigger" ? "" : form.elements[name].value);
    form.elements.incentive_percent.value = policy.incentive_percent === null || policy.incentive_percent === undefined ? "" : Number(policy.incentive_percent);
    tickGroups(policy.customer_group_ids || []);
    fillLocationLimits(policy.location_limits);
  }

  function syncVisibility() {
    const scope = form.elements.scope.value;
    document.querySelector("[data-target-category]").hidden = scope !== "category";
    document.querySelector("[data-target-item]").hidden = scope !== "product" && scope !== "variant";
    document.querySelector("[data-target-label]").textContent = scope === "product" ? "Product" : "Variant";
    document.querySelector("[data-preorder-window]").hidden = form.elements.mode.value !== "preorder";
    document.querySelector("[data-after-days]").hidden = form.elements.incentive_trigger.value !== "after_days";
    // The store-wide policy for everyone always exists and stays for everyone; a new store-wide policy is for groups.
    const everyones = Boolean(saved && saved.scope === "store" && !(saved.customer_group_ids || []).length);
    form.elements.scope.querySelector('option[value="store"]').disabled = !everyones && !chosenGroups().length && !(saved && saved.scope === "store");
    form.elements.scope.disabled = everyones;
    groupList.querySelectorAll("input").forEach((input) => { input.disabled = everyones; });
  }

  // -- choosing what the policy applies to ----------------------------------------------------------------
  async function loadCategories() {
    try {
      const categories = await api("/api/v1/catalog/categories/");
      const select = form.elements.category;
      select.append(...categories.map((c) => h("option", { value: String(c.id) }, c.path)));
      if (form.elements.scope.value === "category" && form.elements.bigcommerce_id.value) select.value = form.elements.bigcommerce_id.value;
    } catch (error) {
      toast(`Categories could not be loaded: ${error.message}`, "danger");
    }
  }

  function chosenText(text) {
    document.querySelector("[data-target-chosen]").textContent = text;
  }

  variantPicker(document.getElementById("target-search"), (row) => {
    const scope = form.elements.scope.value;
    form.elements.bigcommerce_id.value = scope === "product" ? row.product_id : row.variant_id;
    chosenText(scope === "product" ? `Product ${row.product_id}: ${row.product_name}` : `Variant ${row.variant_id}: ${row.product_name} ${row.option_label}`);
    if (!previewVariant || scope === "variant" || previewVariant.product_id !== row.product_id) choosePreviewVariant(row);
    refresh();
  });

  form.elements.category.addEventListener("change", () => {
    form.elements.bigcommerce_id.value = form.elements.category.value;
    refresh();
  });

  form.elements.scope.addEventListener("change", () => {
    form.elements.bigcommerce_id.value = "";
    form.elements.category.value = "";
    document.getElementById("target-search").value = "";
    chosenText("Type to search your catalog.");
    syncVisibility();
    refresh();
  });

  /* The target's id lives in a hidden field: show its messages next to the visible chooser. */
  function withTargetErrors(error) {
    const fields = { ...(error.fields || {}) };
    if (fields.bigcommerce_id) {
      fields[form.elements.scope.value === "category" ? "category" : "target_search"] = fields.bigcommerce_id;
      delete fields.bigcommerce_id;
    }
    return { ...error, message: error.message, fields };
  }

  // -- preview --------------------------------------------------------------------------------------------
  function choosePreviewVariant(row, { suggested = false } = {}) {
    const input = document.getElementById("preview-variant");
    if (suggested && (previewVariant || input.value || document.activeElement === input)) return;  // the merchant chose
    previewVariant = row;
    input.value = `${row.product_name}${row.option_label ? " — " + row.option_label : ""} (${row.sku || "variant " + row.variant_id})`;
  }
  variantPicker(document.getElementById("preview-variant"), (row) => { previewVariant = row; refresh(); });
  quantityInput.addEventListener("input", () => refresh());

  function mock(title, answer, changed) {
    title = `${title}, for ${(groupNames.get(Number(previewGroup.value)) || "Group " + previewGroup.value).toLowerCase()}`;
    const stateClass = answer.state === "unavailable" ? "state-unavailable" : "";
    return h("div", { class: `widget-mock${changed ? " changed" : ""}` },
      h("div", { class: "widget-mock-title" }, title),
      h("div", { class: `widget-mock-button ${stateClass}` }, answer.button_label),
      h("div", { class: "widget-mock-message" }, answer.message || "\u00a0"),
      h("p", { class: "widget-mock-facts" }, STATE_WORDS[answer.state] || answer.state,
        answer.state === "backorder" || answer.state === "preorder"
          ? ` · ${answer.ready_to_ship} now, ${answer.backordered} ${answer.expected_ship_date ? "by " + fmt.date(answer.expected_ship_date) : "later"}`
          : ""));
  }
  const STATE_WORDS = { in_stock: "In stock", backorder: "Backorder", preorder: "Pre-order", unavailable: "Cannot be ordered" };

  /* The preview's refusal, for the fields left so far (all of them once a save was tried); never moves focus. */
  function showPreviewRefusal() {
    const fields = Object.entries(previewRefusal.fields).filter(([name]) => triedToSave || left.has(name));
    const message = "Fix the highlighted fields to see the preview.";
    if (fields.length) showErrors(form, { ...previewRefusal, message, fields: Object.fromEntries(fields) }, { focus: false });
    else clearErrors(form);
    replace(preview, h("p", { class: "alert alert-warning small" }, fields.length ? message : "The preview appears once the form is complete."));
  }

  form.addEventListener("focusout", (event) => {
    if (!event.target.name) return;
    left.add(event.target.name);
    if (previewRefusal) showPreviewRefusal();
  });

  const refresh = debounce(async () => {
    if (!previewVariant) {
      replace(preview, h("p", { class: "muted small" }, "Choose a variant to see what shoppers will see."));
      return;
    }
    const mine = ++previewSequence;
    const quantity = Math.max(1, Number(quantityInput.value) || 1);
    preview.setAttribute("aria-busy", "true");
    try {
      suggestPreviewGroup();
      const body = await api("/api/v1/policies/preview/", { method: "POST",
        body: { variant_id: previewVariant.variant_id, quantity, policy_id: policyId, policy: values(),
          customer_group_id: Number(previewGroup.value) || 0 } });
      if (mine !== previewSequence) return;
      previewRefusal = null;
      clearErrors(form);
      const changed = JSON.stringify(body.current) !== JSON.stringify(body.preview);
      replace(preview,
        h("div", { class: "preview-pair" }, mock("Now", body.current, false), mock("After saving", body.preview, changed)),
        h("p", { class: "why" }, body.applies
          ? `This policy would apply to this variant. ${body.why}`
          : `This policy would not apply to this variant: ${body.why}`));
      announce(`Preview: ${body.preview.button_label}${body.preview.message ? ", " + body.preview.message : ""}.`);
    } catch (error) {
      if (mine !== previewSequence) return;
      if (error.status === 400) {
        previewRefusal = withTargetErrors(error);
        showPreviewRefusal();
      } else {
        replace(preview, h("p", { class: "alert alert-danger small", role: "alert" }, `The preview could not be made: ${error.message}`));
      }
    }
  }, 300);

  form.addEventListener("input", (event) => {
    if (event.target.id === "target-search" || event.target.id === "preview-variant" || event.target.id === "preview-group") return;
    syncVisibility();
    refresh();
  });
  form.addEventListener("change", () => { syncVisibility(); refresh(); });

  // -- saving and deleting --------------------------------------------------------------------------------
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("[data-save]");
    triedToSave = true;
    clearErrors(form);
    try {
      const body = values();
      const result = await busy(button, () => (policyId
        ? api(`/api/v1/policies/${policyId}/`, { method: "PATCH", body })
        : api("/api/v1/policies/", { method: "POST", body })));
      toast("Policy saved. Shoppers see it now.");
      if (!policyId) window.location.assign(`/policies/${result.id}/?saved=1`);
      else { saved = result; fill(result); syncVisibility(); refresh(); followApplying(); }
    } catch (error) {
      showErrors(form, withTargetErrors(error));
    }
  });

  /* A change that governs many variants is applied in the background (shoppers already see it): how far. */
  const applying = form.querySelector("[data-applying]");
  async function followApplying() {
    const state = await api("/api/v1/policies/applying/").catch(() => null);
    if (!state || !state.applying) {
      if (!applying.hidden) applying.textContent = "The change is applied to every item.";
      return;
    }
    applying.hidden = false;
    applying.textContent = `Applying the change to your catalog: ${state.variants_done.toLocaleString()} of ` +
      `${state.variants_total.toLocaleString()} items done. Shoppers already see the new policy.`;
    setTimeout(followApplying, 1000);
  }

  const deleteButton = form.querySelector("[data-delete]");
  deleteButton.addEventListener("click", async () => {
    const confirmed = await dialog({ title: "Delete this policy?", danger: true, confirm: "Delete policy",
      description: "The next level up applies to these items again (its product's, its category's or the store-wide policy)." });
    if (!confirmed) return;
    try {
      await busy(deleteButton, () => api(`/api/v1/policies/${policyId}/`, { method: "DELETE" }));
      window.location.assign("/policies/");
    } catch (error) {
      toast(error.message, "danger");
    }
  });

  // -- start ----------------------------------------------------------------------------------------------
  async function describeTarget(scope, id) {
    if (scope === "store" || !id) return;
    if (scope === "category") return;
    try {
      const body = await api(`/api/v1/products/?q=${id}&page_size=50`);
      const row = body.results.find((r) => (scope === "product" ? r.product_id : r.variant_id) === id);
      if (!row) { chosenText(`${scope} ${id} (not in the catalog copy)`); return; }
      document.getElementById("target-search").value = scope === "product" ? row.product_name : `${row.product_name} — ${row.option_label || row.sku}`;
      chosenText(scope === "product" ? `Product ${row.product_id}: ${row.product_name}` : `Variant ${row.variant_id}: ${row.product_name} ${row.option_label}`);
      choosePreviewVariant(row);
    } catch (error) {
      chosenText(`${scope} ${id}`);
    }
  }

  async function firstVariant() {
    try {
      const body = await api("/api/v1/products/?page_size=1&show=out_of_stock");
      const fallback = body.results.length ? body : await api("/api/v1/products/?page_size=1");
      if (fallback.results.length) choosePreviewVariant(fallback.results[0], { suggested: true });
    } catch (error) {
      /* the preview says to choose a variant */
    }
  }

  async function start() {
    try {
      if (policyId) {
        saved = await api(`/api/v1/policies/${policyId}/`);
        fill(saved);
        document.querySelector("[data-title]").textContent = saved.scope === "store" ? "Store-wide policy" : `Policy for ${saved.target_name || saved.scope + " " + saved.bigcommerce_id}`;
        document.querySelector("[data-lead]").textContent = `This is ${LEVEL_WORDS[saved.scope]}. Changes show in the preview before you save them.`;
        deleteButton.hidden = saved.scope === "store";
        if (new URLSearchParams(window.location.search).get("saved")) toast("Policy saved.");
        followApplying();
      } else {
        const params = new URLSearchParams(window.location.search);
        form.elements.scope.value = ["category", "product", "variant"].includes(params.get("scope")) ? params.get("scope") : "variant";
        form.elements.bigcommerce_id.value = params.get("bigcommerce_id") || "";
        form.elements.enabled.checked = true;
        form.elements.lead_time_days.value = "14";
      }
      syncVisibility();
      const scope = form.elements.scope.value;
      const target = Number(form.elements.bigcommerce_id.value) || null;
      await Promise.all([loadCategories(), describeTarget(scope, target), loadGroups(), loadLocations()]);
      if (saved) tickGroups(saved.customer_group_ids || []);
      syncVisibility();
      if (!previewVariant) await firstVariant();
      form.removeAttribute("aria-busy");
      refresh();
    } catch (error) {
      replace(form, h("div", { class: "state state-error", role: "alert" }, h("p", { class: "state-title" },
        error.status === 404 ? "This policy does not exist" : "The policy could not be loaded"), h("p", null, error.message),
        h("a", { class: "btn", href: "/policies/" }, "All policies")));
    }
  }

  start();
})();
