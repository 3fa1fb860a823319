// Inside the comments iframe: tell the host page how tall the thread is, so it can size
// the iframe to fit. The server puts the host's origin in <body data-origin> only when it
// is one of the site's allowed origins; without it, nothing is ever sent.
(function () {
  "use strict";
  const origin = document.body.dataset.origin;
  if (!origin || window.parent === window) return;
  const content = document.querySelector(".cm-page") || document.body;
  let last = -1;

  function report(force) {
    const height = Math.ceil(content.getBoundingClientRect().height);
    if (height === last && !force) return;
    last = height;
    // targetOrigin: the browser drops the message unless the parent really is that origin.
    window.parent.postMessage({ type: "comments:height", height: height }, origin);
  }

  if ("ResizeObserver" in window) {
    new ResizeObserver(function () { report(false); }).observe(content);
  } else {
    window.addEventListener("resize", function () { report(false); });
  }
  window.addEventListener("load", function () { report(true); });
  // frame-host.js loads async and may start after our first report: it asks again.
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== origin) return;
    if (event.data && event.data.type === "comments:ping") report(true);
  });
  // Links elsewhere open in a new tab instead of inside the iframe.
  document.addEventListener("click", function (event) {
    const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
    if (link && link.origin !== window.location.origin) {
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }
  });
  report(true);
})();
