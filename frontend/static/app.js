// Small behaviours htmx attributes cannot express; loaded as a file because the CSP allows no inline script.
(function () {
  "use strict";

  // Sign-up: send the browser's time zone so due dates make sense to the user.
  document.addEventListener("DOMContentLoaded", function () {
    var zone = document.getElementById("timezone");
    if (zone && !zone.value && window.Intl) {
      zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    }
    scrollThread();
  });

  function scrollThread() {
    var messages = document.getElementById("messages");
    if (messages) {
      messages.scrollTop = messages.scrollHeight;
    }
  }

  function composer() {
    return document.getElementById("chat-form");
  }

  // While a reply streams the composer is locked: the next turn must see this one's answer.
  function setBusy(busy) {
    var form = composer();
    if (!form) return;
    form.classList.toggle("busy", busy);
    form.querySelectorAll("input[name=message], button").forEach(function (el) {
      el.disabled = busy;
    });
    if (!busy) {
      var input = form.querySelector("input[name=message]");
      if (input) input.focus();
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt === composer()) {
      setBusy(true);
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = composer();
    if (event.detail.elt !== form) return;
    if (event.detail.successful) {
      form.querySelector("input[name=message]").value = "";
    } else {
      setBusy(false);
    }
  });

  document.addEventListener("htmx:sseClose", function (event) {
    event.detail.elt && event.detail.elt.classList.remove("streaming");
    setBusy(false);
  });

  // The welcome screen's examples fill the composer; the person still decides to send.
  document.addEventListener("click", function (event) {
    var example = event.target.closest && event.target.closest("button.example");
    var input = document.getElementById("message");
    if (example && input && !input.disabled) {
      input.value = example.textContent;
      input.focus();
    }
  });

  document.addEventListener("htmx:sseMessage", scrollThread);
  document.addEventListener("htmx:afterSwap", scrollThread);
})();
