// The "Copy" button of a new access token; without JavaScript the token field is there to select by hand.
(function () {
  "use strict";

  function bind(root) {
    root.querySelectorAll("button[data-copy]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var status = document.getElementById("copy-status");
      if (!field || button.dataset.bound) return;
      button.dataset.bound = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var say = function (text) { if (status) status.textContent = text; };
        field.select();
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(field.value).then(
            function () { say("Copied. Paste it into your assistant's settings now."); },
            function () { say("Press Ctrl+C (⌘C on a Mac) to copy the selected token."); }
          );
        } else {
          say("Press Ctrl+C (⌘C on a Mac) to copy the selected token.");
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  // The token section is swapped in place by htmx when a token is created.
  document.addEventListener("htmx:afterSwap", function () { bind(document); });
})();
