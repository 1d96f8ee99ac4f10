// Huzhu pages: the little script they use, all optional (every page works without it).
// - [data-copy]: copy the share link of an input to the clipboard.
// - [data-live]: poll a dashboard's JSON and update the numbers in place.
(function () {
  "use strict";

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy") + "-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      input.select();
      var done = function () { if (status) status.textContent = button.getAttribute("data-copied"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, done);
      } else {
        try { document.execCommand("copy"); } catch (e) { /* the link stays selected */ }
        done();
      }
    });
  });

  var live = document.querySelector("[data-live]");
  if (live) {
    var url = live.getAttribute("data-live");
    var every = Math.max(500, 1000 * parseFloat(live.getAttribute("data-every") || "3"));
    var cny = function (cents) {
      var sign = cents < 0 ? "-" : "";
      cents = Math.abs(cents);
      var yuan = Math.floor(cents / 100).toLocaleString("en-US");
      return sign + "¥" + yuan + "." + String(cents % 100).padStart(2, "0");
    };
    var tick = function () {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          live.querySelectorAll("[data-key]").forEach(function (el) {
            var key = el.getAttribute("data-key");
            if (!(key in data)) return;
            var value = data[key];
            if (el.tagName === "PROGRESS") { el.value = value; return; }
            el.textContent = el.hasAttribute("data-cny") ? cny(value) : String(value);
          });
          var stamp = live.querySelector("[data-as-of]");
          if (stamp) stamp.textContent = data.as_of.replace("T", " ").slice(0, 19) + " UTC";
        })
        .catch(function () { /* try again on the next tick */ })
        .finally(function () { window.setTimeout(tick, every); });
    };
    window.setTimeout(tick, every);
  }
})();
