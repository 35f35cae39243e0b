/* The sandbox theme's product script, in the spirit of Cornerstone's product-details.js: the option selects
   pick a variant (kept on the form as data-variant-id for apps, and in BCData.product_attributes like
   Cornerstone's initial state), and the +/- buttons change the quantity without firing any event. */
(function () {
  var form = document.querySelector("form[data-cart-item-add]");
  if (!form) return;
  var variants = JSON.parse(document.getElementById("product-variants").textContent);

  function pick() {
    var selects = form.querySelectorAll("[data-product-attribute] select");
    var ids = [].map.call(selects, function (select) { return select.value; }).sort();
    var variant = variants[ids.join("-")];
    if (!variant) return;
    form.setAttribute("data-variant-id", variant.id);
    document.querySelector("[data-product-sku]").textContent = variant.sku;
    document.querySelector("[data-product-price-without-tax]").textContent = variant.price;
    window.BCData.product_attributes = {
      sku: variant.sku, v3_variant_id: variant.id, instock: variant.purchasable, purchasable: variant.purchasable
    };
  }

  form.querySelector("[data-product-option-change]").addEventListener("change", pick);
  [].forEach.call(form.querySelectorAll("[data-quantity-change] button"), function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var input = form.querySelector("[name='qty[]']");
      var step = button.getAttribute("data-action") === "inc" ? 1 : -1;
      input.value = Math.max(1, (parseInt(input.value, 10) || 1) + step);
    });
  });
  pick();
})();
