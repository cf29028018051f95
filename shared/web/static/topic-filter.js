// The topic index's filter as the person types: hides the topics that do not match, without
// reloading, so what was ticked stays ticked. Without script the same filter runs on the
// server (the form's GET ?q=); this file only improves on that. It matches as the server does:
// every word must occur in the topic's folded texts (its data-search attribute).
(function () {
  "use strict";
  var field = document.getElementById("q");
  var status = document.getElementById("filter-status");
  if (!field || !status) {
    return;
  }
  var form = field.form;
  var choices = Array.prototype.slice.call(document.querySelectorAll(".choice[data-search]"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("fieldset.section"));

  function fold(text) {
    return text.normalize("NFKC").toLocaleLowerCase();
  }

  function apply() {
    var query = field.value.trim().split(/\s+/).join(" ");
    var words = fold(query).split(" ").filter(Boolean);
    var shown = 0;
    choices.forEach(function (choice) {
      var haystack = choice.getAttribute("data-search");
      var match = words.every(function (word) { return haystack.indexOf(word) !== -1; });
      choice.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    sections.forEach(function (section) {
      section.hidden = !section.querySelector(".choice:not([hidden])");
    });
    status.textContent = words.length
      ? status.getAttribute("data-template")
          // Grouped as the page's language writes numbers, as the server does (1 007, 1,007).
          .replace("{shown}", shown.toLocaleString(document.documentElement.lang))
          .replace("{total}", choices.length.toLocaleString(document.documentElement.lang))
          .replace("{query}", query)
      : "";
  }

  // Only when the page lists every topic: a page the server filtered has fewer to search.
  if (choices.length && !new URLSearchParams(window.location.search).get("q")) {
    field.addEventListener("input", apply);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      apply();
    });
  }
})();
