// Live countdowns for response-target clocks. The server renders each clock's state; this
// only ticks the remaining time every second and moves the colour (ok → near → breached)
// between polls. Pages work without it.
(function () {
  "use strict";
  function format(ms) {
    var sign = ms < 0 ? "-" : "";
    var total = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
    return sign + (h ? h + ":" : "") + mm;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".clock[data-due][data-running]").forEach(function (el) {
      var due = Date.parse(el.dataset.due), start = Date.parse(el.dataset.start);
      var left = due - now;
      var state = left <= 0 ? "breached" : (left <= (due - start) * 0.25 ? "near" : "ok");
      el.classList.remove("clock-ok", "clock-near", "clock-breached");
      el.classList.add("clock-" + state);
      var out = el.querySelector(".clock-left");
      if (out) out.textContent = left <= 0 ? format(-left) + " over" : format(left) + " left";
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
  document.addEventListener("DOMContentLoaded", tick);
})();
