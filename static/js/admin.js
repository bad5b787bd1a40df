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

// The admin draws both widgets on window load, but when exactly Select2 has finished depends
// on script timing (a slower page can draw it after this runs): name them on load and again
// whenever a Select2 box or a filter icon appears.
window.addEventListener("load", () => {
  nameAdminWidgets(document);
  new MutationObserver((records) => {
    const drawn = records.some((record) =>
      [...record.addedNodes].some((node) => node.nodeType === 1 &&
        (node.matches(".select2-container, .help-tooltip") ||
         node.querySelector(".select2-container, .help-tooltip"))));
    if (drawn) nameAdminWidgets(document);
  }).observe(document.body, { childList: true, subtree: true });
});
document.addEventListener("formset:added", (event) => {
  // Select2 is set up on the new row by a listener of the same event: wait for it.
  setTimeout(() => nameAdminWidgets(event.target), 0);
});
