/* Body map: progressive enhancement of the intake's area checkboxes.
 *
 * The checkboxes are the real controls (keyboard, screen readers, no-JS). This script shows the
 * drawing, makes a tap on a region tick or untick its checkbox, keeps the drawing in step with
 * the checkboxes, and says what changed in a polite live region. It also shows the "above 7"
 * confirmation only when needed and turns off the date when "never" is ticked.
 */
(function () {
  "use strict";

  function initBodyMap(root) {
    var form = root.closest("form") || document;
    var status = root.querySelector("#bm-status");
    root.classList.add("bm-enhanced");

    function checkbox(slug) {
      return form.querySelector('input[name="areas"][value="' + CSS.escape(slug) + '"]');
    }
    function labelFor(input) {
      var label = form.querySelector('label[for="' + input.id + '"]');
      return label ? label.textContent.trim() : input.value;
    }
    function sync(input) {
      var slug = input.value;
      var on = input.checked;
      root.querySelectorAll('.bm-region[data-region="' + CSS.escape(slug) + '"]').forEach(function (g) {
        g.classList.toggle("is-selected", on);
      });
      var row = input.closest(".bm-area");
      if (row) row.classList.toggle("is-selected", on);
    }
    function announce(input) {
      if (!status) return;
      var chosen = Array.prototype.filter.call(
        form.querySelectorAll('input[name="areas"]'), function (i) { return i.checked; }
      );
      var msg = (input.checked ? status.dataset.msgOn : status.dataset.msgOff)
        .replace("{area}", labelFor(input));
      if (chosen.length) msg += " " + status.dataset.msgCount.replace("{n}", chosen.length);
      status.textContent = msg;
    }

    form.querySelectorAll('input[name="areas"]').forEach(function (input) {
      sync(input);
      input.addEventListener("change", function () { sync(input); announce(input); });
    });

    root.querySelectorAll(".bm-region[data-region]").forEach(function (g) {
      g.addEventListener("click", function () {
        var input = checkbox(g.getAttribute("data-region"));
        if (!input) return;
        input.checked = !input.checked;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  }

  function initCeiling(form) {
    var input = form.querySelector('input[name="discomfort_ceiling"]');
    var wrap = form.querySelector("#confirm-high-ceiling-wrap");
    if (!input || !wrap) return;
    var limit = parseInt(wrap.getAttribute("data-show-above"), 10);
    function update() {
      var value = parseInt(input.value, 10);
      var show = !isNaN(value) && value > limit;
      wrap.hidden = !show;
      if (!show) {
        var box = wrap.querySelector('input[type="checkbox"]');
        if (box) box.checked = false;
      }
    }
    input.addEventListener("input", update);
    update();
  }

  function initNever(form) {
    var never = form.querySelector('input[name="never_had_massage"]');
    var date = form.querySelector('input[name="last_massage_on"]');
    if (!never || !date) return;
    function update() {
      date.disabled = never.checked;
      if (never.checked) date.value = "";
    }
    never.addEventListener("change", update);
    if (never.checked) date.disabled = true;
  }

  function init() {
    // After a refused save, take keyboard and screen reader users straight to what to fix.
    var errors = document.getElementById("form-errors");
    if (errors) errors.focus();
    document.querySelectorAll("[data-body-map]").forEach(initBodyMap);
    var form = document.getElementById("intake-form");
    if (form) {
      initCeiling(form);
      initNever(form);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
