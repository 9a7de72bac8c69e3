// newsdesk comments: progressive enhancement. Without this file every form posts and the
// page reloads; with it, comments and replies post in the background and appear in place,
// "more replies" load in place, and a button cannot send the same comment twice.
// The server renders every fragment (sanitized); this file never builds markup from text.
(function () {
  "use strict";

  function fragment(html) {
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }

  function newKey() {
    if (window.crypto && window.crypto.getRandomValues) {
      var a = new Uint32Array(4);
      window.crypto.getRandomValues(a);
      return Array.prototype.map.call(a, function (n) { return n.toString(36); }).join("");
    }
    return String(Date.now()) + Math.random().toString(36).slice(2);
  }

  function say(form, message, isError) {
    var box = form.querySelector(".form-error");
    var section = form.closest("[data-comments]");
    var status = section && section.querySelector("[data-comments-status]");
    if (isError && box) { box.textContent = message; box.hidden = false; return; }
    if (box) { box.hidden = true; box.textContent = ""; }
    if (status) { status.textContent = message; }
  }

  function send(url, form) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json" },
      body: new URLSearchParams(new FormData(form))
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          var msg = (data.error && data.error.message) || ("the server answered " + r.status);
          throw new Error(msg);
        }
        return data;
      });
    });
  }

  function placeComment(form, node) {
    var parentId = form.elements.parent_id && form.elements.parent_id.value;
    var list;
    if (parentId) {
      var parent = document.getElementById("c" + parentId);
      list = parent && parent.querySelector(":scope > ol.replies");
      if (parent && !list) {
        list = document.createElement("ol");
        list.className = "replies";
        parent.insertBefore(list, parent.querySelector(":scope > p.more"));
      }
    } else {
      var section = form.closest("[data-comments]");
      list = section && section.querySelector("[data-comment-list]");
      var empty = section && section.querySelector("[data-comments-empty]");
      if (empty) { empty.remove(); }
    }
    if (!list) { window.location.reload(); return; }
    var old = document.getElementById(node.id);
    if (old) { old.replaceWith(node); } else { list.appendChild(node); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-comment-form]") || !window.fetch) { return; }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button.disabled) { return; }
    button.disabled = true;
    send(form.action, form).then(function (data) {
      var node = fragment(data.html);
      if (node) { placeComment(form, node); }
      form.reset();
      form.elements.idem.value = newKey();
      var details = form.closest("details.reply");
      if (details) { details.open = false; }
      say(form, data.notice || "Posted.", false);
    }).catch(function (err) {
      say(form, err.message, true);
    }).then(function () { button.disabled = false; });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-more-replies]");
    if (!link || !window.fetch) { return; }
    event.preventDefault();
    fetch(link.href, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) {
        var node = fragment(data.html);
        var item = link.closest("li.comment");
        if (node && item) { item.replaceWith(node); }
      })
      .catch(function () { window.location.href = link.href; });
  });
}());
