/* The therapist's calendar: FullCalendar fed by the JSON endpoint, in the therapist's zone.
 * Times travel as wall times without an offset (see therapists.selectors.calendar_events). */
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function localValue(str, allDay) {
    // "2025-06-03" or "2025-06-03T10:00:00[+offset]" -> "2025-06-03T10:00" for datetime-local.
    if (allDay || str.length === 10) return str.slice(0, 10) + "T00:00";
    return str.slice(0, 16);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("calendar");
    if (!el || !window.FullCalendar) return;
    var status = document.getElementById("calendar-status");
    var modalEl = document.getElementById("block-modal");
    var modal = window.bootstrap ? window.bootstrap.Modal.getOrCreateInstance(modalEl) : null;
    var form = document.getElementById("block-form");
    var errors = document.getElementById("block-errors");
    var narrow = window.matchMedia("(max-width: 767.98px)").matches;

    function announce(text) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }

    var calendar = new window.FullCalendar.Calendar(el, {
      timeZone: el.dataset.timeZone,
      initialView: narrow ? "timeGridDay" : "timeGridWeek",
      headerToolbar: narrow
        ? { left: "prev,next", center: "title", right: "today" }
        : { left: "prev,next today", center: "title", right: "timeGridDay,timeGridWeek,dayGridMonth,listWeek" },
      footerToolbar: narrow ? { center: "timeGridDay,timeGridWeek,dayGridMonth,listWeek" } : false,
      buttonText: { today: "Today", day: "Day", week: "Week", month: "Month", list: "List" },
      buttonHints: { prev: "Previous $0", next: "Next $0", today: "Go to this $0" },
      firstDay: 1,
      height: "auto",
      slotMinTime: "06:00:00",
      slotMaxTime: "22:00:00",
      scrollTime: "08:00:00",
      allDaySlot: true,
      nowIndicator: false,
      dayMaxEvents: true,
      selectable: true,
      selectMirror: true,
      longPressDelay: 300,
      datesSet: function () {
        // The toolbar's chevrons are role="img" without a name; their buttons carry the name.
        el.querySelectorAll(".fc-icon[role=img]").forEach(function (icon) {
          icon.removeAttribute("role");
          icon.setAttribute("aria-hidden", "true");
        });
      },
      eventTimeFormat: { hour: "numeric", minute: "2-digit", meridiem: "short" },
      events: {
        url: el.dataset.eventsUrl,
        failure: function () { announce(el.dataset.msgError); },
      },
      select: function (info) {
        form.elements.start.value = localValue(info.startStr, info.allDay);
        form.elements.end.value = localValue(info.endStr, info.allDay);
        form.elements.reason.value = "";
        errors.classList.add("d-none");
        if (modal) modal.show();
        calendar.unselect();
      },
      eventClick: function (info) {
        var props = info.event.extendedProps || {};
        if (props.kind !== "timeoff") return; // visits follow their link to the visit page
        info.jsEvent.preventDefault();
        if (!window.confirm(el.dataset.msgRemove)) return;
        fetch(props.deleteUrl, {
          method: "POST",
          headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
          credentials: "same-origin",
        }).then(function (response) {
          if (!response.ok) throw new Error(response.status);
          calendar.refetchEvents();
          announce(el.dataset.msgRemoved);
        }).catch(function () { announce(el.dataset.msgError); });
      },
      eventDidMount: function (info) {
        var props = info.event.extendedProps || {};
        if (props.status) info.el.setAttribute("title", info.event.title + " (" + props.status + ")");
        if (props.kind === "timeoff") {
          info.el.setAttribute("role", "button");
          info.el.setAttribute("tabindex", "0");
          info.el.addEventListener("keydown", function (e) {
            if (e.key === "Enter" || e.key === " ") { e.preventDefault(); info.el.click(); }
          });
        }
      },
    });
    calendar.render();
    el.calendar = calendar;

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        credentials: "same-origin",
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        if (!result.ok) {
          errors.textContent = (result.body.errors || [el.dataset.msgError]).join(" ");
          errors.classList.remove("d-none");
          return;
        }
        if (modal) modal.hide();
        calendar.refetchEvents();
        announce(el.dataset.msgBlocked);
      }).catch(function () {
        errors.textContent = el.dataset.msgError;
        errors.classList.remove("d-none");
      });
    });

    var copy = document.getElementById("feed-copy");
    if (copy) {
      copy.addEventListener("click", function () {
        var input = document.getElementById("feed-url");
        input.select();
        if (navigator.clipboard) navigator.clipboard.writeText(input.value);
        announce(copy.dataset.done || "Copied.");
      });
    }
  });
})();
