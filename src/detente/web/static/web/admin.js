/* Repairs to the markup that Django's admin builds in its own scripts and widgets, which no
   template of ours renders: names for the fields and controls that a screen reader would
   otherwise announce without one (tests/browser/test_accessibility.py runs axe on them). */
(function () {
  "use strict";
  const words = document.currentScript.dataset;

  // The field's label, with an id to point at (Django's labels have none).
  function labelOf(field) {
    const label = field.id && document.querySelector(`label[for="${field.id}"]`);
    if (label && !label.id) label.id = `${field.id}-label`;
    return label;
  }

  // A date and time field: its "Date:" and "Time:" words become the two inputs' labels.
  function labelDateTimeParts() {
    document.querySelectorAll("p.datetime").forEach((p) => {
      Array.from(p.childNodes).forEach((node) => {
        const input = node.nextElementSibling;
        if (node.nodeType !== Node.TEXT_NODE || !node.textContent.trim()) return;
        if (!input || input.tagName !== "INPUT" || !input.id) return;
        const label = document.createElement("label");
        label.htmlFor = input.id;
        label.textContent = node.textContent.trim();
        node.replaceWith(label, " ");
      });
    });
  }

  // A read-only inline's columns: the record's own column is named, the empty one for the
  // delete boxes (there are none: nothing is deleted) is no header.
  function headEmptyColumns() {
    document.querySelectorAll(".tabular table thead th").forEach((th) => {
      if (th.textContent.trim()) return;
      if (th.classList.contains("original")) {
        const name = document.createElement("span");
        name.className = "visually-hidden";
        name.textContent = words.record;
        th.append(name);
      } else {
        const cell = document.createElement("td");
        cell.className = th.className;
        th.replaceWith(cell);
      }
    });
  }

  // The search box's label is an icon: the words become visible next to it.
  function labelSearch() {
    const label = document.querySelector('label[for="searchbar"]');
    const icon = label && label.querySelector("img");
    if (!icon || label.textContent.trim()) return;
    icon.alt = "";
    label.append(" ", words.search);
  }

  // The autocomplete boxes (select2) are named by their placeholder only: by the label too.
  function nameAutocompletes() {
    document.querySelectorAll("select.admin-autocomplete").forEach((select) => {
      const label = labelOf(select);
      const box = select.nextElementSibling;
      if (!label || !box) return;
      box.querySelectorAll("[role=combobox], [role=textbox]").forEach((part) => {
        part.setAttribute("aria-labelledby", label.id);
      });
    });
  }

  // The two-list picker's filter boxes: their icon's words name the box (a span's
  // aria-label is no name without a role).
  function nameFilterIcons() {
    document.querySelectorAll(".selector .help-tooltip[aria-label]").forEach((icon) => {
      icon.setAttribute("role", "img");
    });
  }

  labelDateTimeParts();
  headEmptyColumns();
  labelSearch();
  // After Django's own scripts: select2 starts when jQuery is ready, the picker on load.
  if (window.django && window.django.jQuery) window.django.jQuery(nameAutocompletes);
  window.addEventListener("load", () => {
    nameAutocompletes();
    nameFilterIcons();
  });
})();
