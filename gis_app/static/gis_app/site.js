/*
 * Behaviour of the site's shared page frame (no inline handlers: the Content-Security-Policy
 * forbids them): a <select data-submit-on-change> submits its form when changed (the
 * language switcher).
 */
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.submit();
    });
  });
})();
