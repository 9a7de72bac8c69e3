// newsdesk keyboard navigation: j/k next/previous item, o or Enter open, / search, ? help.
// No framework, no inline handlers (the Content-Security-Policy forbids inline script).
(function () {
  "use strict";
  var current = -1;

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-item]"));
  }

  function typing(target) {
    var tag = (target && target.tagName) || "";
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function select(index) {
    var list = items();
    if (!list.length) { return; }
    index = Math.max(0, Math.min(list.length - 1, index));
    if (current >= 0 && list[current]) { list[current].classList.remove("is-current"); }
    current = index;
    var item = list[current];
    item.classList.add("is-current");
    var link = item.querySelector(".item-link") || item.querySelector("a");
    if (link) { link.focus({ preventScroll: true }); }
    item.scrollIntoView({ block: "nearest" });
  }

  function open() {
    var list = items();
    if (current < 0 || !list[current]) { return; }
    var link = list[current].querySelector(".item-link") || list[current].querySelector("a");
    if (link) { window.location.href = link.href; }
  }

  function help() {
    var dialog = document.getElementById("help");
    if (!dialog) { return; }
    if (dialog.open) { dialog.close(); } else if (dialog.showModal) { dialog.showModal(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var dialog = document.getElementById("help");
    if (dialog && dialog.open && event.key !== "?") { return; }
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current < 0 ? 0 : current - 1); break;
      case "o": open(); break;
      case "/": {
        var box = document.getElementById("site-q");
        if (box) { box.focus(); box.select(); }
        break;
      }
      case "?": help(); break;
      default: return;
    }
    event.preventDefault();
  });

  // keep the highlight in step when an item's link is focused by Tab or a click
  document.addEventListener("focusin", function (event) {
    var item = event.target.closest && event.target.closest("[data-item]");
    if (!item) { return; }
    var index = items().indexOf(item);
    if (index >= 0 && index !== current) {
      var list = items();
      if (current >= 0 && list[current]) { list[current].classList.remove("is-current"); }
      current = index;
      item.classList.add("is-current");
    }
  });
}());
