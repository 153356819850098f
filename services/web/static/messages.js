// Messages without a reload (docs/MESSAGES.md): the server sends an event when a conversation of
// the signed-in member has something new. On every signed-in page the header's message badge is
// recounted; in the open conversation, or on the list, the page is fetched again and swapped in.
// Without JavaScript, or without EventSource, the pages and the badge are right at each load.
(function () {
  "use strict";
  if (!window.EventSource || !window.fetch || !window.DOMParser) return;
  var link = document.querySelector("[data-unread-messages-label]");
  if (!link) return;
  var source = null;

  function refresh(selector) {
    return fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(selector);
        var current = document.querySelector(selector);
        if (fresh && current) current.replaceWith(fresh);
      })
      .catch(function () { /* the next event, or a reload, shows it */ });
  }

  // The badge exists only while something is unread (as the server renders it).
  function showCount(count) {
    var badge = link.querySelector("[data-unread-messages]");
    if (count <= 0) {
      if (badge) badge.remove();
      return;
    }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge badge-accent nav-badge";
      badge.setAttribute("data-unread-messages", "");
      badge.setAttribute("role", "img");
      link.appendChild(badge);
    }
    badge.textContent = String(count);
    badge.setAttribute("aria-label", link.getAttribute("data-unread-messages-label").replace("{count}", String(count)));
  }

  function recount() {
    fetch("/messages/unread", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body && typeof body.unread === "number") showCount(body.unread); })
      .catch(function () { /* kept as it was */ });
  }

  function changed(conversationId) {
    var conversation = document.querySelector("[data-conversation]");
    var list = document.querySelector("[data-live-list]");
    var shown = null;
    if (conversation && (!conversationId || conversation.getAttribute("data-conversation") === conversationId)) {
      shown = refresh("#message-list");
    } else if (list) {
      shown = refresh("#conversation-list");
    }
    // Reading the open conversation marks it read, so count after the page has been fetched.
    if (shown) shown.then(recount); else recount();
  }

  // One stream per visible tab: a browser keeps only a few connections per site, so a tab in
  // the background gives its stream up and catches up when it is shown again.
  function open() {
    if (source) return;
    source = new EventSource("/messages/stream");
    source.addEventListener("message", function (event) { changed(event.data); });
    source.addEventListener("lagged", function () { changed(null); });
  }

  function close() {
    if (source) { source.close(); source = null; }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      close();
    } else {
      open();
      changed(null);
    }
  });
  if (document.visibilityState !== "hidden") open();
})();
