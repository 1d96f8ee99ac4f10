// WeChat share data, on pages that carry #wechat-share (WeChat configured, SDK installed).
// The official JS-SDK comes from our own static files (fetched from the npm registry at
// install) and is loaded right after this script. Its npm build is a CommonJS module
// (`module.exports = wx`), so a `module` is lent to it here and taken back once it ran.
// Setting share data changes only what WeChat's own menu sends: nothing on the page
// waits for, or depends on, a share.
(function () {
  "use strict";
  var data = document.getElementById("wechat-share");
  if (!data) return;
  var holder = { exports: {} };
  window.module = holder;

  var share = function (wx, cfg, signed) {
    wx.config({
      debug: false,
      appId: signed.appId,
      timestamp: signed.timestamp,
      nonceStr: signed.nonceStr,
      signature: signed.signature,
      jsApiList: ["updateAppMessageShareData", "updateTimelineShareData"],
    });
    wx.ready(function () {
      wx.updateAppMessageShareData({
        title: cfg.title, desc: cfg.desc, link: cfg.links.friend, imgUrl: cfg.imgUrl,
      });
      wx.updateTimelineShareData({
        title: cfg.title, link: cfg.links.timeline, imgUrl: cfg.imgUrl,
      });
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    if (window.module === holder) delete window.module;
    var wx = holder.exports;
    if (!wx || typeof wx.config !== "function") return; // the SDK did not load: no share data
    window.wx = window.jWeixin = wx; // where WeChat's own browser build of the SDK puts it
    var cfg = JSON.parse(data.textContent);
    var here = location.href.split("#")[0];
    if (here === cfg.url) {
      share(wx, cfg, cfg);
      return;
    }
    // The server saw another URL than the browser holds (a proxy, an empty "?"): the
    // signature must be over the browser's, so ask for it.
    fetch("/api/v1/wechat/jssdk-config?url=" + encodeURIComponent(here), {
      credentials: "same-origin", cache: "no-store",
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (signed) { if (signed) share(wx, cfg, signed); })
      .catch(function () { /* no share data; the page is the same without it */ });
  });
})();
