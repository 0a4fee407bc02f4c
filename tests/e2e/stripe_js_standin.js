// A stand-in for Stripe.js (https://js.stripe.com/v3/) for the browser tests, served by Playwright in its
// place (tests/e2e/stripe_checkout.py). It implements the part the checkout page uses, with the shapes
// Stripe.js documents, and talks to the fake Stripe API (tests/fake_stripe/) as Stripe.js talks to Stripe:
//
//   Stripe(publishableKey) -> stripe
//   stripe.elements({mode: "payment", amount, currency, paymentMethodCreation: "manual", ...}) -> elements
//   elements.create("payment") -> {mount(selector), unmount()}: draws the card fields where Stripe's frame
//     would be; the inputs have no name, so (as with Stripe's frame) the page's form never sends them
//   elements.update(options); elements.submit() -> Promise<{error?}> (Stripe's validation messages)
//   stripe.createPaymentMethod({elements}) -> Promise<{paymentMethod} | {error}>: POST /v1/payment_methods
//     with the publishable key, form-encoded
//   stripe.handleNextAction({clientSecret}) -> Promise<{paymentIntent} | {error}>: the bank's window (a
//     dialog with "Complete" and "Fail") that POSTs the fake's /fake/3ds/<pi>?outcome=succeed|fail
//
// Integration mistakes throw IntegrationError as Stripe.js does. "__FAKE_STRIPE_API__" is replaced by the
// fake's base URL when the file is served.
(function () {
  "use strict";
  var API = "__FAKE_STRIPE_API__";

  function IntegrationError(message) {
    var error = new Error(message);
    error.name = "IntegrationError";
    return error;
  }

  function formEncode(fields) {
    return Object.keys(fields)
      .map(function (key) {
        return encodeURIComponent(key) + "=" + encodeURIComponent(fields[key]);
      })
      .join("&");
  }

  function call(key, method, path, fields) {
    var options = { method: method, headers: { Authorization: "Bearer " + key } };
    var url = API + path;
    if (method === "POST") {
      options.headers["Content-Type"] = "application/x-www-form-urlencoded";
      options.body = formEncode(fields || {});
    } else if (fields) {
      url += "?" + formEncode(fields);
    }
    return fetch(url, options).then(function (response) {
      return response.json();
    });
  }

  function luhn(digits) {
    var sum = 0;
    for (var i = 0; i < digits.length; i++) {
      var digit = parseInt(digits.charAt(digits.length - 1 - i), 10);
      if (i % 2 === 1) {
        digit *= 2;
        if (digit > 9) digit -= 9;
      }
      sum += digit;
    }
    return digits.length >= 12 && sum % 10 === 0;
  }

  function field(container, id, labelText, placeholder, autocomplete) {
    var wrap = document.createElement("div");
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = labelText;
    var input = document.createElement("input");
    input.id = id; // no name: never part of the page's form data
    input.type = "text";
    input.inputMode = "numeric";
    input.autocomplete = autocomplete;
    input.placeholder = placeholder;
    wrap.appendChild(label);
    wrap.appendChild(input);
    container.appendChild(wrap);
    return input;
  }

  function PaymentElement(elements) {
    this._elements = elements;
    this._node = null;
  }
  PaymentElement.prototype.mount = function (target) {
    var container = typeof target === "string" ? document.querySelector(target) : target;
    if (!container) throw IntegrationError("The selector you specified (" + target + ") applies to no DOM elements.");
    var node = document.createElement("div");
    node.className = "stripe-standin";
    node.setAttribute("data-testid", "stripe-standin");
    this.number = field(node, "standin-card-number", "Card number", "1234 1234 1234 1234", "cc-number");
    this.expiry = field(node, "standin-card-expiry", "Expiration date", "MM / YY", "cc-exp");
    this.cvc = field(node, "standin-card-cvc", "Security code", "CVC", "cc-csc");
    container.appendChild(node);
    this._node = node;
    this._elements._mounted = this;
  };
  PaymentElement.prototype.unmount = function () {
    if (this._node) this._node.remove();
    this._node = null;
    this._elements._mounted = null;
  };

  function Elements(stripe, options) {
    if (!options || options.mode !== "payment") {
      throw IntegrationError("In this integration, elements() needs mode: 'payment' (no clientSecret is given).");
    }
    if (!Number.isInteger(options.amount) || options.amount < 0) {
      throw IntegrationError("Invalid value for elements(): amount should be a positive integer. You specified: " + options.amount + ".");
    }
    if (typeof options.currency !== "string" || !/^[a-z]{3}$/.test(options.currency)) {
      throw IntegrationError("Invalid value for elements(): currency should be a lowercase ISO currency code.");
    }
    this._stripe = stripe;
    this._options = Object.assign({}, options);
    this._mounted = null;
    this._submitted = false;
    window.__stripeStandin.elements.push(this);
  }
  Elements.prototype.create = function (type) {
    if (type !== "payment") throw IntegrationError("The stand-in only draws the Payment Element, not " + type + ".");
    return new PaymentElement(this);
  };
  Elements.prototype.update = function (options) {
    if ("amount" in options && (!Number.isInteger(options.amount) || options.amount < 0)) {
      throw IntegrationError("Invalid value for elements.update(): amount should be a positive integer.");
    }
    Object.assign(this._options, options);
  };
  Elements.prototype.submit = function () {
    var element = this._mounted;
    var self = this;
    return new Promise(function (resolve) {
      if (!element) throw IntegrationError("elements.submit(): no Payment Element is mounted.");
      var number = element.number.value.replace(/\D/g, "");
      var expiry = element.expiry.value.replace(/\s/g, "");
      var problem = null;
      if (!number) problem = "Your card number is incomplete.";
      else if (!luhn(number)) problem = "Your card number is invalid.";
      else if (!/^\d{2}\/?\d{2}$/.test(expiry)) problem = "Your card's expiration date is incomplete.";
      else if (!/^\d{3,4}$/.test(element.cvc.value.trim())) problem = "Your card's security code is incomplete.";
      self._submitted = !problem;
      resolve(problem ? { error: { type: "validation_error", message: problem } } : {});
    });
  };

  function bankDialog(intent) {
    var dialog = document.createElement("dialog");
    dialog.setAttribute("aria-labelledby", "standin-3ds-title");
    dialog.setAttribute("data-testid", "stripe-3ds");
    var title = document.createElement("h2");
    title.id = "standin-3ds-title";
    title.textContent = "3D Secure 2 Test Page";
    var text = document.createElement("p");
    text.textContent = "Confirm the payment of " + (intent.amount / 100).toFixed(2) + " " + intent.currency.toUpperCase() + ".";
    dialog.appendChild(title);
    dialog.appendChild(text);
    var buttons = {};
    ["Complete", "Fail"].forEach(function (name) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = name;
      dialog.appendChild(button);
      buttons[name] = button;
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    return { dialog: dialog, buttons: buttons };
  }

  function Stripe(key) {
    if (!(this instanceof Stripe)) return new Stripe(key);
    if (typeof key !== "string" || key.indexOf("pk_") !== 0) {
      throw IntegrationError("Invalid API Key provided: " + key + ". Stripe(...) takes your publishable key.");
    }
    this._key = key;
    window.__stripeStandin.keys.push(key);
  }
  Stripe.prototype.elements = function (options) {
    return new Elements(this, options);
  };
  Stripe.prototype.createPaymentMethod = function (options) {
    var elements = options && options.elements;
    if (!(elements instanceof Elements)) {
      return Promise.reject(IntegrationError("createPaymentMethod: pass the Elements instance as {elements}."));
    }
    if (elements._options.paymentMethodCreation !== "manual") {
      return Promise.reject(
        IntegrationError("stripe.createPaymentMethod() with elements needs paymentMethodCreation: 'manual' on elements().")
      );
    }
    if (!elements._submitted) {
      return Promise.reject(IntegrationError("elements.submit() must be called before stripe.createPaymentMethod()."));
    }
    var card = elements._mounted;
    var expiry = card.expiry.value.replace(/\D/g, "");
    var fields = {
      type: "card",
      "card[number]": card.number.value.replace(/\D/g, ""),
      "card[exp_month]": String(parseInt(expiry.slice(0, 2), 10)),
      "card[exp_year]": "20" + expiry.slice(2, 4),
      "card[cvc]": card.cvc.value.trim(),
    };
    return call(this._key, "POST", "/v1/payment_methods", fields).then(function (body) {
      if (body.error) return { error: body.error };
      window.__stripeStandin.paymentMethods.push(body.id);
      return { paymentMethod: body };
    });
  };
  Stripe.prototype.handleNextAction = function (options) {
    var secret = options && options.clientSecret;
    if (typeof secret !== "string" || secret.indexOf("_secret_") < 0) {
      return Promise.reject(IntegrationError("handleNextAction: clientSecret must be a PaymentIntent's client secret."));
    }
    var intentId = secret.split("_secret_")[0];
    var key = this._key;
    return call(key, "GET", "/v1/payment_intents/" + intentId, { client_secret: secret }).then(function (intent) {
      if (intent.error) return { error: intent.error };
      if (intent.status !== "requires_action") {
        throw IntegrationError("handleNextAction: the PaymentIntent has status " + intent.status + ", not requires_action.");
      }
      window.__stripeStandin.nextActions.push(intentId);
      var bank = bankDialog(intent);
      return new Promise(function (resolve) {
        function answer(outcome) {
          bank.buttons.Complete.disabled = bank.buttons.Fail.disabled = true;
          fetch(API + "/fake/3ds/" + intentId + "?outcome=" + outcome, { method: "POST" })
            .then(function (response) {
              return response.json();
            })
            .then(function (after) {
              bank.dialog.close();
              bank.dialog.remove();
              if (after.error) return resolve({ error: after.error });
              if (after.status === "requires_payment_method") {
                var error = Object.assign({}, after.last_payment_error || {});
                error.payment_intent = after;
                return resolve({ error: error });
              }
              resolve({ paymentIntent: after });
            });
        }
        bank.buttons.Complete.addEventListener("click", function () {
          answer("succeed");
        });
        bank.buttons.Fail.addEventListener("click", function () {
          answer("fail");
        });
      });
    });
  };

  // What the tests read back: the keys, Elements, payment methods made and next actions handled.
  window.__stripeStandin = { keys: [], elements: [], paymentMethods: [], nextActions: [] };
  window.Stripe = Stripe;
})();
