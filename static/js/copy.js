// Copy buttons: data-copy="text" or data-copy-from="element-id". No framework, no inline JS.
(function () {
  function toast(text) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    clearTimeout(el._t);
    el._t = setTimeout(function () { el.hidden = true; }, 2500);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy], [data-copy-from]");
    if (!button) return;
    var text = button.dataset.copy;
    if (button.dataset.copyFrom) {
      var source = document.getElementById(button.dataset.copyFrom);
      text = source ? source.textContent.trim() : "";
    }
    if (!text || !navigator.clipboard) { toast("Copy not available: select the text instead"); return; }
    navigator.clipboard.writeText(text).then(
      function () { toast(button.dataset.copied || "Copied"); },
      function () { toast("Copy failed: select the text instead"); }
    );
  });
})();
