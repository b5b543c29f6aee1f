/* The card form on the review page, and "confirm this payment" on the receipt: Stripe.js
 * Elements only, so the card number goes from the browser to Stripe and never to our server.
 *
 * Review page: on submit, ask our server for a SetupIntent (POST data-setup-url), confirm it
 * with the card (3-D Secure happens here, in Stripe's frame), put its id in the form and submit.
 * A declined card is said under the card and nothing is booked. If the server answers that a
 * deposit needs 3-D Secure (data-action-secret), confirm that payment and submit again.
 *
 * Receipt page: a payment the bank wants confirmed (data-confirm-secret) is confirmed with one
 * click, then the page asks our server to check it (data-sync-url).
 *
 * In development Stripe.js is localstripe's fake, whose card inputs have no labels: they get
 * one here, from their placeholder (the real Stripe.js draws its inputs in its own frame).
 */
(function () {
  "use strict";

  var GENERIC = "Your card could not be checked. Nothing was charged; please try again.";

  function labelFakeInputs(container) {
    var names = {
      number: "Card number",
      exp_month: "Expiry month (MM)",
      exp_year: "Expiry year (YY)",
      cvc: "Security code (CVC)",
      postal_code: "Postcode",
    };
    container.querySelectorAll("input").forEach(function (input) {
      if (!input.getAttribute("aria-label")) {
        var key = input.getAttribute("placeholder") || "";
        input.setAttribute("aria-label", names[key] || key);
        input.setAttribute("autocomplete", "off");
      }
    });
  }

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function initReview(panel) {
    var form = panel.closest("form");
    if (!form || typeof window.Stripe !== "function") {
      return;
    }
    var stripe = window.Stripe(panel.dataset.publishableKey);
    var errors = panel.querySelector("#card-errors");
    var entry = panel.querySelector("[data-card-entry]");
    var submit = form.querySelector("button[type=submit]");
    var mount = panel.querySelector("#card-element");
    var card = null;
    if (mount) {
      card = stripe.elements().create("card", { hidePostalCode: false });
      card.mount(mount);
      labelFakeInputs(mount);
    }

    function say(message) {
      errors.textContent = message || "";
    }
    function busy(on) {
      if (submit) {
        submit.disabled = on;
      }
      form.setAttribute("aria-busy", on ? "true" : "false");
    }
    function choice() {
      var checked = form.querySelector("input[name=card_choice]:checked");
      var hidden = form.querySelector("input[type=hidden][name=card_choice]");
      return checked ? checked.value : hidden ? hidden.value : "new";
    }
    form.querySelectorAll("input[name=card_choice]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        entry.hidden = choice() !== "new";
      });
    });

    var ready = false;
    form.addEventListener("submit", function (event) {
      if (ready || choice() !== "new" || !card) {
        return; // a saved card: the server checks it
      }
      event.preventDefault();
      say("");
      busy(true);
      var body = new URLSearchParams(new FormData(form));
      fetch(panel.dataset.setupUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(form) },
        body: body,
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (data) {
            if (!response.ok || data.error) {
              throw new Error(data.error || GENERIC);
            }
            return stripe.confirmCardSetup(data.client_secret, {
              payment_method: { card: card },
            });
          });
        })
        .then(function (result) {
          if (result.error) {
            throw new Error(result.error.message || GENERIC);
          }
          form.querySelector("input[name=setup_intent]").value = result.setupIntent.id;
          ready = true;
          form.submit();
        })
        .catch(function (error) {
          say(error && error.message ? error.message : GENERIC);
          busy(false);
        });
    });

    // The deposit needs 3-D Secure: the server sent the page back with the intent's secret.
    var secret = panel.dataset.actionSecret;
    if (secret) {
      busy(true);
      stripe.confirmCardPayment(secret).then(function (result) {
        if (result.error) {
          say(result.error.message || GENERIC);
          busy(false);
          return;
        }
        form.querySelector("input[name=payment_intent]").value = result.paymentIntent.id;
        ready = true;
        form.submit();
      });
    }
  }

  function initConfirm(button) {
    if (typeof window.Stripe !== "function") {
      return;
    }
    var stripe = window.Stripe(button.dataset.publishableKey);
    var errors = document.getElementById(button.dataset.errors);
    button.addEventListener("click", function () {
      button.disabled = true;
      stripe.confirmCardPayment(button.dataset.confirmSecret).then(function (result) {
        if (result.error && errors) {
          errors.textContent = result.error.message || GENERIC;
        }
        button.form.submit(); // the server checks with Stripe either way
      });
    });
  }

  document.querySelectorAll("[data-payment-panel]").forEach(initReview);
  document.querySelectorAll("[data-confirm-secret]").forEach(initConfirm);
})();
