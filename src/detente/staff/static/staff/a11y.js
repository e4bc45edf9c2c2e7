/* Focus and announcements after htmx swaps on the staff pages (issue 19).
 *
 * When htmx replaces part of a page, the element that had the focus is gone and the focus
 * falls back to the page's body: a keyboard or screen reader user loses their place. After
 * every swap this puts the focus on what the swap brought:
 *   - an error summary ([data-error-summary]), which lists every error, each a link to its
 *     field (htmx also honours its autofocus attribute; this covers every htmx version);
 *   - else an outcome ([data-outcome], e.g. "P-0012: release confirmed"), which is also said
 *     through the status line that stays on the page (#announcer): a live region put in
 *     with the new content is not reliably read out, one that was already there is;
 *   - else, when the element that had the focus was in what the swap replaced, what came
 *     in its place (never the top of the page).
 * A link of an error summary puts the focus in its field.
 * Everything still works without this file: the forms post and the page comes back whole.
 */
(function () {
  "use strict";

  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region || !text) {
      return;
    }
    // Emptied first, so the same words said twice in a row are still read out.
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = text;
    }, 100);
  }

  function within(root, selector) {
    if (root.matches && root.matches(selector)) {
      return root;
    }
    return root.querySelector ? root.querySelector(selector) : null;
  }

  // A link of the error summary puts the focus in its field, its label in view above it
  // (a link to an id alone would scroll the field to the top edge, its label hidden).
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".error-summary a[href^='#']") : null;
    if (!link) {
      return;
    }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) {
      return;
    }
    event.preventDefault();
    var label = document.querySelector("label[for='" + field.id + "']");
    var shown = field.closest("fieldset") || label || field;
    shown.scrollIntoView();
    field.focus({ preventScroll: true });
  });

  // Whether the focus was inside what a swap is about to replace (then it would be lost).
  var lostFrom = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    lostFrom = target && active && active !== document.body && target.contains(active) ? target : null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.target;
    if (!root || !root.isConnected) {
      return;
    }
    var summary = within(root, "[data-error-summary]");
    var outcome = within(root, "[data-outcome]");
    if (summary) {
      summary.focus();
    } else if (outcome) {
      announce(outcome.textContent.replace(/\s+/g, " ").trim());
      outcome.focus();
    } else if (lostFrom && (!document.activeElement || document.activeElement === document.body)) {
      // Any other swap that took the focused element away: the focus goes to what came in
      // its place (the same id after an outerHTML swap), not to the top of the page.
      var back = (lostFrom.id && document.getElementById(lostFrom.id)) || root;
      if (!back.hasAttribute("tabindex") && back.tabIndex < 0) {
        back.setAttribute("tabindex", "-1");
      }
      back.focus();
    }
    lostFrom = null;
  });
})();
