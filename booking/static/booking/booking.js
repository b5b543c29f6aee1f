/* After htmx swaps the slot picker, keep keyboard and screen-reader users where they were:
 * focus moves to the day they just chose (the link they clicked was replaced). */
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "slot-picker") return;
    var picker = document.getElementById("slot-picker");
    if (!picker) return;
    var current = picker.querySelector("a.day[aria-current=date]");
    if (!current) {
      current = picker.querySelector("#slots-title");
      if (current) current.setAttribute("tabindex", "-1");
    }
    if (current) current.focus();
  });
})();
