/* Keyboard shortcuts for the review queue (docs/reconciliation.md).
 *
 * Each key stands for an element of the page marked data-key="…" (a link, a button or the
 * search box), so every action also works without this file. Keys are ignored while a
 * text field, a list or a button with a modifier is in use; Esc leaves a text field.
 * Also: the error summary takes the focus when a page has one (GOV.UK pattern), and a form
 * marked data-once is sent only once (a key pressed twice does not decide twice).
 */
(function () {
  "use strict";

  var KEYS = /^[1-9njk\/]$/;

  function typing(element) {
    if (!element || !element.tagName) {
      return false;
    }
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Escape") {
        target.blur();
      }
      return;
    }
    if (!KEYS.test(event.key)) {
      return;
    }
    var element = document.querySelector('[data-key="' + event.key + '"]');
    if (!element || element.disabled) {
      return;
    }
    event.preventDefault();
    if (typing(element)) {
      element.focus();
      if (element.select) {
        element.select();
      }
    } else {
      element.click();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) {
      return;
    }
    if (form.getAttribute("data-sent") === "yes") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "yes");
  });

  // A page brought back by the browser's Back button may be sent again.
  window.addEventListener("pageshow", function () {
    var sent = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < sent.length; i += 1) {
      sent[i].removeAttribute("data-sent");
    }
  });

  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
