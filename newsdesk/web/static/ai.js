// newsdesk AI panel: fill in parts still being prepared, and "since your last visit" for
// readers without an account (the time of their previous visit, kept in this browser).
// No framework, no inline handlers (the Content-Security-Policy forbids inline script).
(function () {
  "use strict";
  var POLL_MS = 1000, GIVE_UP_MS = 120000, started = Date.now();

  function visitKey(panel) {
    var story = panel && panel.getAttribute("data-story");
    var thread = panel && panel.getAttribute("data-thread");
    return story ? "newsdesk:visit:story:" + story : thread ? "newsdesk:visit:thread:" + thread : null;
  }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  // The previous visit. A page opened on a "since" choice is part of the same visit: it
  // neither counts as a new visit nor moves "your last visit" to the visit in progress.
  var previousVisit = null;
  (function remember() {
    var panel = document.getElementById("ai"), key = visitKey(panel), store = storage();
    if (!key || !store) { return; }
    var visits = {};
    try { visits = JSON.parse(store.getItem(key) || "{}") || {}; } catch (e) { visits = {}; }
    var query = new URLSearchParams(window.location.search);
    if (!query.has("since") && !query.has("last")) {
      visits = { previous: visits.current || null, current: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
      store.setItem(key, JSON.stringify(visits));
    }
    previousVisit = visits.previous || null;
  }());

  function offerLastVisit(panel) {
    var choices = panel.querySelector("[data-since-choices]");
    if (!previousVisit || !choices || choices.querySelector("[data-last-visit]")) { return; }
    var link = document.createElement("a");
    link.href = "?since=" + encodeURIComponent(previousVisit) + "#ai";
    link.textContent = "since your last visit";
    link.setAttribute("data-last-visit", "");
    if (choices.firstChild) { choices.insertBefore(document.createTextNode(" · "), choices.firstChild); }
    choices.insertBefore(link, choices.firstChild);
    // the other choices stay within this visit too
    Array.prototype.forEach.call(choices.querySelectorAll("a"), function (a) {
      var url = new URL(a.href);
      if (!url.searchParams.has("last")) { url.searchParams.set("last", previousVisit); a.href = url.toString(); }
    });
  }

  function poll() {
    var panel = document.getElementById("ai");
    var url = panel && panel.getAttribute("data-poll");
    if (!url || Date.now() - started > GIVE_UP_MS) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var fresh = null;
        if (html) {
          var box = document.createElement("div");
          box.innerHTML = html;
          fresh = box.querySelector("#ai");
        }
        if (fresh) {
          panel.replaceWith(fresh);
          offerLastVisit(fresh);
        }
        window.setTimeout(poll, fresh ? POLL_MS : 3 * POLL_MS);
      })
      .catch(function () { window.setTimeout(poll, 3 * POLL_MS); });
  }

  var panel = document.getElementById("ai");
  if (panel) {
    offerLastVisit(panel);
    window.setTimeout(poll, POLL_MS);
  }
}());
