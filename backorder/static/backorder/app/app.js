/* Backorder merchant app: the shared helpers every page script uses (no build step, no dependencies).
 *
 * - BO.api(): the merchant API on this host, with the session cookie and the CSRF header; errors come back
 *   as BO.ApiError with the API's message and per-field messages.
 * - BO.h(): builds DOM nodes from data (text is always set as text, never parsed as HTML).
 * - BO.state.*: the loading, empty and error states every data area shows.
 * - BO.toast() / BO.announce(): visible and screen-reader messages (aria-live regions in the page shell).
 * - formatting, a pager, a confirmation dialog, form error display, a variant picker (combobox) and the
 *   "Send a test e-mail" action.
 */
(function () {
  "use strict";

  const csrfToken = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  class ApiError extends Error {
    constructor(status, body) {
      const message = (body && (body.message || body.detail)) || `The server answered ${status}.`;
      super(message);
      this.status = status;
      this.body = body || {};
      this.fields = (body && body.fields) || {};
    }
  }

  async function api(path, options = {}) {
    const init = {
      method: options.method || "GET",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    };
    if (init.method !== "GET") init.headers["X-CSRFToken"] = csrfToken();
    if (options.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (networkError) {
      throw new ApiError(0, { message: "The app could not be reached. Check your connection and try again." });
    }
    if (response.status === 204) return null;
    let body = null;
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("application/json")) body = await response.json();
    if (!response.ok) {
      if (response.status === 403 && body && body.error === "not_authenticated") {
        window.location.assign("/login/?next=" + encodeURIComponent(window.location.pathname));
      }
      throw new ApiError(response.status, body);
    }
    return body;
  }

  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, value);
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function replace(container, ...children) {
    container.replaceChildren();
    append(container, children);
    container.removeAttribute("aria-busy");
    return container;
  }

  // -- formatting ---------------------------------------------------------------------------------------
  const locale = document.documentElement.lang || "en";
  const numberFormat = new Intl.NumberFormat(locale);
  const fmt = {
    number: (value) => (value === null || value === undefined ? "—" : numberFormat.format(value)),
    money(value, currency) {
      if (value === null || value === undefined || value === "") return "—";
      try {
        return new Intl.NumberFormat(locale, { style: "currency", currency: currency || "USD" }).format(Number(value));
      } catch (error) {
        return `${Number(value).toFixed(2)} ${currency || ""}`.trim();
      }
    },
    percent: (value) => (value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`),
    days(value) {
      if (value === null || value === undefined) return "—";
      return value === 1 ? "1 day" : `${numberFormat.format(value)} days`;
    },
    date(iso) {
      if (!iso) return "—";
      const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
      return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(locale, {
        year: "numeric", month: "short", day: "numeric", timeZone: "UTC",
      });
    },
    shortDate(iso) {
      const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
      return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(locale, { month: "short", day: "numeric", timeZone: "UTC" });
    },
    dateTime(iso) {
      if (!iso) return "—";
      const zone = document.body.dataset.storeTimezone || undefined;
      try {
        return new Date(iso).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short", timeZone: zone });
      } catch (error) {
        return new Date(iso).toLocaleString(locale);
      }
    },
    ago(iso) {
      if (!iso) return "never";
      const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
      if (seconds < 60) return "just now";
      const units = [["day", 86400], ["hour", 3600], ["minute", 60]];
      for (const [unit, size] of units) {
        if (seconds >= size) {
          const n = Math.floor(seconds / size);
          return `${n} ${unit}${n === 1 ? "" : "s"} ago`;
        }
      }
      return "just now";
    },
  };

  const STATUS = {
    waiting: ["Waiting", "badge-warning"],
    allocated: ["Allocated", "badge-info"],
    shipped: ["Shipped", "badge-success"],
    cancelled: ["Cancelled", "badge-neutral"],
    open: ["Open", "badge-info"],
    partly_received: ["Partly received", "badge-warning"],
    received: ["Received", "badge-success"],
    running: ["Running", "badge-info"],
    done: ["Done", "badge-success"],
    failed: ["Failed", "badge-danger"],
    sent: ["Sent", "badge-success"],
    pending: ["Pending", "badge-warning"],
    sending: ["Sending", "badge-info"],
    unknown: ["Unknown", "badge-warning"],
    suppressed: ["Not sent", "badge-neutral"],
    test: ["Test", "badge-info"],
  };
  function badge(status, label) {
    const [text, kind] = STATUS[status] || [status, "badge-neutral"];
    return h("span", { class: `badge ${kind}` }, label || text);
  }

  // -- states ---------------------------------------------------------------------------------------------
  const EMPTY_ICON = '<svg viewBox="0 0 48 48" width="48" height="48" focusable="false"><rect x="6" y="12" width="36" height="28" rx="3" fill="#F0F3FF" stroke="#D9DCE9" stroke-width="1.5"/><path d="M6 20h36" stroke="#D9DCE9" stroke-width="1.5"/><circle cx="12" cy="16" r="1.5" fill="#B4BAD1"/><circle cx="17" cy="16" r="1.5" fill="#B4BAD1"/><path d="M17 30h14" stroke="#B4BAD1" stroke-width="2" stroke-linecap="round"/></svg>';

  /* Static markup only (never data): SVG must be parsed, not built as HTML elements. */
  function svgIcon(markup, className) {
    const holder = h("span", { class: className, "aria-hidden": "true" });
    holder.innerHTML = markup;
    return holder;
  }

  const state = {
    loading(container, text = "Loading…") {
      container.setAttribute("aria-busy", "true");
      container.replaceChildren(h("div", { class: "state state-loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), text));
    },
    empty(container, { title, text, action } = {}) {
      replace(container, h("div", { class: "state state-empty" },
        svgIcon(EMPTY_ICON, "state-icon"),
        h("p", { class: "state-title" }, title || "Nothing here yet"),
        text ? h("p", { class: "muted" }, text) : null,
        action || null));
    },
    error(container, error, retry) {
      replace(container, h("div", { class: "state state-error", role: "alert" },
        h("p", { class: "state-title" }, "This could not be loaded"),
        h("p", null, (error && error.message) || "Something went wrong."),
        retry ? h("button", { type: "button", class: "btn btn-small", onclick: retry }, "Try again") : null));
    },
  };

  // -- messages -------------------------------------------------------------------------------------------
  function announce(message) {
    const region = document.getElementById("announcer");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(() => { region.textContent = message; }, 50);
  }

  function toast(message, kind = "success") {
    const region = document.getElementById("toasts");
    if (!region) return;
    const item = h("div", { class: `toast toast-${kind}` }, h("span", null, message),
      h("button", { type: "button", class: "toast-close", "aria-label": "Dismiss", onclick: () => item.remove() }, "×"));
    region.append(item);
    window.setTimeout(() => item.remove(), kind === "danger" ? 12000 : 5000);
  }

  function debounce(fn, ms = 300) {
    let timer;
    return (...args) => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => fn(...args), ms);
    };
  }

  // -- URL query state ------------------------------------------------------------------------------------
  const query = {
    read() {
      return Object.fromEntries(new URLSearchParams(window.location.search));
    },
    write(values) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(values)) {
        if (value !== "" && value !== null && value !== undefined && value !== false) params.set(key, value);
      }
      const search = params.toString();
      window.history.replaceState(null, "", window.location.pathname + (search ? `?${search}` : ""));
    },
    string(values) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(values)) {
        if (value !== "" && value !== null && value !== undefined && value !== false) params.set(key, value);
      }
      return params.toString();
    },
  };

  // -- pager ----------------------------------------------------------------------------------------------
  function pager({ count, page, pageSize, onPage, label = "results" }) {
    const pages = Math.max(1, Math.ceil(count / pageSize));
    const first = count ? (page - 1) * pageSize + 1 : 0;
    const last = Math.min(count, page * pageSize);
    return h("nav", { class: "pager", "aria-label": "Pages" },
      h("span", { class: "pager-summary" }, `${fmt.number(first)}–${fmt.number(last)} of ${fmt.number(count)} ${label}`),
      h("div", { class: "pager-buttons" },
        h("button", { type: "button", class: "btn btn-small", disabled: page <= 1, onclick: () => onPage(page - 1) }, "Previous"),
        h("span", { class: "pager-page" }, `Page ${page} of ${pages}`),
        h("button", { type: "button", class: "btn btn-small", disabled: page >= pages, onclick: () => onPage(page + 1) }, "Next")));
  }

  // -- dialog ---------------------------------------------------------------------------------------------
  /* A modal that resolves with the form's values (or null when dismissed). `body` is a node with the
   * form's fields; Escape and Cancel dismiss; focus returns to what opened it. */
  function dialog({ title, body, confirm = "Confirm", danger = false, description }) {
    return new Promise((resolve) => {
      const opener = document.activeElement;
      const titleId = `dialog-title-${Math.random().toString(36).slice(2)}`;
      const form = h("form", { method: "dialog", class: "dialog-form" },
        h("h2", { id: titleId, class: "dialog-title" }, title),
        description ? h("p", { class: "muted" }, description) : null,
        body || null,
        h("div", { class: "dialog-actions" },
          h("button", { type: "button", class: "btn", value: "cancel", onclick: () => close(null) }, "Cancel"),
          h("button", { type: "submit", class: `btn ${danger ? "btn-danger" : "btn-primary"}`, value: "confirm" }, confirm)));
      const box = h("dialog", { class: "dialog", "aria-labelledby": titleId }, form);
      function close(value) {
        box.close();
        box.remove();
        if (opener && opener.focus) opener.focus();
        resolve(value);
      }
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (!form.reportValidity()) return;
        close(Object.fromEntries(new FormData(form)));
      });
      box.addEventListener("cancel", (event) => { event.preventDefault(); close(null); });
      document.body.append(box);
      box.showModal();
      const firstField = form.querySelector("input, select, textarea");
      (firstField || form.querySelector('button[type="submit"]')).focus();
    });
  }

  // -- forms ----------------------------------------------------------------------------------------------
  /* Show the API's field messages next to their inputs (by name) and the rest at the top of the form. */
  /* `focus: false` for errors nobody just asked for (a live preview): the merchant's focus stays where it is. */
  function showErrors(form, error, { focus = true } = {}) {
    clearErrors(form);
    const fields = (error && error.fields) || {};
    const loose = [];
    for (const [name, messages] of Object.entries(fields)) {
      const list = Array.isArray(messages) ? messages : [typeof messages === "object" ? JSON.stringify(messages) : messages];
      const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (input) {
        const id = `${input.id || name}-error`;
        const message = h("p", { class: "field-error", id }, list.join(" "));
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
        (input.closest(".field") || input.parentElement).append(message);
      } else {
        loose.push(`${name === "non_field_errors" ? "" : name.replace(/_/g, " ") + ": "}${list.join(" ")}`);
      }
    }
    if (loose.length || !Object.keys(fields).length) {
      const summary = h("div", { class: "alert alert-danger form-errors", role: "alert" },
        h("p", null, error && error.message ? error.message : "This could not be saved."),
        loose.length ? h("ul", null, loose.map((line) => h("li", null, line))) : null);
      form.prepend(summary);
    }
    const firstInvalid = form.querySelector('[aria-invalid="true"]');
    if (firstInvalid && focus) firstInvalid.focus();
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error, .form-errors").forEach((node) => node.remove());
    form.querySelectorAll('[aria-invalid="true"]').forEach((input) => {
      input.removeAttribute("aria-invalid");
      const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.endsWith("-error"));
      if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
      else input.removeAttribute("aria-describedby");
    });
  }

  async function busy(button, work) {
    const label = button.textContent;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      return await work();
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = label;
    }
  }

  // -- test e-mail --------------------------------------------------------------------------------------------
  /* A "Send a test e-mail" button: asks the notifications API for one (`body`: kind, language, to; none = the
   * store's confirmation to you), follows it in the log for a few seconds, and says how it went in `status`
   * (a live region that is in the page from the start). Resolves with the log row, or null on an error. */
  async function sendTestEmail(button, status, body = {}) {
    const say = (text, kind) => {
      status.className = `alert alert-${kind} small`;
      status.textContent = text;
    };
    status.className = "small muted";
    status.textContent = "Sending a test e-mail…";
    try {
      const message = await busy(button, async () => {
        let row = await api("/api/v1/notifications/test-email/", { method: "POST", body });
        for (let tries = 0; tries < 10 && (row.status === "pending" || row.status === "sending"); tries++) {
          await new Promise((resolve) => window.setTimeout(resolve, 1000));
          row = await api(`/api/v1/notifications/${row.id}/`);
        }
        return row;
      });
      if (message.status === "sent") say(`Test e-mail sent to ${message.recipient}. It is in the message log.`, "success");
      else if (message.status === "suppressed") say(`${message.recipient} unsubscribed from these e-mails, so nothing was sent.`, "warning");
      else if (message.status === "pending" || message.status === "sending") say(`Test e-mail to ${message.recipient} is on its way; follow it in the message log.`, "info");
      else say(`The test e-mail to ${message.recipient} could not be sent${message.last_error ? ": " + message.last_error : "."}`, "danger");
      return message;
    } catch (error) {
      const fields = Object.values(error.fields || {}).flat().join(" ");
      say(fields || error.message, "danger");
      return null;
    }
  }

  // -- variant picker (ARIA combobox over the products API) ---------------------------------------------
  /* Turns a text input into a combobox: typing searches the catalog; ↑/↓ move, Enter picks, Escape closes.
   * `onPick(variant)` receives the products API row. */
  function variantPicker(input, onPick) {
    const listId = `${input.id || "variant"}-options`;
    const list = h("ul", { class: "combo-list", id: listId, role: "listbox", hidden: true });
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");
    const wrapper = input.closest(".combo") || input.parentElement;
    wrapper.classList.add("combo");
    wrapper.append(list);
    let options = [];
    let active = -1;
    let sequence = 0;

    function open(show) {
      list.hidden = !show;
      input.setAttribute("aria-expanded", String(show));
      if (!show) input.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      active = index;
      list.querySelectorAll("[role=option]").forEach((node, n) => node.setAttribute("aria-selected", String(n === index)));
      const node = list.children[index];
      if (node && node.id) {
        input.setAttribute("aria-activedescendant", node.id);
        node.scrollIntoView({ block: "nearest" });
      }
    }
    function pick(index) {
      const row = options[index];
      if (!row) return;
      input.value = `${row.product_name}${row.option_label ? " — " + row.option_label : ""} (${row.sku || "variant " + row.variant_id})`;
      open(false);
      onPick(row);
    }
    const search = debounce(async () => {
      const term = input.value.trim();
      const mine = ++sequence;
      if (term.length < 1) { open(false); return; }
      try {
        const body = await api(`/api/v1/products/?page_size=8&q=${encodeURIComponent(term)}`);
        if (mine !== sequence) return;
        options = body.results;
        list.replaceChildren(...(options.length ? options.map((row, n) => h("li", {
          id: `${listId}-${n}`, role: "option", class: "combo-option", "aria-selected": "false",
          onmousedown: (event) => { event.preventDefault(); pick(n); },
        }, h("span", { class: "combo-name" }, row.product_name, row.option_label ? ` — ${row.option_label}` : ""),
          h("span", { class: "combo-meta" }, `${row.sku || "no SKU"} · variant ${row.variant_id} · ${row.tracked ? fmt.number(row.on_hand) + " on hand" : "not tracked"}`)))
          : [h("li", { class: "combo-empty" }, "No variant matches.")]));
        active = -1;
        open(true);
      } catch (error) {
        list.replaceChildren(h("li", { class: "combo-empty" }, error.message));
        open(true);
      }
    }, 250);
    input.addEventListener("input", search);
    input.addEventListener("keydown", (event) => {
      if (list.hidden && event.key === "ArrowDown") { search(); return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(active + 1, options.length - 1)); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (event.key === "Enter" && !list.hidden && active >= 0) { event.preventDefault(); pick(active); }
      else if (event.key === "Escape") { open(false); }
    });
    input.addEventListener("blur", () => window.setTimeout(() => open(false), 150));
  }

  window.BO = { api, ApiError, h, append, replace, fmt, badge, state, announce, toast, debounce, query, pager, dialog,
    showErrors, clearErrors, busy, variantPicker, svgIcon, sendTestEmail };
})();
