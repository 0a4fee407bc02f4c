// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });
  // A form submits once: a double click cannot post it twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitted === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
    window.setTimeout(function () { form.dataset.submitted = ""; }, 5000);
  });
  // A box that scrolls (a wide table, a long message list) can be scrolled with the keyboard: it takes the focus.
  function focusableScrollers() {
    var boxes = document.querySelectorAll("main *");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i], style = window.getComputedStyle(box);
      var scrolls = (/auto|scroll/.test(style.overflowX) && box.scrollWidth > box.clientWidth) ||
        (/auto|scroll/.test(style.overflowY) && box.scrollHeight > box.clientHeight);
      if (scrolls && !box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
    }
  }
  window.addEventListener("load", focusableScrollers);
  window.addEventListener("resize", function () {
    window.clearTimeout(focusableScrollers.timer);
    focusableScrollers.timer = window.setTimeout(focusableScrollers, 100);
  });
  // Optional confirmation on destructive buttons: data-confirm="Are you sure?"
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();

// Checkout: the card button says what the card is charged, with or without the balance ticked.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || box.type !== "checkbox" || !box.id) return;
  document.querySelectorAll(`[data-split-box="${box.id}"]`).forEach((button) => {
    button.textContent = box.checked ? button.dataset.withBalance : button.dataset.withoutBalance;
  });
});
