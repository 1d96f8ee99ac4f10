// The console's live dashboard (console/campaign.html): polls the campaign's figures
// (dashboard.service.live_figures, the same the page was rendered from), replaces every
// [data-key] in place, the latest instances' table with the one the same poll rendered
// (so its rows agree with the counts), and redraws the charts with Chart.js when the
// page linked it.
// The page works without this script (it then refreshes itself, <noscript>).
(function () {
  "use strict";

  var live = document.querySelector("[data-live]");
  if (!live) return;
  var url = live.getAttribute("data-live");
  var every = Math.max(500, 1000 * parseFloat(live.getAttribute("data-every") || "3"));
  var lang = document.documentElement.lang || "en";

  var cny = function (cents) {
    var sign = cents < 0 ? "-" : "";
    cents = Math.abs(cents);
    var yuan = Math.floor(cents / 100).toLocaleString("en-US");
    return sign + "¥" + yuan + "." + String(cents % 100).padStart(2, "0");
  };
  // The same forms as the page's figure() macro.
  var formats = {
    share: function (v) { return (v * 100).toFixed(1) + "%"; },
    ratio: function (v) { return v.toFixed(2); },
    rate: function (v) { return v.toFixed(1); },
  };
  var shown = function (el, value) {
    if (value === null || value === undefined) return "—";
    if (el.hasAttribute("data-cny")) return cny(value);
    var format = formats[el.getAttribute("data-format")];
    return format ? format(value) : String(value);
  };

  var charts = {};
  var percent = function (values) {
    return values.map(function (v) { return v === null ? null : Math.round(v * 1000) / 10; });
  };
  var datasets = {
    growth: function (s) { return [s.k_factor, s.k_factor_gross]; },
    assists: function (s) { return [percent(s.held_share), percent(s.voided_share)]; },
    complaints: function (s) { return [s.complaints_per_1000]; },
  };
  var colours = ["#1a7f37", "#b35900", "#6639ba"];

  var draw = function (series) {
    if (typeof window.Chart !== "function") return;
    live.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var name = canvas.getAttribute("data-chart");
      var values = datasets[name](series);
      var chart = charts[name];
      if (chart) {
        chart.data.labels = series.at_text;
        values.forEach(function (v, i) { chart.data.datasets[i].data = v; });
        chart.update("none");
        return;
      }
      var labels = JSON.parse(canvas.getAttribute("data-labels"));
      charts[name] = new window.Chart(canvas, {
        type: "line",
        data: {
          labels: series.at_text,
          datasets: values.map(function (v, i) {
            return {
              label: labels[i], data: v, borderColor: colours[i], backgroundColor: colours[i],
              spanGaps: true, tension: 0.2, pointRadius: 2,
            };
          }),
        },
        // The figure's height is the stylesheet's: a third of a laptop's line is too
        // narrow for an aspect ratio to leave the plot more than a sliver under its
        // labels and legend.
        options: {
          animation: false,
          locale: lang,
          maintainAspectRatio: false,
          scales: {
            x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 3 } },
            y: { beginAtZero: true },
          },
          plugins: { legend: { position: "bottom" } },
        },
      });
    });
  };

  var show = function (data) {
    live.querySelectorAll("[data-key]").forEach(function (el) {
      var key = el.getAttribute("data-key");
      if (!(key in data)) return;
      if (el.tagName === "PROGRESS") { el.value = data[key]; return; }
      el.textContent = shown(el, data[key]);
    });
    var latest = document.querySelector("[data-latest]");
    if (latest && typeof data.latest_html === "string") latest.innerHTML = data.latest_html;
    var stamp = live.querySelector("[data-as-of]");
    if (stamp) stamp.textContent = data.as_of_text;
    live.setAttribute("data-as-of-iso", data.as_of);
    draw(data.series);
  };

  var first = live.querySelector("script[data-live-figures]");
  if (first) draw(JSON.parse(first.textContent).series);

  var tick = function () {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data); })
      .catch(function () { /* try again on the next tick */ })
      .finally(function () { window.setTimeout(tick, every); });
  };
  window.setTimeout(tick, every);
})();
