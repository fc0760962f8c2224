// Groundwork page behaviour: "why?" / "why not?" panel and feedback buttons.
// Plain JavaScript, no build step, no inline handlers (the Content-Security-Policy forbids them).
// Calls go to the same /api the documented HTTP API serves, with the session cookie and, for
// changes, the page's CSRF token. Explanations arrive as HTML rendered (and escaped) by the server.
"use strict";

(function () {
  var main = document.getElementById("main");
  var planId = main && main.getAttribute("data-plan");
  if (!planId) {
    var problems = document.getElementById("problems");
    if (problems) { problems.focus(); }
    showDueItems();
    return;
  }
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var panelHeading = document.getElementById("explain-h");
  var panelBody = document.getElementById("explain-body");
  var back = document.getElementById("explain-back");
  var returnTo = null;

  // The assessment form shows only the items rated at the client's age (not due: hidden, and the
  // server leaves them out). The server hides them too when it re-renders a posted form.
  function showDueItems() {
    var years = document.getElementById("age_years");
    var months = document.getElementById("age_months");
    if (!years) { return; }
    function update() {
      var y = parseInt(years.value, 10);
      var m = parseInt(months.value || "0", 10);
      var age = isNaN(y) ? null : y * 12 + (isNaN(m) ? 0 : m);
      document.querySelectorAll(".item[data-rated-from]").forEach(function (item) {
        var from = parseInt(item.getAttribute("data-rated-from"), 10);
        var until = item.getAttribute("data-rated-until");
        item.hidden = age !== null && (age < from || (until !== "" && age > parseInt(until, 10)));
      });
    }
    years.addEventListener("input", update);
    if (months) { months.addEventListener("input", update); }
    update();
  }

  function errorText(response, body) {
    try {
      var parsed = JSON.parse(body);
      return parsed.errors.map(function (e) {
        return e.message + (e.suggestions && e.suggestions.length ? " (nearest: " + e.suggestions.join(", ") + ")" : "");
      }).join(" ");
    } catch (ignored) {
      return "The server answered " + response.status + ".";
    }
  }

  function explain(kind, intervention, name, trigger) {
    returnTo = trigger || null;
    panelBody.setAttribute("aria-busy", "true");
    panelBody.textContent = "Loading…";
    var url = "/api/plans/" + encodeURIComponent(planId) + "/" + kind + "/" + encodeURIComponent(intervention);
    fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (body) {
          var title = document.createElement("h3");
          title.textContent = (kind === "why" ? "Why " : "Why not ") + name + "?";
          if (response.ok) {
            panelBody.innerHTML = body;  // server-rendered by explain/html_parts.py, every value escaped
          } else {
            panelBody.textContent = "";
            var p = document.createElement("p");
            p.className = "problems";
            p.textContent = errorText(response, body);
            panelBody.appendChild(p);
          }
          panelBody.insertBefore(title, panelBody.firstChild);
          panelBody.removeAttribute("aria-busy");
          back.hidden = !returnTo;
          panelHeading.focus();
        });
      })
      .catch(function () {
        panelBody.textContent = "The server could not be reached.";
        panelBody.removeAttribute("aria-busy");
      });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-explain]");
    if (button) {
      explain(button.getAttribute("data-explain"), button.getAttribute("data-intervention"),
              button.getAttribute("data-name"), button);
      return;
    }
    var feedbackButton = event.target.closest("[data-feedback]");
    if (feedbackButton) { onFeedback(feedbackButton); }
  });

  back.addEventListener("click", function () {
    if (returnTo) { returnTo.focus(); }
  });

  var ask = document.getElementById("ask-form");
  ask.addEventListener("submit", function (event) {
    event.preventDefault();
    var kind = (event.submitter && event.submitter.value) || "why";
    var choice = document.getElementById("ask-intervention");
    var name = choice.options[choice.selectedIndex].getAttribute("data-name");
    explain(kind, choice.value, name, event.submitter);
  });

  function onFeedback(button) {
    var box = button.closest(".feedback");
    var what = button.getAttribute("data-feedback");
    var override = box.querySelector(".override");
    if (what === "override") {
      var open = override.hidden;
      override.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      if (open) { override.querySelector("select").focus(); }
      return;
    }
    var payload = { intervention: box.getAttribute("data-intervention"), outcome: what };
    if (what === "overridden") {
      payload.reason = override.querySelector("select").value;
      var comment = override.querySelector("textarea").value.trim();
      if (comment) { payload.comment = comment; }
    }
    send(box, payload);
  }

  function send(box, payload) {
    var status = box.querySelector(".status");
    status.textContent = "Recording…";
    fetch("/api/plans/" + encodeURIComponent(planId) + "/feedback", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.text().then(function (body) {
        if (!response.ok) {
          status.textContent = "Not recorded: " + errorText(response, body);
          return;
        }
        var result = JSON.parse(body);
        var reason = payload.reason ? " (" + payload.reason.replace(/_/g, " ") + ")" : "";
        status.textContent = "Recorded: " + payload.outcome + reason + ", audit record " + result.audit_id + ".";
        var override = box.querySelector(".override");
        override.hidden = true;
        box.querySelector('[data-feedback="override"]').setAttribute("aria-expanded", "false");
      });
    }).catch(function () {
      status.textContent = "Not recorded: the server could not be reached.";
    });
  }
})();
