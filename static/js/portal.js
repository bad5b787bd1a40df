// Small behaviours any page may ask for with a data attribute, instead of inline handlers
// (onclick="…"), which the Content-Security-Policy refuses:
//   data-select-on-click            selects an input's text when clicked
//   data-copy-from="<element id>"   copies that input's value, then says "Copied"
//   data-print                      opens the print dialog
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.matches("[data-select-on-click]")) target.select();
    var copy = target.closest("[data-copy-from]");
    if (copy) {
      var source = document.getElementById(copy.dataset.copyFrom);
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.value).then(function () {
          copy.textContent = "Copied";
        });
      }
    }
    if (target.closest("[data-print]")) window.print();
  });
})();
