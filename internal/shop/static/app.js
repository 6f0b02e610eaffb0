/* Vigil Coffee Shop front-end bundle.
 *
 * Wires the product page's #add-to-cart button: a click POSTs
 * {"sku": ...} to /api/cart and shows the returned {"count": n} in the
 * header's #cart-count badge. Clicking the cart link while an add is still
 * in flight waits for it, so a fast visitor (or a synthetic check) never
 * lands on a cart that misses the item it just added.
 *
 * Fault injection: when the server marks the page with
 * <body data-fault="product_js_error">, the bundle throws an uncaught Error
 * before wiring anything, like a broken deploy would, so the button does
 * nothing.
 */
(function () {
  "use strict";

  /** The in-flight add-to-cart request, or null. */
  var pending = null;

  function setCartCount(n) {
    var badge = document.getElementById("cart-count");
    if (badge) {
      badge.textContent = String(n);
    }
  }

  function setStatus(text, isError) {
    var status = document.getElementById("cart-status");
    if (status) {
      status.textContent = text;
      status.className = isError ? "status error" : "status";
    }
  }

  function addToCart(sku) {
    return fetch("/api/cart", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ sku: sku })
    }).then(function (resp) {
      if (!resp.ok) {
        throw new Error("add to cart: HTTP " + resp.status);
      }
      return resp.json();
    }).then(function (body) {
      setCartCount(body.count);
      setStatus("Added to cart.", false);
    });
  }

  function wireAddToCart() {
    var button = document.getElementById("add-to-cart");
    if (!button) {
      return;
    }
    button.addEventListener("click", function () {
      if (pending) {
        return;
      }
      button.disabled = true;
      setStatus("Adding\u2026", false);
      pending = addToCart(button.getAttribute("data-sku"))
        .catch(function (err) {
          console.error(err);
          setStatus("Sorry, we could not add this to your cart. Please try again.", true);
        })
        .then(function () {
          button.disabled = false;
          pending = null;
        });
    });
  }

  function holdCartLinkWhileAdding() {
    document.addEventListener("click", function (ev) {
      var link = ev.target && ev.target.closest ? ev.target.closest("a[href='/cart']") : null;
      if (!link || !pending) {
        return;
      }
      ev.preventDefault();
      pending.then(function () {
        window.location.assign(link.href);
      });
    });
  }

  function init() {
    if (document.body.getAttribute("data-fault") === "product_js_error") {
      throw new Error("Vigil shop: injected fault product_js_error (the product page bundle is broken)");
    }
    wireAddToCart();
    holdCartLinkWhileAdding();
    document.documentElement.setAttribute("data-app-ready", "true");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
