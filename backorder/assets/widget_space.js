/* Backorder: room for the storefront widget, kept before the first paint (the head script).
 *
 * Registered through the Scripts API as an inline `script_tag` in the head (stores/bigcommerce/connection.py),
 * so it runs before the page is painted. On a theme that reserved no space for the widget it reserves the
 * widget's place: the end of the add-to-cart form, the end of the cart totals, and a line in each cart row.
 * The widget (widget.js, in the footer) then writes exactly there, so nothing below moves when it appears.
 * A theme with `[data-backorder-slot]` gets nothing from this (`:has()` sees its slot); a browser without
 * `:has()` ignores the rules (the page then moves once, as it would without this script).
 * If the widget never starts (blocked, failed to load), the room is given back on `load`, but only when none
 * of it can be seen: space that was seen stays, empty, rather than move the page.
 * The server drops comment lines and indentation, and the whole file becomes one <script>: no "</", no
 * multi-line strings. Keep the sizes in step with `.bo-own` and `.bo-line` in widget.js.
 */
(function (w, d) {
  // Only while the head is parsed (before any paint): run later (a consent manager, a headless front end),
  // a reservation would itself move the page.
  if (w.__backorderSpace || !d.head || d.body) return;
  w.__backorderSpace = 1;
  var on = "html:not(.bo-off)", noSlot = on + ":not(:has([data-backorder-slot])) ";
  var style = d.createElement("style");
  style.textContent = noSlot + "form[data-cart-item-add]:not(.bo-held,.modal *,[role=dialog] *)::after," +
    noSlot + ".cart-totals:not(.bo-held)::after{content:'';display:block;min-height:7rem;margin:.75rem 0}" +
    on + " [data-item-row]:not(:has([data-backorder-line])) .cart-item-name:not(.bo-held)::after{content:'';display:block;min-height:1.25rem}";
  d.head.appendChild(style);
  // The room is the place's last box (its ::after): seen when its top is above the bottom of the window.
  w.addEventListener("load", function () {
    if (w.__backorderWidget) return;
    var places = d.querySelectorAll("form[data-cart-item-add],.cart-totals,[data-item-row] .cart-item-name");
    for (var i = 0; i < places.length; i++) {
      var place = places[i], own = getComputedStyle(place), after = getComputedStyle(place, "::after");
      if (after.content === "none") continue;
      var top = place.getBoundingClientRect().bottom - parseFloat(own.paddingBottom) - parseFloat(own.borderBottomWidth) - parseFloat(after.height);
      if (top < w.innerHeight) return;
    }
    d.documentElement.classList.add("bo-off");
  });
})(window, document);
