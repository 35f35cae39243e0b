/* New purchase order: details and lines (variant, quantity, expected date). */
(function () {
  "use strict";
  const { api, h, toast, showErrors, clearErrors, busy, variantPicker } = window.BO;
  const form = document.querySelector("[data-po-form]");
  const body = document.querySelector("[data-lines]");
  const linesError = document.querySelector("[data-lines-error]");
  let counter = 0;

  function addLine(prefill) {
    const n = ++counter;
    const picker = h("input", { class: "input", id: `line-${n}-variant`, type: "text", placeholder: "Search a variant",
      "aria-label": `Line ${n}: variant` });
    const variantId = h("input", { type: "hidden", name: `line-${n}-variant_id` });
    const inTwoWeeks = new Date(Date.now() + 14 * 86400000).toISOString().slice(0, 10);
    const row = h("tr", { dataset: { line: String(n) } },
      h("td", null, h("div", { class: "combo field" }, picker, variantId)),
      h("td", null, h("div", { class: "field" }, h("input", { class: "input input-small", type: "number", min: "1", name: `line-${n}-quantity`,
        value: "10", "aria-label": `Line ${n}: quantity`, inputmode: "numeric" }))),
      h("td", null, h("div", { class: "field" }, h("input", { class: "input", type: "date", name: `line-${n}-expected_date`, value: inTwoWeeks,
        "aria-label": `Line ${n}: expected date` }))),
      h("td", { class: "num" }, h("button", { type: "button", class: "btn btn-subtle btn-small", "aria-label": `Remove line ${n}`,
        onclick: () => { row.remove(); if (!body.children.length) addLine(); } }, "Remove")));
    body.append(row);
    variantPicker(picker, (variant) => { variantId.value = variant.variant_id; });
    if (prefill) {
      variantId.value = prefill.variant_id;
      picker.value = `${prefill.product_name}${prefill.option_label ? " — " + prefill.option_label : ""} (${prefill.sku || "variant " + prefill.variant_id})`;
    }
    if (!prefill && n > 1) picker.focus();
  }

  function lines() {
    return Array.from(body.querySelectorAll("tr")).map((row) => {
      const n = row.dataset.line;
      return { variant_id: Number(form.elements[`line-${n}-variant_id`].value) || null,
        quantity: Number(form.elements[`line-${n}-quantity`].value) || null,
        expected_date: form.elements[`line-${n}-expected_date`].value || null };
    });
  }

  form.querySelector("[data-add-line]").addEventListener("click", () => addLine());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    linesError.hidden = true;
    const payload = { supplier: form.elements.supplier.value, reference: form.elements.reference.value,
      notes: form.elements.notes.value, lines: lines() };
    if (form.elements.location_id.value) payload.location_id = Number(form.elements.location_id.value);
    if (payload.lines.some((line) => !line.variant_id)) {
      linesError.textContent = "Choose a variant on every line (or remove the empty line).";
      linesError.hidden = false;
      return;
    }
    try {
      const created = await busy(form.querySelector("[data-save]"), () => api("/api/v1/purchase-orders/", { method: "POST", body: payload }));
      window.location.assign(`/purchase-orders/${created.id}/?created=1`);
    } catch (error) {
      const fields = { ...error.fields };
      const lineMessages = [];
      for (const [key, messages] of Object.entries(fields)) {
        const match = key.match(/^lines(?:\[(\d+)\])?$/);
        if (match) {
          lineMessages.push(`${match[1] !== undefined ? "Line " + (Number(match[1]) + 1) + ": " : ""}${[].concat(messages).map((m) => typeof m === "string" ? m : JSON.stringify(m)).join(" ")}`);
          delete fields[key];
        }
      }
      if (lineMessages.length) {
        linesError.textContent = lineMessages.join(" ");
        linesError.hidden = false;
      }
      if (Object.keys(fields).length || !lineMessages.length) showErrors(form, { ...error, fields });
      else toast("Check the lines.", "danger");
    }
  });

  // A store with several locations chooses where the units arrive (the default location unless told).
  api("/api/v1/locations/").then((locations) => {
    const open = locations.filter((location) => location.enabled);
    if (open.length < 2) return;
    const select = form.elements.location_id;
    for (const location of open) {
      select.append(window.BO.h("option", { value: String(location.location_id), selected: location.is_default },
        location.label + (location.is_default ? " (default)" : "")));
    }
    form.querySelector("[data-location-field]").hidden = false;
  }).catch(() => {});

  const variant = new URLSearchParams(window.location.search).get("variant_id");
  if (variant) {
    api(`/api/v1/products/?q=${variant}&page_size=20`).then((found) => {
      addLine(found.results.find((row) => row.variant_id === Number(variant)));
    }).catch(() => addLine());
  } else {
    addLine();
  }
})();
