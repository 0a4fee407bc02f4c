// Sign-up: the browser's time zone fills the hidden field (the server keeps it only if it is a known zone).
(function () {
  "use strict";
  function guess() {
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      zone = "";
    }
    document.querySelectorAll("input[data-tz-guess]").forEach(function (input) {
      if (!input.value) input.value = zone;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", guess);
  else guess();
})();
