// Offer form: add milestone rows and show totals and fees as the user types.
// The numbers come from the server (data attributes), so the JS holds no rates.
(function () {
  "use strict";
  var form = document.querySelector("[data-plan-form]");
  if (!form) { return; }
  var list = form.querySelector("[data-plan-list]");
  var template = form.querySelector("[data-plan-template]");
  var total = form.querySelector("[data-total]");
  var net = form.querySelector("[data-net]");
  var totalForms = form.querySelector("input[name$='-TOTAL_FORMS']");
  var maxForms = parseInt(form.querySelector("input[name$='-MAX_NUM_FORMS']").value, 10);
  var addButton = form.querySelector("[data-plan-add]");
  var feePercent = parseFloat(form.dataset.feePercent);
  var commissionPercent = parseFloat(form.dataset.commissionPercent);
  var smallFee = parseInt(form.dataset.smallFeeCents, 10);
  var smallThreshold = parseInt(form.dataset.smallThresholdCents, 10);

  // The grammar of config/money.py (the server's one parser): an optional "$", digits with real
  // thousands separators only, a dot and at most two decimals. Anything else shows no total.
  var AMOUNT = /^\$?(?:([1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{0,2}))?|\.([0-9]{1,2}))$/;
  function cents(value) {
    var m = AMOUNT.exec(String(value || "").trim());
    if (!m) { return 0; }
    var whole = parseInt((m[1] || "0").replace(/,/g, ""), 10);
    var part = ((m[2] || m[3] || "") + "00").slice(0, 2);
    return whole * 100 + parseInt(part, 10);
  }
  function fmt(c) {
    return "$" + (c / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function recompute() {
    var sum = 0, fees = 0, commission = 0;
    list.querySelectorAll("input[name$='-amount']").forEach(function (input) {
      var c = cents(input.value);
      if (!c) { return; }
      sum += c;
      fees += Math.round(c * feePercent / 100) + (c < smallThreshold ? smallFee : 0);
      commission += Math.round(c * commissionPercent / 100);
    });
    total.textContent = sum ? fmt(sum) + " (buyer pays " + fmt(sum + fees) + " with fees)" : "–";
    net.textContent = sum ? fmt(sum - commission) : "–";
  }
  function renumber() {
    list.querySelectorAll("[data-plan-number]").forEach(function (el, i) { el.textContent = i + 1; });
    var count = list.querySelectorAll("[data-plan-item]").length;
    addButton.disabled = count >= maxForms;
  }
  addButton.addEventListener("click", function () {
    var index = parseInt(totalForms.value, 10);
    if (index >= maxForms) { return; }
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    list.insertAdjacentHTML("beforeend", html);
    totalForms.value = String(index + 1);
    renumber();
  });
  form.addEventListener("input", recompute);
  renumber();
  recompute();
})();

// The order page sent back with a refused form: bring that form into view and put the cursor in its first
// field with an error (the server opened it and kept what was typed).
(function () {
  "use strict";
  var refused = document.querySelector("[data-refused]");
  if (!refused) { return; }
  var field = refused.querySelector("[aria-invalid=true]") || refused.querySelector("textarea, input:not([type=hidden]), select");
  refused.scrollIntoView({ block: "center" });
  if (field) { field.focus({ preventScroll: true }); }
})();

// The order page's conversation panel scrolls inside its box: open it at the newest message, as a chat does.
(function () {
  "use strict";
  document.querySelectorAll(".order-messages").forEach(function (box) {
    box.scrollTop = box.scrollHeight;
  });
})();
