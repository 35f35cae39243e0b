/* The sandbox theme's cart script, in the spirit of Cornerstone's cart.js: the +/- buttons, a typed quantity
   and "Remove" update the line (stencil-utils' itemUpdate: POST /remote/v1/cart/update; 0 removes it), then
   the cart's content, totals and title are rendered again by the server (getContent with render_with) and
   replace the old ones: new rows, new totals, nothing of what scripts had added to the old ones. Removing
   the last line reloads the page, as Cornerstone does; a refused update puts the old quantity back. */
(function () {
  var cart = document.querySelector("[data-cart]");
  if (!cart) return;
  var busy = false;

  function redraw() {
    var options = JSON.stringify({ render_with: "cart/content,cart/totals,cart/page-title" });
    return fetch(location.pathname + location.search, { headers: { "stencil-options": options } })
      .then(function (response) { return response.json(); })
      .then(function (parts) {
        cart.querySelector("[data-cart-content]").innerHTML = parts["cart/content"];
        cart.querySelector("[data-cart-totals]").innerHTML = parts["cart/totals"];
        document.querySelector("[data-cart-page-title]").outerHTML = parts["cart/page-title"];
        var table = cart.querySelector("[data-cart-quantity]");
        document.querySelector(".cart-quantity").textContent = table ? table.getAttribute("data-cart-quantity") : "0";
      });
  }

  function update(itemId, quantity) {
    if (busy) return;
    busy = true;
    var input = document.getElementById("qty-" + itemId);
    var body = JSON.stringify({ items: [{ id: itemId, quantity: quantity }] });
    fetch("/remote/v1/cart/update", { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (answer.data.status !== "succeed") {
          // Refused (e.g. too many): the old quantity back and the reason, no redraw (as Cornerstone).
          input.value = input.defaultValue;
          return window.alert(answer.data.errors.join("\n"));
        }
        if (quantity === 0 && cart.querySelectorAll("[data-item-row]").length === 1) return location.reload();
        return redraw();
      })
      .then(function () { busy = false; }, function () { busy = false; });
  }

  cart.addEventListener("click", function (event) {
    var button = event.target.closest("[data-cart-update]");
    if (!button) return;
    event.preventDefault();
    var itemId = button.getAttribute("data-cart-itemid"), input = document.getElementById("qty-" + itemId);
    var quantity = (parseInt(input.value, 10) || 1) + (button.getAttribute("data-action") === "inc" ? 1 : -1);
    if (quantity >= 1) update(itemId, quantity);
  });
  cart.addEventListener("change", function (event) {
    var input = event.target;
    if (input.getAttribute("data-action") !== "manualQtyChange") return;
    var quantity = parseInt(input.value, 10);
    if (quantity >= 0) update(input.getAttribute("data-cart-itemid"), quantity);
    else input.value = input.defaultValue;
  });
  cart.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-cart-remove")) return;
    event.preventDefault();
    update(form.querySelector("[name=item]").value, 0);
  });
})();
