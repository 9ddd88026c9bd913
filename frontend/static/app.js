// What htmx attributes cannot express: the composer's keys and busy state, following the thread,
// Stop, Retry and Copy, and keeping focus on something sensible after a swap. Loaded as a file
// because the CSP allows no inline script; every page also works without it.
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");

  function byId(id) {
    return document.getElementById(id);
  }

  function announce(text) {
    var region = byId("announce");
    if (!region) return;
    // A change of text is what a live region reads; clearing first makes a repeat audible too.
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = text;
    }, 50);
  }

  // Moves focus to `el` unless it is gone; returns whether it did.
  function focusOn(el) {
    if (!el || !el.isConnected) return false;
    el.focus();
    return document.activeElement === el;
  }

  function focusLost() {
    var active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  // ----- The thread: follow new content only while the reader is at the bottom. -----
  var pinned = true;

  function messages() {
    return byId("messages");
  }

  function scroller() {
    var list = messages();
    if (list && getComputedStyle(list).overflowY !== "visible") return list;
    return document.scrollingElement;
  }

  function atBottom() {
    var el = scroller();
    return el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  }

  function toBottom() {
    var el = scroller();
    el.scrollTop = el.scrollHeight;
    pinned = true;
    var jump = byId("jump");
    if (jump) jump.hidden = true;
  }

  function contentGrew() {
    if (pinned) {
      toBottom();
    } else if (byId("jump")) {
      byId("jump").hidden = false;
    }
  }

  function watchThread() {
    var list = messages();
    if (!list) return;
    toBottom();
    var onScroll = function () {
      pinned = atBottom();
      if (pinned && byId("jump")) byId("jump").hidden = true;
    };
    list.addEventListener("scroll", onScroll);
    window.addEventListener("scroll", onScroll);
    new MutationObserver(contentGrew).observe(list, { childList: true, subtree: true, characterData: true });
  }

  // ----- The composer. -----
  function form() {
    return byId("chat-form");
  }

  function input() {
    return byId("message");
  }

  function streaming() {
    return document.querySelector("#messages .msg.streaming");
  }

  function status(text) {
    var region = byId("chat-status");
    if (region) region.textContent = text;
  }

  // While a reply streams the message box stays usable (people type ahead), but nothing is sent
  // until the reply is in: the next turn must see this one's answer. Send becomes Stop.
  function setBusy(busy) {
    var chat = form();
    if (!chat) return;
    var send = byId("send");
    var stop = byId("stop");
    var stopHadFocus = document.activeElement === stop;
    chat.classList.toggle("busy", busy);
    send.hidden = busy;
    stop.hidden = !busy;
    if (!busy && stopHadFocus) focusOn(input());
  }

  function isBusy() {
    return !!(form() && form().classList.contains("busy"));
  }

  function sendNow() {
    var chat = form();
    if (!chat || isBusy() || !input().value.trim()) return;
    chat.requestSubmit();
  }

  document.addEventListener("keydown", function (event) {
    if (event.target !== input() || event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    if (isBusy()) {
      status("The assistant is still answering. Wait for the reply, or press Stop.");
      return;
    }
    sendNow();
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt !== form()) return;
    if (isBusy()) {
      event.preventDefault();
      return;
    }
    toBottom();
    setBusy(true);
    status("Sending. The assistant is thinking…");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.classList && elt.classList.contains("msg") && !event.detail.successful) {
      setBusy(false);
      status("Still no connection. Try again in a moment.");
      return;
    }
    if (elt !== form()) return;
    if (event.detail.successful) {
      input().value = "";
    } else {
      setBusy(false);
      status("");
    }
  });

  document.addEventListener("htmx:sendError", function (event) {
    if (event.detail.elt !== form()) return;
    var flash = byId("flash");
    if (flash) flash.innerHTML = '<p class="banner error">Your message could not be sent. Check your connection and try again.</p>';
  });

  function finishTurn(article) {
    if (!article || !article.classList.contains("streaming")) return;
    article.classList.remove("streaming");
    article.setAttribute("aria-busy", "false");
    window.clearTimeout(article.giveUp);
    setBusy(false);
    status("");
    contentGrew(); // the reply's buttons appear once it is done
    if (article.querySelector(".turn-error")) {
      var box = input();
      if (box && !box.value.trim()) box.value = askedIn(article);
    }
  }

  // The user's message a reply answers: the bubble just before it.
  function askedIn(article) {
    var asked = article.previousElementSibling;
    var text = asked && asked.classList.contains("user") && asked.querySelector(".text");
    return text ? text.textContent : "";
  }

  // The extension closes the stream before it swaps the closing event in; look once it has.
  document.addEventListener("htmx:sseClose", function (event) {
    window.setTimeout(finishTurn, 0, event.detail.elt);
  });

  // A stream that keeps failing is given up after a while (a reconnect never repeats the turn,
  // so waiting longer only keeps the person waiting); the message comes back for a retry.
  var GIVE_UP_MS = 30000;
  document.addEventListener("htmx:sseError", function (event) {
    var article = event.detail.elt;
    if (!article || !article.classList.contains("streaming") || article.giveUp) return;
    status("The connection dropped. Reconnecting…");
    article.giveUp = window.setTimeout(function () {
      var copy = article.cloneNode(true);
      copy.removeAttribute("sse-connect");
      copy.querySelector(".turn-end").innerHTML =
        '<p class="turn-error" role="alert">The connection was lost. Retry to see how the reply went; it is never sent twice.</p>' +
        '<div class="reply-actions"><button type="button" class="resume">Retry<span class="sr-only"> loading this reply</span></button></div>';
      copy.giveUp = null;
      article.replaceWith(copy);
      finishTurn(copy);
    }, GIVE_UP_MS);
  });

  document.addEventListener("htmx:sseOpen", function (event) {
    var article = event.detail.elt;
    if (article && article.giveUp) {
      window.clearTimeout(article.giveUp);
      article.giveUp = null;
      status("Reconnected. The assistant is still answering…");
    }
  });

  // ----- Buttons: Stop, Retry, Copy, examples, jump to latest, the task panel on phones. -----
  function copyText(text, button) {
    var done = function () {
      announce("Reply copied.");
      button.classList.add("copied");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {
        announce("Copying is not allowed here.");
      });
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(button.closest(".msg").querySelector(".text"));
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    if (document.execCommand("copy")) done();
    selection.removeAllRanges();
    button.focus();
  }

  var clicks = {
    "#stop": function () {
      var article = streaming();
      if (!article) return;
      status("Stopping…");
      htmx.ajax("POST", article.getAttribute("data-stop-url"), { source: byId("stop"), swap: "none" });
    },
    // The same turn asked for again: the backend replays it, it never runs twice.
    ".resume": function (button) {
      var article = button.closest(".msg");
      if (isBusy()) return;
      setBusy(true);
      status("Reconnecting…");
      focusOn(input());
      htmx.ajax("GET", article.getAttribute("data-resume-url"), { source: article, target: article, swap: "outerHTML" });
    },
    ".retry": function (button) {
      var text = askedIn(button.closest(".msg"));
      if (!text || isBusy()) return;
      input().value = text;
      focusOn(input());
      sendNow();
    },
    ".copy": function (button) {
      var text = button.closest(".msg").querySelector(".text");
      copyText(text ? text.textContent : "", button);
    },
    "button.example": function (button) {
      var box = input();
      if (!box) return;
      box.value = button.textContent;
      focusOn(box);
    },
    "#jump": function () {
      toBottom();
      focusOn(input());
    },
    "#tasks-toggle": function (button) {
      setPanel(button.getAttribute("aria-expanded") !== "true");
    },
  };

  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    Object.keys(clicks).forEach(function (selector) {
      var el = event.target.closest(selector);
      if (el) clicks[selector](el);
    });
  });

  function setPanel(open) {
    var toggle = byId("tasks-toggle");
    var panel = byId("task-panel");
    if (!toggle || !panel) return;
    toggle.setAttribute("aria-expanded", String(open));
    panel.classList.toggle("open", open);
    if (open) focusOn(panel.querySelector("h2"));
    else if (panel.contains(document.activeElement)) focusOn(toggle);
  }

  document.addEventListener("keydown", function (event) {
    var panel = byId("task-panel");
    if (event.key === "Escape" && panel && panel.classList.contains("open")) {
      setPanel(false);
      focusOn(byId("tasks-toggle"));
    }
  });

  // Chromium scrolls a control that gets the focus into view only when none of it shows: tabbing
  // along the conversation strip on a phone would leave the focused one, and its ring, half hidden.
  document.addEventListener("focusin", function (event) {
    var strip = document.querySelector("#conversation-list ul");
    if (strip && event.target !== strip && strip.contains(event.target)) {
      event.target.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  });

  // ----- Task list swaps: focus stays on the same task's control, or its neighbour's when the
  // task is gone, and the change is announced. -----
  var pendingTaskChange = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var section = byId("task-section");
    if (!section || !section.contains(elt)) return;
    var row = elt.closest("li.task");
    var active = document.activeElement;
    pendingTaskChange = {
      focusId: active && active.id,
      title: row ? row.querySelector(".title").textContent : (byId("title") || {}).value,
      action: !row ? "add" : elt.action.indexOf("/delete") >= 0 ? "delete" : "toggle",
      rowId: row && row.id,
      neighbours: row ? [row.nextElementSibling, row.previousElementSibling]
        .filter(function (li) { return li && li.classList.contains("task"); })
        .map(function (li) { return li.id; }) : [],
    };
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var change = pendingTaskChange;
    if (!change || event.detail.target.id !== "task-section") return;
    pendingTaskChange = null;
    var section = byId("task-section");
    if (section.querySelector("[aria-invalid=true]")) return; // htmx focuses the invalid field
    if (change.action === "delete") {
      announce("Deleted “" + change.title + "”.");
    } else if (change.action === "toggle") {
      var row = byId(change.rowId);
      var done = row && row.classList.contains("done");
      announce("“" + change.title + "” marked as " + (done ? "done." : "not done."));
    } else if (change.title) {
      announce("Added “" + change.title + "”.");
    }
    if (!focusLost()) return;
    if (focusOn(change.focusId && byId(change.focusId))) return;
    var next = change.neighbours.map(byId).filter(Boolean)[0];
    if (focusOn(next && next.querySelector("button.check"))) return;
    focusOn(byId("title"));
  });

  // The panel beside the chat is replaced after each tool call; keep it open if it was.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target.id !== "task-panel" && !byId("task-panel")) return;
    var toggle = byId("tasks-toggle");
    var panel = byId("task-panel");
    if (toggle && panel) panel.classList.toggle("open", toggle.getAttribute("aria-expanded") === "true");
  });

  document.addEventListener("DOMContentLoaded", function () {
    // Sign-up: send the browser's time zone so due dates make sense to the user.
    var zone = byId("timezone");
    if (zone && !zone.value && window.Intl) {
      zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    }
    var box = input();
    if (box) {
      box.setAttribute("aria-describedby", "composer-keys");
      byId("tasks-toggle").hidden = false;
    }
    watchThread();
  });
})();
