/* Site-wide behaviour that templates ask for with data attributes. There are no inline event
 * handlers anywhere (the Content-Security-Policy refuses them), so this is where they live.
 *
 * <form data-confirm="Question?">: asks before submitting; Cancel stops the submission.
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
})();
