/* Small additions for readers whose browser runs scripts; every page is readable without. */
(function () {
  document.querySelectorAll("button.copy").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.dataset.done;
      });
    });
  });
  var search = document.getElementById("search");
  if (search && window.PagefindUI) {
    new window.PagefindUI({element: "#search", showImages: false,
                           translations: {placeholder: search.dataset.searchPlaceholder}});
    // Pagefind's box is titled only by its placeholder: give it a name screen readers announce
    var named = function () {
      var input = search.querySelector("input");
      if (input) input.setAttribute("aria-label", search.dataset.searchPlaceholder);
      return !!input;
    };
    if (!named()) {
      new MutationObserver(function (changes, observer) { if (named()) observer.disconnect(); })
        .observe(search, {childList: true, subtree: true});
    }
  }
})();
