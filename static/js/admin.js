// Accessible names for what the admin's own scripts draw (checked with axe-core in tests):
// - Select2 (autocomplete fields) draws a combobox named only by its selected text, so an
//   empty one has no name: it gets the name of the select it stands for.
// - The filter boxes of filter_horizontal put aria-label on a plain span, which ARIA forbids
//   without a role: the icon becomes an image with that name.
"use strict";

function selectName(select) {
  if (select.getAttribute("aria-label")) return select.getAttribute("aria-label");
  const label = select.id && document.querySelector(`label[for="${select.id}"]`);
  return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
}

function nameAdminWidgets(root) {
  root.querySelectorAll("select.admin-autocomplete").forEach((select) => {
    const name = selectName(select);
    if (!name) return;
    // Both the combobox and the text box inside it that shows the choice need the name.
    select.parentElement
      .querySelectorAll(".select2-selection[role=combobox], .select2-selection__rendered[role]")
      .forEach((part) => part.setAttribute("aria-label", name));
  });
  root.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach((icon) => {
    icon.setAttribute("role", "img");
  });
}

// The admin draws both widgets on window load; listeners run in the order they were added,
// and this script comes after the form's own media.
window.addEventListener("load", () => nameAdminWidgets(document));
document.addEventListener("formset:added", (event) => {
  // Select2 is set up on the new row by a listener of the same event: wait for it.
  setTimeout(() => nameAdminWidgets(event.target), 0);
});
