// On the page that embeds the comments iframe: grow each iframe[data-comments-frame] to
// the height its thread reports. A message counts only if it comes from that iframe's
// window and from the origin of its src, so other frames and scripts cannot resize it.
(function () {
  "use strict";
  const SELECTOR = "iframe[data-comments-frame]";
  const MAX_HEIGHT = 200000;

  function originOf(frame) {
    try {
      return new URL(frame.src, document.baseURI).origin;
    } catch (error) {
      return null;
    }
  }

  function ping(frame) {
    const origin = originOf(frame);
    if (origin && origin !== "null" && frame.contentWindow) {
      frame.contentWindow.postMessage({ type: "comments:ping" }, origin);
    }
  }

  window.addEventListener("message", function (event) {
    const data = event.data;
    if (!data || typeof data !== "object" || data.type !== "comments:height") return;
    const height = Number(data.height);
    if (!Number.isFinite(height) || height <= 0) return;
    for (const frame of document.querySelectorAll(SELECTOR)) {
      if (event.source === null || frame.contentWindow !== event.source) continue;
      if (originOf(frame) !== event.origin) return;
      frame.style.height = Math.min(Math.ceil(height), MAX_HEIGHT) + "px";
      return;
    }
  });

  function start() {
    for (const frame of document.querySelectorAll(SELECTOR)) {
      frame.addEventListener("load", function () { ping(frame); });
      // Loaded before this script ran? Then its first report was missed: ask for another.
      ping(frame);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
