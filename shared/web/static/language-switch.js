// The language switch keeps what the person typed and ticked in the page's forms.
//
// The switch stays a set of plain links, so without script it still switches (the form then
// starts afresh). Buttons in the header would come before the form's own and become its
// default button: Enter in the address field would switch the language instead of sending.
//
// As the person follows a switch link, this file puts the values of every form marked
// data-keep in sessionStorage (this tab only, never sent anywhere); the page in the other
// language puts them back and deletes them before anything else. Only what the person
// controls is kept: text they typed, boxes they ticked. Hidden fields (the CSRF token, the
// form's language, the privacy notice shown) come from the new page, so the form posts the
// wording the person now reads. A kept form is put back only on the same path, within a
// minute, once; every page that loads this file deletes what it finds, stale or not.
(function () {
  "use strict";
  var KEY = "varsel.language-switch";
  var MAX_AGE_MS = 60000;
  var TYPED = { email: true, search: true, text: true };
  var TICKED = { checkbox: true, radio: true };

  function storage() {
    // A browser that blocks cookies refuses the storage too (it throws): the link still works.
    try {
      return window.sessionStorage;
    } catch (error) {
      return null;
    }
  }

  // The path of a mail's link holds its token (/manage/...), which is not kept: a digest of
  // the path (FNV-1a) is enough to tell that the next page is the same one.
  function digest(text) {
    var hash = 0x811c9dc5;
    for (var i = 0; i < text.length; i += 1) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash.toString(16);
  }

  function keptForms() {
    return Array.prototype.slice.call(document.querySelectorAll("form[data-keep]"));
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      var type = element.tagName === "INPUT" ? element.type : "";
      return element.name && !element.disabled && (TYPED[type] || TICKED[type]);
    });
  }

  function valuesOf(form) {
    var typed = {};
    var ticked = {};
    fields(form).forEach(function (element) {
      if (TYPED[element.type]) {
        typed[element.name] = element.value;
        return;
      }
      ticked[element.name] = ticked[element.name] || [];
      if (element.checked) {
        ticked[element.name].push(element.value);
      }
    });
    return { typed: typed, ticked: ticked };
  }

  function keep(link) {
    var store = storage();
    var forms = keptForms();
    if (!store || !forms.length) {
      return;
    }
    var values = {};
    forms.forEach(function (form) {
      values[form.getAttribute("data-keep")] = valuesOf(form);
    });
    var kept = { at: Date.now(), page: digest(link.pathname), forms: values };
    try {
      store.setItem(KEY, JSON.stringify(kept));
    } catch (error) {
      // Storage full or refused: the switch works as it does without script.
    }
  }

  function has(values, name) {
    return Object.prototype.hasOwnProperty.call(values, name);
  }

  function putBack(form, values) {
    var typed = values && typeof values.typed === "object" && values.typed ? values.typed : {};
    var ticked = values && typeof values.ticked === "object" && values.ticked ? values.ticked : {};
    var changed = [];
    fields(form).forEach(function (element) {
      var name = element.name;
      if (TYPED[element.type]) {
        if (has(typed, name) && typeof typed[name] === "string" && element.value !== typed[name]) {
          element.value = typed[name];
          changed.push([element, "input"]);
        }
      } else if (has(ticked, name) && Array.isArray(ticked[name])) {
        var on = ticked[name].indexOf(element.value) !== -1;
        if (element.checked !== on) {
          element.checked = on;
          changed.push([element, "change"]);
        }
      }
    });
    // As if typed: the topic index's filter (topic-filter.js) hides what no longer matches.
    changed.forEach(function (pair) {
      pair[0].dispatchEvent(new Event(pair[1], { bubbles: true }));
    });
  }

  function take() {
    var store = storage();
    try {
      var raw = store ? store.getItem(KEY) : null;
      if (raw === null) {
        return null;
      }
      store.removeItem(KEY);
      var entry = JSON.parse(raw);
      var age = Date.now() - entry.at;
      var fresh = age >= 0 && age < MAX_AGE_MS;
      return fresh && entry.page === digest(window.location.pathname) ? entry : null;
    } catch (error) {
      return null;
    }
  }

  var kept = take();
  if (kept && kept.forms) {
    // After every deferred script, so the topic filter is listening when the values return.
    document.addEventListener("DOMContentLoaded", function () {
      keptForms().forEach(function (form) {
        var name = form.getAttribute("data-keep");
        if (has(kept.forms, name)) {
          putBack(form, kept.forms[name]);
        }
      });
    });
  }

  var links = document.querySelectorAll("header .languages a[hreflang]");
  Array.prototype.forEach.call(links, function (link) {
    link.addEventListener("click", function (event) {
      // A switch opened in another tab or window leaves this page as it is: nothing to carry.
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
        return;
      }
      keep(link);
    });
  });
})();
