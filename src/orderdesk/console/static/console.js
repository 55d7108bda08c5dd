// orderdesk console: click a column heading to sort the table (the rows on this page).
// The menu starts folded on narrow screens.
(function () {
  "use strict";
  function cellValue(row, index) {
    var cell = row.cells[index];
    var text = cell ? cell.textContent.trim() : "";
    var number = text.replace(/[,\s]/g, "").match(/^-?\d+(\.\d+)?/);
    return number && number[0].length === text.replace(/[,\s]/g, "").split(/[A-Za-z]/)[0].length && number[0] !== ""
      ? parseFloat(number[0]) : text.toLowerCase();
  }
  function sortBy(table, index, heading) {
    var body = table.tBodies[0];
    if (!body) return;
    var ascending = heading.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.removeAttribute("aria-sort"); });
    heading.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      if (x === y) return 0;
      return (x < y ? -1 : 1) * (ascending ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    if (!table.tHead) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (heading, index) {
      heading.tabIndex = 0;
      heading.title = "Sort by this column";
      heading.addEventListener("click", function () { sortBy(table, index, heading); });
      heading.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, index, heading); }
      });
    });
  });
  var narrow = window.matchMedia("(max-width: 700px)");
  function fitMenu() {
    document.querySelectorAll("details.menu").forEach(function (menu) { menu.open = !narrow.matches; });
  }
  fitMenu();
  narrow.addEventListener("change", fitMenu);
})();
