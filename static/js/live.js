// Pages that update themselves (orders/views_live.py says what the server answers).
//
// A signed-in page polls <body data-live-url> every data-live-every seconds while it is visible: the answer
// carries the bell's and the inbox's counts, and for the conversation and order pages a stamp of what they
// show. When the stamp differs from the page's (data-live-stamp), the page is fetched again
// (data-live-page) and each [data-live-region] is swapped for its new version, keeping what the person is
// doing: a field they typed in (or are in) is carried over with its text, cursor and chosen files; a
// region showing a refused form, or whose typed-in field has no place in the new version, is left as it
// is, with a note offering to show the changes. Without JavaScript nothing polls and a reload shows all.
(function () {
  "use strict";
  var body = document.body;
  var pollUrl = body.dataset.liveUrl;
  if (!pollUrl || !window.fetch || !window.DOMParser) { return; }
  var every = Math.max(1, parseFloat(body.dataset.liveEvery) || 3) * 1000;
  var delay = every, timer = null, busy = false, stopped = false;

  function schedule(ms) {
    window.clearTimeout(timer);
    if (!stopped) { timer = window.setTimeout(poll, ms); }
  }

  function setBadge(name, count) {
    var link = document.querySelector('[data-live-badge="' + name + '"]');
    if (!link || typeof count !== "number") { return; }
    var badge = link.querySelector(".badge");
    if (count > 0) {
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "badge";
        if (name === "messages") { badge.setAttribute("data-testid", "unread-badge"); }
        link.appendChild(document.createTextNode(" "));
        link.appendChild(badge);
      }
      if (badge.textContent !== String(count)) { badge.textContent = String(count); }
    } else if (badge) {
      badge.remove();
    }
    var label = link.getAttribute("data-live-label");
    if (label) { link.setAttribute("aria-label", count > 0 ? label + ", " + count + " unread" : label); }
  }

  // --- swapping a region, keeping what the person is doing ------------------------------------
  function isTyped(el) {
    var type = (el.type || "").toLowerCase();
    if (type === "hidden" || type === "submit" || type === "button" || type === "reset") { return false; }
    if (el === document.activeElement) { return true; }
    if (type === "checkbox" || type === "radio") { return el.checked !== el.defaultChecked; }
    if (type === "file") { return !!(el.files && el.files.length); }
    if (el.tagName === "SELECT") {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return el.value !== el.defaultValue;
  }
  function fieldKey(el) {
    var form = el.form;
    return (form ? form.getAttribute("action") || "" : "") + "|" + (el.id || el.name || "");
  }
  function detailsKey(d) {
    if (d.id) { return d.id; }
    var owner = d.parentElement && d.parentElement.closest("[id]");
    var summary = d.querySelector("summary");
    return (owner ? owner.id : "") + "|" + (summary ? summary.textContent.trim() : "");
  }
  function atBottom(box) { return box.scrollTop + box.clientHeight >= box.scrollHeight - 24; }

  // The element of ``root`` that stands where ``el`` stood (same id, or same kind and words in the same
  // identified part): keyboard users keep their place when a button or a link is drawn again.
  function counterpart(el, root) {
    if (el.id) { return root.querySelector("#" + window.CSS.escape(el.id)); }
    var owner = el.closest("[id]"), words = el.textContent.trim();
    var scope = owner && root.querySelector("#" + window.CSS.escape(owner.id)) || root;
    var same = scope.querySelectorAll(el.tagName);
    for (var i = 0; i < same.length; i++) { if (same[i].textContent.trim() === words) { return same[i]; } }
    return null;
  }

  // Swap ``old`` for ``fresh`` (from the fetched page); false when it must stay as it is.
  function swap(old, fresh) {
    if (old.querySelector("[data-refused], .errorlist")) { return false; } // a refused form stays, errors and all
    var incoming = document.importNode(fresh, true);
    var homes = {};
    incoming.querySelectorAll("input, textarea, select").forEach(function (el) { homes[fieldKey(el)] = el; });
    var kept = [];
    var fields = old.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      if (!isTyped(fields[i])) { continue; }
      var home = homes[fieldKey(fields[i])];
      if (!home) { return false; } // what they are typing has no place in the new version: leave it be
      kept.push([fields[i], home]);
    }
    var changed = old.textContent.replace(/\s+/g, " ") !== incoming.textContent.replace(/\s+/g, " ");
    var open = {};
    old.querySelectorAll("details").forEach(function (d) { open[detailsKey(d)] = d.open; });
    incoming.querySelectorAll("details").forEach(function (d) {
      var key = detailsKey(d);
      if (Object.prototype.hasOwnProperty.call(open, key)) { d.open = open[key]; }
    });
    var scrolled = [];
    old.querySelectorAll(".order-messages, [data-live-scroll]").forEach(function (box) {
      scrolled.push([box.id || box.className, atBottom(box), box.scrollTop]);
    });
    var focused = document.activeElement, start = null, end = null;
    if (focused && old.contains(focused)) {
      try { start = focused.selectionStart; end = focused.selectionEnd; } catch (e) { start = null; }
    } else {
      focused = null;
    }
    kept.forEach(function (pair) {
      pair[1].replaceWith(pair[0]);
      var holder = pair[0].closest("details");
      if (holder && incoming.contains(holder)) { holder.open = true; }
    });
    old.replaceWith(incoming);
    scrolled.forEach(function (s) {
      incoming.querySelectorAll(".order-messages, [data-live-scroll]").forEach(function (box) {
        if ((box.id || box.className) === s[0]) { box.scrollTop = s[1] ? box.scrollHeight : s[2]; }
      });
    });
    if (focused && !incoming.contains(focused)) { focused = counterpart(focused, incoming); } // a button, a link
    if (focused) {
      focused.focus({ preventScroll: true });
      if (start !== null) { try { focused.setSelectionRange(start, end); } catch (e) { /* not a text field */ } }
    }
    return changed ? "changed" : true;
  }

  function note(show) {
    var box = document.getElementById("live-note");
    if (!show) { if (box) { box.remove(); } return; }
    if (box) { return; }
    box = document.createElement("p");
    box.id = "live-note";
    box.className = "notice live-note";
    box.setAttribute("role", "status");
    box.setAttribute("data-testid", "live-note");
    var link = document.createElement("a");
    link.href = body.dataset.livePage || window.location.pathname;
    link.textContent = "Show the changes";
    box.appendChild(document.createTextNode("This page has changed since you opened it. "));
    box.appendChild(link);
    box.appendChild(document.createTextNode(" (what you typed here is not kept)."));
    var main = document.getElementById("main");
    if (main) { main.insertBefore(box, main.firstChild); }
  }

  function say(text) {
    var status = document.getElementById("live-status");
    if (status) { status.textContent = ""; window.setTimeout(function () { status.textContent = text; }, 50); }
  }

  function submitting() { return !!document.querySelector("form[data-submitted='1']"); }

  function refresh(stamp) {
    var page = body.dataset.livePage;
    if (!page || submitting()) { return null; }
    return fetch(page, { credentials: "same-origin", cache: "no-store", headers: { "X-Live-Refresh": "1" } })
      .then(function (response) {
        if (response.redirected || response.status === 404 || response.status === 403) { stopped = true; }
        if (!response.ok || response.redirected) { throw new Error("refresh " + response.status); }
        return response.text();
      })
      .then(function (html) {
        if (submitting()) { return; } // the person sent a form meanwhile: its answer replaces the page anyway
        var doc = new window.DOMParser().parseFromString(html, "text/html");
        var stale = false, changed = false;
        document.querySelectorAll("[data-live-region]").forEach(function (old) {
          var fresh = old.id && doc.getElementById(old.id);
          if (!fresh) { return; }
          var done = swap(old, fresh);
          if (!done) { stale = true; }
          if (done === "changed") { changed = true; }
        });
        ["notifications", "messages"].forEach(function (name) {
          var link = doc.querySelector('[data-live-badge="' + name + '"]');
          if (link) {
            var badge = link.querySelector(".badge");
            setBadge(name, badge ? parseInt(badge.textContent, 10) || 0 : 0);
          }
        });
        body.dataset.liveStamp = doc.body.dataset.liveStamp || stamp;
        note(stale);
        if (changed) { say("This page was updated."); }
      });
  }

  function poll() {
    if (busy || stopped) { return; }
    if (document.hidden) { return; } // visibilitychange polls again when the page is seen
    busy = true;
    fetch(pollUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 403 || response.status === 404) { stopped = true; }
        if (!response.ok) { throw new Error("poll " + response.status); }
        return response.json();
      })
      .then(function (data) {
        setBadge("notifications", data.notifications);
        setBadge("messages", data.messages);
        if (data.every) { every = Math.max(1, data.every) * 1000; }
        delay = every;
        if (typeof data.stamp === "string" && data.stamp !== body.dataset.liveStamp) { return refresh(data.stamp); }
        return null;
      })
      .catch(function () { delay = Math.min(delay * 2, 60000); }) // the server is away: ask less often
      .then(function () { busy = false; schedule(delay); });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { schedule(0); }
  });
  schedule(every);
})();
