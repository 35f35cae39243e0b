/* Backorder storefront widget (served by backorder/storefront_widget.py with the store's configuration).
 *
 * Product page: the add-to-cart label, the ship date, the "N ready to ship, N backordered" split, a
 * notify-me form and in-stock alternatives for sold-out items. Cart page: a label per line, the order's
 * ships-by date and, when the policy allows, the shopper's shipping choice, written again into the new rows
 * and totals when the theme redraws the cart. The page contract (which elements it reads and where it
 * writes) is in docs/storefront-widget.md.
 *
 * Never breaks the store: every request gives up after 1.5 s, every failure leaves the page as the theme
 * made it, nothing is logged, and what it shows goes into space reserved before the first paint: the theme's
 * `[data-backorder-slot]`, else the room the head script (widget_space.js) keeps at the end of the
 * add-to-cart form, of `.cart-totals` and of each cart row's `.cart-item-name`, which the widget takes over
 * (class `bo-held` on the place ends the head script's reservation in the same frame).
 * Its own words come in the store's language with the script; a page in another language the store enabled
 * gets them from a small cacheable file (C.pack), asked for once, alongside the first question.
 * The server minifies it with an ES5 parser (names shortened, comments and spaces dropped): write ES5 only
 * (var, function; no arrow functions, let/const or template strings). Budget: 5 KB gzipped with four
 * languages enabled (tests/backorder/test_storefront_widget_js.py); `./bin/bench widget --breakdown` shows
 * what each part costs.
 */
(function (C) {
  "use strict";
  var w = window, d = document, P = w.performance, uid = 0, TIMEOUT = 1500;
  if (!C || w.__backorderWidget || !w.fetch || !w.Promise || !w.URLSearchParams || !P) return;
  w.__backorderWidget = 1;
  var lang = (d.documentElement.lang || "").toLowerCase().split(/[-_]/)[0], S = C.strings, words, shopper;
  if (C.languages.indexOf(lang) < 0) lang = C.language;
  words = lang === C.language ? Promise.resolve() : loadWords();
  shopper = who();
  function noop() {}

  // Some of the store's policies are for certain customer groups (C.customer, the app's client id): the
  // storefront's Current Customer token says who is signed in, and answers are asked for their group. A guest
  // gets a 404 (no token: the guests' answer); a failure, a slow answer (TIMEOUT) or anything but a JWT counts
  // as a guest.
  function who() {
    return C.customer ? new Promise(function (resolve) {
      setTimeout(resolve, TIMEOUT, "");
      fetch("/customer/current.jwt?app_client_id=" + C.customer, { credentials: "same-origin" }).then(function (response) {
        return response.ok ? response.text() : "";
      }).then(function (token) {
        resolve(/^[\w-]+\.[\w-]+\.[\w-]+/.test(token) ? token : "");
      }, function () {
        resolve("");
      });
    }) : Promise.resolve("");
  }

  // Another language than the store's: its words come from their own file, asked for now, alongside the first
  // question (answers wait for them; if they fail, the store's words stay).
  function loadWords() {
    return call(fill(C.pack, { lang: lang })).then(function (body) {
      S = body;
    }, noop);
  }

  // Runs fn, never throws, and records its main-thread time as a "backorder:<name>" measure.
  function timed(name, fn) {
    return function () {
      var start = P.now();
      try {
        return fn.apply(this, arguments);
      } catch (e) {
        // nothing: the page stays as it was
      } finally {
        try {
          P.measure("backorder:" + name, { start: start, end: P.now() });
        } catch (e) {
          // a browser without measure options
        }
      }
    };
  }

  function q(selector, root) {
    return (root || d).querySelector(selector);
  }

  // A new element, appended to `parent` when given.
  function el(tag, cls, text, parent) {
    var node = d.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (all, name) {
      return name in values ? values[name] : all;
    });
  }

  function dateText(iso) {
    try {
      var options = { month: "short", day: "numeric", timeZone: "UTC" };
      return new Intl.DateTimeFormat(lang, options).format(new Date(iso + "T00:00:00Z"));
    } catch (e) {
      return iso;
    }
  }

  function waiting(state) {
    return state === "backorder" || state === "preorder";
  }

  // One request (a path under the store's API, or an address): no cookies, CORS-simple (GET, or a form POST),
  // abandoned after TIMEOUT.
  function call(path, params, form) {
    var control = w.AbortController && new AbortController(),
      options = { credentials: "omit", signal: control && control.signal };
    if (form) {
      options.method = "POST";
      options.body = new URLSearchParams(form);
    }
    var url = (path[0] === "/" ? C.api : "") + path + (params ? "?" + new URLSearchParams(params) : "");
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () {
        if (control) control.abort();
        reject({ status: 0 });
      }, TIMEOUT);
      function done(settle) {
        return function (value) {
          clearTimeout(timer);
          settle(value);
        };
      }
      fetch(url, options).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw { status: response.status, body: body };
          return body;
        });
      }).then(done(resolve), done(reject));
    });
  }

  // An answer to show: it waits for the shopper's words when they come from a language file, and is asked for
  // the signed-in shopper's group when there is one. A token that expired meanwhile (401) is asked for again, once.
  function ask(path, params, again) {
    var answer = shopper.then(function (token) {
      if (token) params.customer_jwt = token;
      else delete params.customer_jwt;
      return call(path, params);
    }).catch(function (error) {
      if (error.status !== 401 || again) throw error;
      shopper = who();
      return ask(path, params, 1);
    });
    return Promise.all([answer, words]).then(function (both) {
      return both[0];
    });
  }

  // The merchant's own label replaces a built-in one, never the label a policy set.
  function labelFor(answer) {
    var own = C.labels[answer.state];
    return own && answer.button_label === S["default_" + answer.state] ? own : answer.button_label;
  }

  function style() {
    var c = C.colors, a = c.accent, o = c.on_accent, b = c.background, t = c.text;
    el("style", "", [
      ".bo-own{display:block;min-height:7rem;margin:.75rem 0;padding:0;border:0;list-style:none}",
      ".bo-box{font-size:.9375rem;line-height:1.4;text-align:left}",
      ".bo-card{box-sizing:border-box;padding:.5rem .75rem;border-left:4px solid " + a + ";border-radius:4px;background:" + b + ";color:" + t + "}",
      ".bo-card.bo-in_stock{background:0 0;border-color:transparent;color:inherit}",
      ".bo-msg{margin:0;font-weight:600}",
      ".bo-msg:before{content:'';display:inline-block;width:.625rem;height:.625rem;margin-right:.5rem;border-radius:50%;background:" + a + "}",
      ".bo-in_stock .bo-msg:before{background:#15803D}",
      ".bo-sub{display:block;font-weight:400}",
      ".bo-notify{display:flex;gap:.5rem;min-height:2.25rem;margin-top:.375rem}",
      ".bo-notify input,.bo-box button{height:2.25rem;margin:0;border-radius:4px;font:inherit}",
      ".bo-notify input{flex:1 1 8rem;min-width:0;box-sizing:border-box;padding:0 .5rem;border:1px solid #6B7280;background:#fff;color:#111827}",
      ".bo-notify [aria-invalid=true]{border-color:#B91C1C}",
      ".bo-box button{padding:0 .875rem;border:0;background:" + a + ";color:" + o + ";font-weight:600;cursor:pointer}",
      ".bo-box button:disabled{opacity:.6;cursor:default}",
      ".bo-alt{width:0;min-width:100%;min-height:1.5rem;margin-top:.375rem;overflow-x:auto;white-space:nowrap;font-size:.875rem}",
      ".bo-alt a,.bo-pill{display:inline-block;padding:0 .5rem;border-radius:999px}",
      ".bo-alt a{margin:0 0 .125rem .375rem;border:1px solid " + a + ";color:inherit;text-decoration:none}",
      ".bo-alt a:hover{text-decoration:underline}",
      ".bo-box :focus-visible{outline:2px solid " + a + ";outline-offset:2px}",
      ".bo-ship{margin:.375rem 0 0;padding:0;border:0;font-size:.875rem}",
      ".bo-ship legend{float:left;margin-right:.5rem;padding:0}",
      ".bo-ship label{margin-right:.75rem;white-space:nowrap;cursor:pointer}",
      ".bo-ship input{margin:0 .25rem 0 0;vertical-align:-.125rem}",
      ".bo-line{min-height:1.25rem;font-size:.8125rem;line-height:1.5}",
      ".bo-pill{margin-right:.25rem;background:" + a + ";color:" + o + ";font-weight:600}",
      ".bo-pill.bo-in_stock{background:" + b + ";color:" + t + "}",
      ".bo-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}"
    ].join(""), d.head);
  }

  // Without a theme slot: the widget's own box at the end of `place`, where the head script kept the room.
  function ownBox(place, tag) {
    place.classList.add("bo-held");
    return el(tag || "div", "bo-own", "", place);
  }

  // After the first answer (or none): room in the widget's own box that the shopper cannot have seen (all of
  // it below the fold) is given back, which moves nothing they see; room they may have seen stays.
  function settler(box) {
    var done = 0;
    return function () {
      if (!done && box.classList.contains("bo-own") && box.getBoundingClientRect().top >= w.innerHeight) box.style.minHeight = "0";
      done = 1;
    };
  }

  // A card in the reserved space: a polite live message, then rows of extras (form, alternatives).
  function card(box) {
    var frame = el("div", "bo-card", "", box), message = el("p", "bo-msg", "", frame);
    message.setAttribute("role", "status");
    message.setAttribute("aria-live", "polite");
    frame.hidden = true;
    box.classList.add("bo-box");
    return { frame: frame, message: message };
  }

  function show(view, state, text, sub) {
    view.frame.className = "bo-card bo-" + state;
    view.frame.hidden = !text;
    view.message.textContent = text || "";
    if (sub) el("span", "bo-sub", sub, view.message);
    while (view.frame.children.length > 1) view.frame.removeChild(view.frame.lastChild);
  }

  function productPage(form) {
    var productInput = q("[name=product_id]", form);
    if (!productInput || !/^\d+$/.test(productInput.value)) return;
    var button = d.getElementById("form-action-addToCart") || q("[type=submit]", form),
      isInput = button && button.tagName === "INPUT",
      original = button ? (isInput ? button.value : button.textContent) : "",
      box = q("[data-backorder-slot]") || ownBox(form), view = card(box), settle = settler(box),
      alternatives = {}, weDisabled, pinned, seq = 0, last = "", timer, shown;

    function wanted() {
      var qtyInput = q("[name='qty[]']", form), quantity = parseInt(qtyInput && qtyInput.value, 10),
        variant = form.getAttribute("data-variant-id"), attributes = w.BCData && w.BCData.product_attributes;
      if (!variant && attributes) variant = attributes.v3_variant_id;
      return {
        product: productInput.value,
        variant: /^\d+$/.test(variant) ? String(variant) : "",
        quantity: quantity > 0 && quantity <= 100000 ? quantity : 1
      };
    }

    function label(text, disable) {
      if (!button) return;
      // The label may get shorter ("Backorder"): a kept width keeps whatever sits beside the button still.
      // Read once the page is laid out (an answer arrived), so that reading costs no layout of its own.
      if (!pinned && button.offsetWidth) {
        button.style.minWidth = button.offsetWidth + "px";
        pinned = true;
      }
      if (!isInput) {
        button.textContent = text;
      } else if (button.value !== text) {
        // An <input>'s label is one text that would slide inside the button when it changes (a layout
        // shift); a frame without a label in between makes the new label a new text instead.
        shown = text;
        button.value = "";
        requestAnimationFrame(function () {
          requestAnimationFrame(function () {
            button.value = shown;
          });
        });
      }
      if (disable && !button.disabled) {
        button.disabled = weDisabled = true;
      } else if (!disable && weDisabled) {
        button.disabled = weDisabled = false;
      }
    }

    // No answer: the page is exactly as the theme made it.
    function reset() {
      last = "";
      label(original, false);
      show(view, "none", "");
      settle();
    }

    function notifyRow(answer, want) {
      var row = el("div", "bo-notify"), id = "bo-email-" + ++uid, caption = el("label", "bo-sr", S.email, row),
        input = el("input", "", "", row), send = el("button", "", S.notify, row);
      caption.htmlFor = input.id = id;
      // Owned by no form: the add-to-cart form (the box may sit in it) neither validates nor submits it.
      input.setAttribute("form", "");
      input.type = "email";
      input.required = true;
      input.autocomplete = "email";
      input.placeholder = S.email;
      send.type = "button";
      function say(text, invalid) {
        view.message.textContent = text;
        input.setAttribute("aria-invalid", invalid);
      }
      function submit() {
        if (!input.value || !input.checkValidity()) {
          say(S.notify_invalid, true);
          input.focus();
          return;
        }
        send.disabled = true;
        var body = { email: input.value, product_id: want.product, locale: lang };
        if (answer.variant_id) body.variant_id = answer.variant_id;
        call("/notify-me", null, body).then(function () {
          row.textContent = "";
          say(S.notify_done, false);
        }, function (error) {
          send.disabled = false;
          say(error.status === 400 ? S.notify_invalid : S.notify_failed, error.status === 400);
        });
      }
      input.addEventListener("input", function () {
        say(answer.message || S.notify, false);
      });
      // The row may sit inside the add-to-cart form: Enter must not put the item in the cart.
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          submit();
        }
      });
      send.addEventListener("click", submit);
      return row;
    }

    function alternativesRow(productId) {
      var row = el("div", "bo-alt");
      if (!alternatives[productId]) alternatives[productId] = call("/products/" + productId + "/alternatives", { limit: 4 });
      alternatives[productId].then(timed("alternatives", function (body) {
        var found = (body.alternatives || []).filter(function (item) {
          return /^(\/(?!\/)|https?:\/\/)/i.test(item.url || "");
        });
        if (found.length) el("span", "", S.alternatives, row);
        found.forEach(function (item) {
          el("a", "", item.name, row).href = item.url;
        });
      }), function () {
        alternatives[productId] = null;
      });
      return row;
    }

    var render = timed("render", function (answer, want) {
      var state = answer.state, sub = "";
      if (waiting(state) && C.show.split && answer.ready_to_ship > 0 && answer.backordered > 0) {
        sub = fill(state === "preorder" ? S.split_preorder : S.split, { ready: answer.ready_to_ship, later: answer.backordered });
      }
      label(state === "in_stock" ? original : labelFor(answer), state === "unavailable");
      show(view, state, state === "in_stock" ? S.in_stock : answer.message || labelFor(answer), sub);
      if (state === "unavailable") {
        if (C.show.notify_me && answer.on_hand !== null) view.frame.appendChild(notifyRow(answer, want));
        if (C.show.alternatives) view.frame.appendChild(alternativesRow(want.product));
      }
      settle();
    });

    var refresh = timed("refresh", function () {
      var want = wanted(), key = want.product + ":" + want.variant + ":" + want.quantity, mine;
      if (key === last) return;
      mine = ++seq;
      last = key;
      ask("/products/" + want.product, { variant_id: want.variant, quantity: want.quantity, locale: lang }).then(function (answer) {
        if (mine === seq) render(answer, want);
      }, function () {
        if (mine === seq) reset();
      });
    });

    // Themes change options and quantity in many ways (selects, swatches, +/- buttons that fire no event):
    // look again shortly after anything happens in the form.
    function soon() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 120);
    }
    ["change", "input", "click"].forEach(function (type) {
      form.addEventListener(type, soon);
    });
    w.BackorderWidget = { refresh: soon };
    refresh();
  }

  // Cart page. Themes redraw the cart's rows and totals after a quantity change or a removal (Cornerstone puts
  // what the server rendered in place of the old ones): a watcher on the cart looks again after any change of
  // its children that is not the widget's own, asks again only when the lines changed, and writes the last
  // answer into the new places, whose room the slot or the head script kept.
  function cartPage() {
    var root = q("[data-cart]") || d.body, summary, answered = "", asked = "-", seq = 0, cartId = "", box, view,
      settle = noop, drawn, timer;

    // The cart's lines ("product:variant:quantity") and their rows; the quantity the page was drawn with.
    function scan() {
      var lines = [], cells = [];
      [].forEach.call(d.querySelectorAll("[data-item-row]"), function (row) {
        var input = q(".cart-item-qty-input", row), product = row.getAttribute("data-product-id"),
          variant = row.getAttribute("data-variant-id") || "",
          quantity = row.getAttribute("data-quantity") || (input && (input.defaultValue || input.value)) || "";
        if (/^\d+$/.test(product) && /^\d*$/.test(variant) && /^[1-9]\d{0,5}$/.test(quantity) && lines.length < 100) {
          lines.push(product + ":" + variant + ":" + quantity);
          cells.push(row);
        }
      });
      return { key: lines.join(","), cells: cells };
    }

    // The order's place: the theme's slot, else the widget's box at the end of `.cart-totals` (a new box in
    // totals the theme drew again).
    function place() {
      var found = q("[data-backorder-slot]"), totals = q(".cart-totals");
      if (!found && totals) found = q(".bo-own", totals) || ownBox(totals, /^[OU]L$/.test(totals.tagName) ? "li" : "div");
      if (found && found !== box) {
        box = found;
        view = card(box);
        settle = settler(box);
        drawn = 0;
      }
    }

    // A line's label; only into a place that shows none yet unless `again` (a new answer).
    function lineLabel(row, answer, again) {
      var spot = q("[data-backorder-line],.bo-line", row), state = answer.state;
      if (spot && spot.classList.contains("bo-line") && !again) return;
      if (!spot) spot = ownBox(q(".cart-item-name", row) || q("td", row) || row);
      spot.className = "bo-line";
      spot.textContent = "";
      el("span", "bo-pill bo-" + state, state === "in_stock" ? S.in_stock : labelFor(answer), spot);
      if (waiting(state) && answer.message) spot.appendChild(d.createTextNode(" " + answer.message));
    }

    function choice() {
      var group = el("fieldset", "bo-ship"), name = "bo-ship-" + ++uid;
      el("legend", "", S.ship_how, group);
      ["together", "available_first"].forEach(function (value) {
        var option = el("label", "", "", group), radio = el("input", "", "", option);
        radio.type = "radio";
        radio.name = name;
        radio.value = value;
        radio.checked = (summary.shipping_choice || "together") === value;
        radio.addEventListener("change", function () {
          summary.shipping_choice = value;
          call("/cart/shipping-choice", null, { cart_id: cartId, shipping_preference: value }).catch(noop);
        });
        option.appendChild(d.createTextNode(S[value]));
      });
      return group;
    }

    // The last answer, everywhere when it is new (`again`), else only into places that show nothing yet.
    function render(found, again) {
      found.cells.forEach(function (row, index) {
        lineLabel(row, summary.lines[index], again);
      });
      if (!view || (drawn && !again)) return;
      var state = summary.state, late = waiting(state);
      show(view, state, late ? (summary.ships_by ? fill(S.ships_by, { date: dateText(summary.ships_by) }) : S.ships_unknown) : "");
      if (late && summary.shipping_choice_offered && cartId) view.frame.appendChild(choice());
      drawn = 1;
      settle();
    }

    // No answer for these lines: nothing the widget said of the cart stays (the page is as the theme drew it).
    function wipe(found) {
      found.cells.forEach(function (row) {
        var spot = q(".bo-line", row);
        if (spot) spot.textContent = "";
      });
      if (view) show(view, "none", "");
      answered = "";
      drawn = 1;
      settle();
    }

    var look = timed("cart-look", function () {
      var found = scan(), holder = q("[data-cart-id]"), mine;
      cartId = holder ? holder.getAttribute("data-cart-id") : "";
      place();
      if (found.key && found.key === answered) {
        asked = answered;
        seq++;
        return render(found);
      }
      if (found.key === asked) return;
      asked = found.key;
      mine = ++seq;
      if (!found.key) return wipe(found);
      ask("/cart", { lines: found.key, locale: lang, cart_id: cartId }).then(timed("cart", function (body) {
        if (mine !== seq) return;
        summary = body;
        answered = asked;
        var now = scan();
        if (now.key === answered) render(now, 1);
      }), function () {
        if (mine === seq) wipe(scan());
      });
    });

    // The widget's own writes (inside its boxes and labels, or one of its boxes added) are not the theme's.
    function ours(node) {
      return node.closest && node.closest(".bo-box,.bo-line,.bo-own");
    }
    function own(record) {
      var added = record.addedNodes;
      return ours(record.target) || (!record.removedNodes.length && added.length === 1 && ours(added[0]));
    }
    // One look 100 ms after the first change of the theme's (a redraw comes in a burst of changes).
    if (w.MutationObserver) {
      new MutationObserver(function (records) {
        if (!timer && !records.every(own)) timer = setTimeout(function () {
          timer = 0;
          look();
        }, 100);
      }).observe(root, { childList: true, subtree: true });
    }
    w.BackorderWidget = { refresh: look };
    look();
  }

  var start = timed("init", function () {
    style();
    var form = q("form[data-cart-item-add]");
    if (form) productPage(form);
    if (q("[data-item-row]")) cartPage();
  });
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start);
  else start();
})(__BACKORDER_CONFIG__);
