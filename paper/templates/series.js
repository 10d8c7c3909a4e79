// The series' search: Pagefind's interface over every paper's pages, in the page's language.
window.addEventListener("DOMContentLoaded", function () {
  var search = document.getElementById("search");
  if (search && window.PagefindUI) {
    new window.PagefindUI({element: "#search", showImages: false,
                           translations: {placeholder: search.dataset.searchPlaceholder}});
    var input = search.querySelector("input");
    if (input) input.setAttribute("aria-label", search.dataset.searchPlaceholder);
  }
});
