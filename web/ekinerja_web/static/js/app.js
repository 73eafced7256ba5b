/* Progressive enhancement only: every page works without this file.
   - focus the error summary so a screen reader announces it;
   - a printed SKP link;
   - a submitted day followed until harian decides it;
   - a day typed while offline kept in this browser and sent, with the same Idempotency-Key, once
     the connection is back. */
(function () {
  "use strict";
  var QUEUE = "ekinerja-harian-queue";

  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  function queue() { try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; } }
  function store(items) { try { localStorage.setItem(QUEUE, JSON.stringify(items)); } catch (e) { /* private mode: nothing kept */ } }

  function banner(text) {
    var main = document.getElementById("main");
    var box = document.getElementById("offline-queue");
    if (!text) { if (box) { box.remove(); } return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "offline-queue"; box.className = "offline-queue"; box.setAttribute("role", "status");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
  }

  function send(item) {
    var body = new URLSearchParams();
    item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    return fetch(item.url, { method: "POST", body: body, credentials: "same-origin", redirect: "follow" });
  }

  function flush() {
    var items = queue();
    if (!items.length || !navigator.onLine) { return; }
    var item = items[0];
    send(item).then(function (response) {
      store(queue().filter(function (other) { return other.key !== item.key; }));
      banner("");
      if (response.redirected) { window.location.assign(response.url); }
    }).catch(function () { banner(item.waiting); });
  }

  function offlineForm(form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || button.value !== "submit") { return; }
      event.preventDefault();
      var fields = [];
      new FormData(form).forEach(function (value, name) { fields.push([name, String(value)]); });
      fields.push(["action", "submit"]);
      var item = { url: form.getAttribute("action"), fields: fields, waiting: form.getAttribute("data-offline-waiting"),
                   key: form.querySelector("[name=idempotency_key]").value };
      send(item).then(function (response) {
        if (response.redirected) { window.location.assign(response.url); return; }
        return response.text().then(function (html) { document.open(); document.write(html); document.close(); });
      }).catch(function () {
        store(queue().filter(function (other) { return other.key !== item.key; }).concat([item]));
        banner(item.waiting);
      });
    });
  }

  function follow(box) {
    if (box.getAttribute("data-status") !== "pending") { return; }
    var deadline = Date.now() + 120000;
    (function poll() {
      fetch(box.getAttribute("data-poll"), { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.status && body.status !== "pending") { window.location.reload(); }
          else if (Date.now() < deadline) { setTimeout(poll, 1500); }
        }).catch(function () { if (Date.now() < deadline) { setTimeout(poll, 3000); } });
    })();
  }

  ready(function () {
    var summary = document.querySelector("[data-focus]");
    if (summary) { summary.focus(); }
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (link) {
      link.hidden = false;
      link.addEventListener("click", function (event) { event.preventDefault(); window.print(); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-offline-form]"), offlineForm);
    var box = document.querySelector("[data-submission]");
    if (box) { follow(box); }
    var waiting = queue();
    if (waiting.length) { banner(waiting[0].waiting); }
    window.addEventListener("online", flush);
    flush();
  });
})();
