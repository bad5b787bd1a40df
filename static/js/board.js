// Incident board. The board without this still works: it is read on load and its forms post
// and redirect. A static file, not an inline script: the Content-Security-Policy allows
// scripts from the portal's own files only.
(function () {
  "use strict";
  // Polling pauses while a note is being written, so that a refresh never wipes it. Checked
  // here rather than in an hx-trigger filter ("every 5s [...]"): htmx evaluates filters with
  // Function(), which the policy (and htmx.config.allowEval = false) refuse.
  function boardIsIdle() {
    var fields = document.querySelectorAll("#board .board-note input[name=text]");
    return !Array.prototype.some.call(fields, function (field) {
      return field.value.trim() !== "" || field === document.activeElement;
    });
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id === "board" && !boardIsIdle()) event.preventDefault();
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    // A refused quick action comes back as its card with the reason in it: show it.
    if (xhr.status === 403 && xhr.getResponseHeader("X-Board-Card")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      return;
    }
    // A request answered by another page (the login form, once a session ended) must not be
    // pasted into the board: go there instead.
    var board = document.getElementById("board");
    if (board && xhr.responseURL) {
      var path = new URL(xhr.responseURL).pathname;
      if (path.indexOf(board.dataset.boardPath) !== 0) {
        event.detail.shouldSwap = false;
        window.location.assign(xhr.responseURL);
      }
    }
  });
  // Ages move on between polls; the server's wording, recomputed from the timestamp.
  function ageLabel(ms) {
    var seconds = Math.max(Math.floor(ms / 1000), 0);
    if (seconds < 60) return seconds + " s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 24) return hours + " h " + String(minutes).padStart(2, "0") + " min";
    return Math.floor(hours / 24) + " d " + (hours % 24) + " h";
  }
  function tickAges() {
    var now = Date.now();
    document.querySelectorAll("#board time[data-age]").forEach(function (el) {
      el.textContent = ageLabel(now - Date.parse(el.getAttribute("datetime")));
    });
  }
  setInterval(tickAges, 15000);
  document.addEventListener("htmx:afterSwap", tickAges);
})();
