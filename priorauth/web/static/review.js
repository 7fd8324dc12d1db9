"use strict";
// The review page: reviewer decisions and audit trail (quotes go to chart.js's viewer).
// Chart-derived text only ever reaches the page through textContent (never innerHTML).
(function () {
  const id = document.body.dataset.reviewId;
  const api = "/api/reviews/" + id;
  const $ = (sel) => document.querySelector(sel);

  const reviewer = $("#reviewer");
  const decisionError = $("#decision-error");

  if (!reviewer.readOnly) reviewer.value = window.localStorage.getItem("priorauth.reviewer") || "";
  reviewer.addEventListener("change", () => {
    window.localStorage.setItem("priorauth.reviewer", reviewer.value.trim());
  });

  async function getJSON(url) {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  // ---- evidence viewer -------------------------------------------------------------------
  // The chart viewer (chart.js, loaded with this script) shows every quote.
  function showEvidence(button) {
    return window.priorauthChart.showQuote(button);
  }

  // ---- decisions ---------------------------------------------------------------------------
  const LABEL = {
    agree: "agreed", disagree: "disagreed", approve: "Approved",
    refer_to_physician: "Referred to physician",
  };

  // corrections and physician decisions have their own words; anything else, its name
  const MORE = {
    set_met: "set met", set_not_met: "set not met", set_unknown: "set unknown",
    clear_override: "given back to the machine", physician_approve: "Approved by the physician",
    physician_adverse: "Adverse determination by the physician",
  };
  function label(action) {
    return LABEL[action] || MORE[action] || String(action).replace(/_/g, " ");
  }

  // a criterion by its words (its id is for the details)
  function criterionWords(criterionId) {
    if (criterionId === "final") return "the case";
    const li = document.getElementById("crit-" + criterionId);
    const text = li && li.querySelector(".ctext");
    return text ? text.textContent : criterionId;
  }

  function showDecisionError(message) {
    decisionError.textContent = message;
    decisionError.hidden = !message;
    if (message) decisionError.scrollIntoView({ block: "nearest" });
  }

  async function postDecision(criterion, action, comment) {
    const name = reviewer.value.trim();
    if (!name) {
      showDecisionError("Type your name first (in the reviewer decision box).");
      reviewer.focus();
      return false;
    }
    window.localStorage.setItem("priorauth.reviewer", name);
    const response = await fetch(api + "/decisions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ criterion_id: criterion, action, comment, reviewer: name }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      showDecisionError(window.priorauth.detailText(body.detail) || "Not recorded (HTTP " + response.status + ").");
      return false;
    }
    showDecisionError("");
    await loadDecisions();
    return true;
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }

  async function loadDecisions() {
    const data = await getJSON(api + "/decisions");
    const comments = {};
    for (const d of data.decisions) {
      if (d.action === "comment") comments[d.criterion_id] = (comments[d.criterion_id] || 0) + 1;
    }
    document.querySelectorAll("[data-verdict-for]").forEach((span) => {
      const key = span.dataset.verdictFor;
      const current = data.current[key];
      const li = span.closest(".crit");
      li.classList.remove("reviewer-agree", "reviewer-disagree");
      const parts = [];
      if (current) {
        parts.push(label(current.action) + " by " + current.reviewer);
        li.classList.add("reviewer-" + current.action);
      }
      if (comments[key]) parts.push(comments[key] + " comment" + (comments[key] > 1 ? "s" : ""));
      span.textContent = parts.join(" \u00b7 ");
    });
    const final = data.current.final;
    const finalState = $("#final-state");
    finalState.textContent = final
      ? label(final.action) + " by " + final.reviewer + " at " + window.priorauth.localTime(final.timestamp) +
        (final.comment ? ": \u201c" + final.comment + "\u201d" : "")
      : "No decision recorded yet.";
    finalState.dataset.action = final ? final.action : "";
    const table = $("#audit-table");
    const body = table.querySelector("tbody");
    body.replaceChildren();
    for (const d of data.decisions) {
      const row = document.createElement("tr");
      row.className = "audit-row";
      [window.priorauth.localTime(d.timestamp), d.reviewer, criterionWords(d.criterion_id),
        label(d.action), d.previous_action ? label(d.previous_action) : "", d.comment]
        .forEach((text) => cell(row, text));
      const ids = document.createElement("small");
      ids.className = "ids";
      ids.textContent = " " + d.criterion_id + " " + d.action;
      row.children[2].appendChild(ids);
      body.appendChild(row);
    }
    table.hidden = data.decisions.length === 0;
    $("#audit-empty").hidden = data.decisions.length > 0;
    document.body.dataset.decisionsLoaded = String(data.decisions.length);
  }

  // ---- events ------------------------------------------------------------------------------
  function openTo(criterionId) {
    const li = document.getElementById("crit-" + criterionId);
    if (!li) return;
    for (let el = li; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;
    }
    li.querySelector("details").open = true;
    li.scrollIntoView({ block: "start" });
  }

  document.addEventListener("click", async (event) => {
    const target = event.target;
    const quote = target.closest(".quote");
    if (quote) {
      showEvidence(quote);
      return;
    }
    const goto = target.closest("a.goto");
    if (goto) {
      event.preventDefault();
      openTo(goto.dataset.target);
      return;
    }
    const decide = target.closest(".decide button");
    if (decide) {
      const box = decide.closest(".decide");
      const input = box.querySelector(".comment");
      if (await postDecision(box.dataset.criterion, decide.dataset.action, input.value.trim())) {
        input.value = "";
      }
      return;
    }
    const final = target.closest("[data-final]");
    if (final) {
      const comment = $("#final-comment");
      if (await postDecision("final", final.dataset.final, comment.value.trim())) comment.value = "";
    }
  });

  $("#expand-all").addEventListener("click", () => {
    document.querySelectorAll("#criteria details").forEach((d) => { d.open = true; });
  });
  $("#collapse-all").addEventListener("click", () => {
    document.querySelectorAll("#criteria details").forEach((d) => { d.open = false; });
  });

  loadDecisions().catch((err) => showDecisionError("Decisions could not be loaded: " + err.message));
})();
