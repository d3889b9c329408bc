// The API docs page: Swagger UI puts a link inside each operation's toggle button, a control
// nested in a control (assistive technology announces neither well). The button already
// opens the operation: the inner link loses its href (and so its focus), the text stays.
(function () {
  var root = document.getElementById("swagger-ui");
  if (!root) return;
  function unnest() {
    root.querySelectorAll(".opblock-summary-control a[href]").forEach(function (link) {
      link.removeAttribute("href");
    });
  }
  new MutationObserver(unnest).observe(root, { childList: true, subtree: true });
  unnest();
})();
