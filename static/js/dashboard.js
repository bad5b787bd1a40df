// Leadership dashboard: draws each chart from the numbers in the JSON beside it (the table
// next to every chart holds the same numbers, so the page reads without this), and keeps the
// ages in the "now" panels moving between polls.
(function () {
  "use strict";

  function datasets(spec) {
    return spec.datasets.map(function (set) {
      return {
        label: set.label,
        data: set.data,
        backgroundColor: set.colour,
        borderColor: set.colour,
        borderWidth: spec.kind === "line" ? 2 : 0,
        pointRadius: 3,
        spanGaps: true
      };
    });
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || canvas.dataset.drawn) return;
    var spec = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: spec.kind,
      data: { labels: spec.labels, datasets: datasets(spec) },
      options: {
        animation: false, // drawn at once: for screenshots, print and reduced motion
        responsive: true,
        maintainAspectRatio: false,
        // A sharper bitmap than the screen needs, so that printed charts stay crisp.
        devicePixelRatio: Math.max(window.devicePixelRatio || 1, 2),
        scales: {
          x: { stacked: spec.stacked },
          y: {
            stacked: spec.stacked,
            beginAtZero: true,
            suggestedMax: spec.unit === "%" ? 100 : undefined,
            title: { display: true, text: spec.unit }
          }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
    canvas.dataset.drawn = "1";
  }

  function drawAll() {
    if (!window.Chart) return;
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  // The server's wording (see metrics.labels.duration_label), recomputed from the timestamp.
  function ageLabel(ms) {
    var seconds = Math.max(Math.round(ms / 1000), 0);
    if (seconds < 60) return seconds + " s";
    var minutes = Math.floor(seconds / 60), rest = seconds % 60;
    if (minutes < 60) return rest ? minutes + " min " + String(rest).padStart(2, "0") + " s" : minutes + " min";
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 24) return hours + " h " + String(minutes).padStart(2, "0") + " min";
    return Math.floor(hours / 24) + " d " + (hours % 24) + " h";
  }

  function tickAges() {
    var now = Date.now();
    document.querySelectorAll("#dashboard-now time[data-age]").forEach(function (el) {
      el.textContent = ageLabel(now - Date.parse(el.getAttribute("datetime")));
    });
  }

  // A poll answered by another page (the login form, once the session ended) must not be
  // pasted into the panels: go there instead.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (event.detail.target.id !== "dashboard-now" || !xhr.responseURL) return;
    if (new URL(xhr.responseURL).pathname !== window.location.pathname) {
      event.detail.shouldSwap = false;
      window.location.assign(xhr.responseURL);
    }
  });

  document.addEventListener("DOMContentLoaded", drawAll);
  setInterval(tickAges, 15000);
})();
