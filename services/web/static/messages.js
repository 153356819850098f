// Messages without a reload (docs/MESSAGES.md): the server sends an event when a conversation of
// the signed-in member has something new; the open conversation, or the list, is fetched again
// and swapped in. Without JavaScript, or without EventSource, the pages work by reload.
(function () {
  "use strict";
  if (!window.EventSource || !window.fetch || !window.DOMParser) return;
  var conversation = document.querySelector("[data-conversation]");
  var list = document.querySelector("[data-live-list]");
  if (!conversation && !list) return;

  function refresh(selector) {
    fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(selector);
        var current = document.querySelector(selector);
        if (fresh && current) current.replaceWith(fresh);
      })
      .catch(function () { /* the next event, or a reload, shows it */ });
  }

  var source = new EventSource("/messages/stream");
  source.addEventListener("message", function (event) {
    if (conversation && conversation.getAttribute("data-conversation") === event.data) {
      refresh("#message-list");
    } else if (list) {
      refresh("#conversation-list");
    }
  });
  source.addEventListener("lagged", function () {
    refresh(conversation ? "#message-list" : "#conversation-list");
  });
})();
