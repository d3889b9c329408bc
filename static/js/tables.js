// Phones: a table's rows become blocks, so each value carries its column's name. Every cell
// of a table with a header row gets data-label (its column's header text) and the table the
// class "labelled"; app.css shows the label above the value on narrow screens. Without this
// script a table keeps its columns and scrolls inside its card, never the page.
(function () {
  document.querySelectorAll("table").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    if (!heads.length) return;
    var labels = Array.prototype.map.call(heads, function (th) { return th.textContent.trim(); });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.cells, function (cell, index) {
        if (labels[index] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", labels[index]);
      });
    });
    table.classList.add("labelled");
  });
})();
