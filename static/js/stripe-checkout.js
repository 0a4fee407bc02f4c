// The checkout's card form when the provider is Stripe: Stripe's Payment Element draws the card fields in its
// own frame, Stripe.js turns them into a payment method (pm_...), and only that id is posted to this server.
// When the bank asks the buyer to confirm (3-D Secure), the page is drawn with the intent's client secret:
// Stripe.js shows the bank's window, then this page goes back to the checkout, which asks Stripe the outcome.
(function () {
  "use strict";
  var root = document.querySelector("[data-stripe-checkout]");
  if (!root || typeof window.Stripe !== "function") return;
  var stripe = window.Stripe(root.dataset.publishableKey);

  if (root.dataset.clientSecret) {
    stripe.handleNextAction({ clientSecret: root.dataset.clientSecret }).then(function () {
      // Succeeded, refused or abandoned: the server asks Stripe and says which.
      window.location.assign(root.dataset.returnUrl);
    });
    return;
  }

  var form = root.querySelector("form.card-form");
  if (!form) return;
  var errors = root.querySelector("#card-errors");
  var button = form.querySelector("button[type=submit]");
  var box = button.dataset.splitBox ? document.getElementById(button.dataset.splitBox) : null;

  function cardAmount() {
    if (box && box.checked && root.dataset.cardWithBalance) return parseInt(root.dataset.cardWithBalance, 10);
    return parseInt(root.dataset.total, 10);
  }

  function showError(message) {
    errors.textContent = "";
    var list = document.createElement("ul");
    list.className = "errorlist nonfield";
    var item = document.createElement("li");
    item.textContent = message;
    list.appendChild(item);
    errors.appendChild(list);
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }

  var elements = stripe.elements({
    mode: "payment",
    amount: cardAmount(),
    currency: root.dataset.currency,
    paymentMethodCreation: "manual",
    paymentMethodTypes: ["card"],
  });
  elements.create("payment").mount("#payment-element");
  if (box) {
    box.addEventListener("change", function () {
      elements.update({ amount: cardAmount() });
    });
  }

  form.addEventListener("submit", function (event) {
    if (form.elements.payment_method.value) return; // made already: this is the real submit
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    elements
      .submit()
      .then(function (checked) {
        if (checked.error) throw checked.error;
        return stripe.createPaymentMethod({ elements: elements });
      })
      .then(function (made) {
        if (made.error) throw made.error;
        form.elements.payment_method.value = made.paymentMethod.id;
        form.submit();
      })
      .catch(function (error) {
        showError((error && error.message) || "The card form could not be sent. Check the details and try again.");
      });
  });
})();
