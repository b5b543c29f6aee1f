/* Body map: progressive enhancement of the intake's area checkboxes.
 *
 * The checkboxes are the real controls (no-JS, and what the form posts). This script shows the
 * drawing and turns its regions into toggle buttons (aria-pressed, arrow keys between them):
 * in "where it hurts" mode a tap ticks the area's checkbox; after choosing "where pain from X
 * travels" a tap ticks X's "travels to" checkbox for that region, drawn hatched. The drawing
 * stays in step with the checkboxes, and a polite live region says what changed. It also shows the "above 7"
 * confirmation only when needed and turns off the date when "never" is ticked.
 */
(function () {
  "use strict";

  function initBodyMap(root) {
    var form = root.closest("form") || document;
    var status = root.querySelector("#bm-status");
    var msg = status ? status.dataset : {};
    // Arrow keys follow the list's order (head to foot, front then back), not the painting order.
    var order = Array.prototype.map.call(form.querySelectorAll('input[name="areas"]'), function (i) {
      return i.value;
    });
    var regions = Array.prototype.slice
      .call(root.querySelectorAll(".bm-region[data-region]"))
      .sort(function (a, b) {
        return order.indexOf(a.getAttribute("data-region")) -
          order.indexOf(b.getAttribute("data-region"));
      });
    var modeButtons = Array.prototype.slice.call(root.querySelectorAll(".bm-mode"));
    var mode = ""; // "" marks where it hurts; an area's slug marks where its pain travels
    root.classList.add("bm-enhanced");

    function areaBox(slug) {
      return form.querySelector('input[name="areas"][value="' + CSS.escape(slug) + '"]');
    }
    function travelsBox(from, to) {
      return form.querySelector(
        'input[name="refers_' + CSS.escape(from) + '"][value="' + CSS.escape(to) + '"]'
      );
    }
    function labelOf(slug) {
      var input = areaBox(slug);
      var label = input && form.querySelector('label[for="' + input.id + '"]');
      return label ? label.textContent.trim() : slug;
    }
    function fill(text, values) {
      return (text || "").replace(/\{(\w+)\}/g, function (m, k) {
        return values[k] !== undefined ? values[k] : m;
      });
    }
    function say(text) {
      if (status) status.textContent = text;
    }
    function travelsTo(from) {
      return Array.prototype.filter
        .call(form.querySelectorAll('input[name="refers_' + CSS.escape(from) + '"]'), function (i) {
          return i.checked;
        })
        .map(function (i) { return i.value; });
    }
    function hurting() {
      return Array.prototype.filter
        .call(form.querySelectorAll('input[name="areas"]'), function (i) { return i.checked; })
        .map(function (i) { return i.value; });
    }

    // The drawing becomes a set of toggle buttons, one tab stop with arrow keys inside (roving
    // tabindex), so it works by keyboard and says what it is to a screen reader.
    root.querySelectorAll("svg.bm-svg").forEach(function (svg) {
      var figure = svg.closest("figure");
      svg.removeAttribute("aria-hidden");
      svg.setAttribute("role", "group");
      if (figure && figure.dataset.label) svg.setAttribute("aria-label", figure.dataset.label);
    });
    regions.forEach(function (g, index) {
      g.setAttribute("role", "button");
      g.setAttribute("tabindex", index === 0 ? "0" : "-1");
      var title = g.querySelector("title");
      if (title) title.remove(); // the label below says it; a tooltip would repeat it
    });

    function render() {
      var hurts = hurting();
      var referred = {};
      var sources = mode ? [mode] : hurts;
      sources.forEach(function (from) {
        travelsTo(from).forEach(function (to) { referred[to] = true; });
      });
      regions.forEach(function (g) {
        var slug = g.getAttribute("data-region");
        var isHurt = hurts.indexOf(slug) !== -1;
        var isTravels = !!referred[slug] && (mode !== "" || !isHurt);
        g.classList.toggle("is-selected", isHurt && !(mode && referred[slug]));
        g.classList.toggle("is-referred", isTravels);
        g.classList.toggle("is-source", mode !== "" && slug === mode);
        if (isTravels) {
          var pattern = g.ownerSVGElement.querySelector('pattern[id$="-hatch"]');
          g.setAttribute("fill", "url(#" + pattern.id + ")");
        } else {
          g.removeAttribute("fill");
        }
        var states = [];
        if (isHurt) states.push(msg.stateHurts);
        if (referred[slug]) states.push(msg.stateTravels);
        g.setAttribute(
          "aria-label",
          labelOf(slug) + (states.length ? " (" + states.join(", ") + ")" : "")
        );
        if (mode && slug === mode) {
          g.setAttribute("aria-disabled", "true");
          g.removeAttribute("aria-pressed");
        } else {
          g.removeAttribute("aria-disabled");
          g.setAttribute("aria-pressed", String(mode ? !!referred[slug] : isHurt));
        }
      });
      form.querySelectorAll(".bm-area").forEach(function (row) {
        var input = row.querySelector('input[name="areas"]');
        if (input) row.classList.toggle("is-selected", input.checked);
      });
      modeButtons.forEach(function (b) {
        var m = b.getAttribute("data-mode");
        b.hidden = m !== "" && hurts.indexOf(m) === -1;
        b.setAttribute("aria-pressed", String(m === mode));
      });
    }

    function setMode(next, announce) {
      mode = next;
      render();
      if (announce) {
        say(mode ? fill(msg.msgModeTravels, { area: labelOf(mode) }) : msg.msgModeHurts);
      }
    }

    function announceArea(input) {
      var n = hurting().length;
      var text = fill(input.checked ? msg.msgOn : msg.msgOff, { area: labelOf(input.value) });
      if (n) text += " " + fill(msg.msgCount, { n: n });
      if (input.checked) text += " " + fill(msg.msgNext, { area: labelOf(input.value) });
      say(text);
    }

    function toggle(g) {
      var slug = g.getAttribute("data-region");
      if (!mode) {
        var input = areaBox(slug);
        if (!input) return;
        input.checked = !input.checked;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        return;
      }
      if (slug === mode) {
        say(fill(msg.msgSource, { area: labelOf(slug) }));
        return;
      }
      var box = travelsBox(mode, slug);
      if (!box) return;
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    }

    form.querySelectorAll('input[name="areas"]').forEach(function (input) {
      input.addEventListener("change", function () {
        if (!input.checked && mode === input.value) mode = "";
        render();
        announceArea(input);
      });
    });
    form.querySelectorAll('input[name^="refers_"]').forEach(function (input) {
      input.addEventListener("change", function () {
        var from = input.name.slice("refers_".length);
        render();
        say(
          fill(input.checked ? msg.msgTravelsOn : msg.msgTravelsOff, {
            from: labelOf(from),
            area: labelOf(input.value),
          })
        );
      });
    });

    modeButtons.forEach(function (b) {
      b.addEventListener("click", function () {
        var m = b.getAttribute("data-mode");
        setMode(m === mode ? "" : m, true);
      });
    });

    function focusRegion(index) {
      var n = regions.length;
      var target = regions[((index % n) + n) % n];
      regions.forEach(function (g) { g.setAttribute("tabindex", g === target ? "0" : "-1"); });
      target.focus();
    }

    regions.forEach(function (g, index) {
      g.addEventListener("click", function () {
        regions.forEach(function (r) { r.setAttribute("tabindex", r === g ? "0" : "-1"); });
        toggle(g);
      });
      g.addEventListener("keydown", function (event) {
        switch (event.key) {
          case " ":
          case "Enter":
            event.preventDefault();
            toggle(g);
            break;
          case "ArrowRight":
          case "ArrowDown":
            event.preventDefault();
            focusRegion(index + 1);
            break;
          case "ArrowLeft":
          case "ArrowUp":
            event.preventDefault();
            focusRegion(index - 1);
            break;
          case "Home":
            event.preventDefault();
            focusRegion(0);
            break;
          case "End":
            event.preventDefault();
            focusRegion(regions.length - 1);
            break;
        }
      });
    });

    // The skip link moves focus past the map (some browsers only scroll to an anchor).
    document.querySelectorAll("[data-skip-to]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("data-skip-to"));
        if (!target) return;
        event.preventDefault();
        target.focus();
        target.scrollIntoView({ block: "start" });
      });
    });

    render();
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
