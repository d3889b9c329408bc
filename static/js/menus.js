// The header's menus. No framework, no inline JS.
// - The navigation's "Menu" button (shown on narrow screens) opens and closes the link list.
// - The account menu (<details> holding role="menu") is a real menu: it opens on its summary,
//   moves focus with the arrow keys, Home and End; Escape closes it and returns focus.
(function () {
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".nav-toggle");
    if (toggle) {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      if (nav) nav.classList.toggle("open", open);
      return;
    }
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });

  function items(menu) {
    return Array.prototype.slice.call(menu.querySelectorAll('[role="menuitem"]'));
  }

  document.addEventListener("keydown", function (event) {
    var menu = event.target.closest && event.target.closest("details.account-menu");
    if (!menu) return;
    var list = items(menu);
    var onSummary = event.target.tagName === "SUMMARY";
    var index = list.indexOf(event.target);
    var next = null;
    if (event.key === "Escape" && menu.open) {
      menu.open = false;
      menu.querySelector("summary").focus();
      event.preventDefault();
      return;
    }
    if (onSummary && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      menu.open = true;
      next = event.key === "ArrowDown" ? list[0] : list[list.length - 1];
    } else if (index >= 0) {
      if (event.key === "ArrowDown") next = list[(index + 1) % list.length];
      else if (event.key === "ArrowUp") next = list[(index - 1 + list.length) % list.length];
      else if (event.key === "Home") next = list[0];
      else if (event.key === "End") next = list[list.length - 1];
    }
    if (next) {
      next.focus();
      event.preventDefault();
    }
  });
})();
