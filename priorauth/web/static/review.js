"use strict";
// The review page: evidence viewer, reviewer decisions and audit trail.
// Chart-derived text only ever reaches the page through textContent (never innerHTML).
(function () {
  const id = document.body.dataset.reviewId;
  const api = "/api/reviews/" + id;
  const $ = (sel) => document.querySelector(sel);

  const viewer = $("#viewer");
  const caption = $("#viewer-caption");
  const pageBox = $("#viewer-page");
  const pageImg = $("#page-img");
  const boxesEl = $("#boxes");
  const textBox = $("#viewer-text");
  const reviewer = $("#reviewer");
  const decisionError = $("#decision-error");
  const textCache = new Map();
  let showing = 0;

  if (!reviewer.readOnly) reviewer.value = window.localStorage.getItem("priorauth.reviewer") || "";
  reviewer.addEventListener("change", () => {
    window.localStorage.setItem("priorauth.reviewer", reviewer.value.trim());
  });

  async function getJSON(url) {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  function loadImage(url) {
    return new Promise((resolve, reject) => {
      pageImg.onload = () => resolve();
      pageImg.onerror = () => reject(new Error("page image failed to load"));
      pageImg.src = url;
    });
  }

  // ---- evidence viewer -------------------------------------------------------------------
  // The chart viewer (chart.js: every page, thumbnails, search, TIFF pages) shows quotes when
  // it is loaded; the code below is its fallback.
  async function showEvidence(button) {
    if (window.priorauthChart) return window.priorauthChart.showQuote(button);
    const d = button.dataset;
    const token = ++showing;
    document.querySelectorAll(".quote.selected").forEach((b) => b.classList.remove("selected"));
    button.classList.add("selected");
    caption.textContent = d.name + (d.page ? " \u2014 page " + d.page : "");
    viewer.dataset.state = "loading";
    viewer.dataset.doc = d.doc;
    viewer.dataset.page = d.page;
    if (d.doc === "") {
      caption.textContent += " (document not found)";
      viewer.dataset.state = "error";
      return;
    }
    try {
      if (d.kind === "pdf") await showPdf(d, token);
      else await showText(d, token);
    } catch (err) {
      if (token !== showing) return;
      caption.textContent += " (could not be shown: " + err.message + ")";
      viewer.dataset.state = "error";
    }
  }

  async function showPdf(d, token) {
    textBox.hidden = true;
    pageBox.hidden = false;
    boxesEl.replaceChildren();
    const boxesUrl = api + "/documents/" + d.doc + "/boxes?page=" + encodeURIComponent(d.page) +
      "&start=" + encodeURIComponent(d.start) + "&end=" + encodeURIComponent(d.end);
    const imageUrl = api + "/documents/" + d.doc + "/pages/" + encodeURIComponent(d.page) +
      ".png?scale=1.5";
    const opener = $("#page-open");
    opener.href = imageUrl.replace("scale=1.5", "scale=3");
    opener.hidden = false;
    const [geometry] = await Promise.all([getJSON(boxesUrl), loadImage(imageUrl)]);
    if (token !== showing) return;
    if (window.priorauth.drawBoxes(boxesEl, geometry, "hl")) {
      viewer.dataset.state = "highlighted";
      boxesEl.firstChild.scrollIntoView({ block: "center", behavior: "instant" });
    } else {
      viewer.dataset.state = "no-box";
      caption.textContent += " (the quote could not be located on the page image)";
    }
  }

  async function showText(d, token) {
    pageBox.hidden = true;
    $("#page-open").hidden = true;
    textBox.hidden = false;
    if (!textCache.has(d.doc)) textCache.set(d.doc, await getJSON(api + "/documents/" + d.doc + "/text"));
    if (token !== showing) return;
    const text = textCache.get(d.doc).pages[0].text;
    const start = Number(d.start);
    const end = Number(d.end);
    const mark = document.createElement("mark");
    mark.textContent = text.slice(start, end);
    textBox.replaceChildren(
      document.createTextNode(text.slice(0, start)), mark, document.createTextNode(text.slice(end)));
    viewer.dataset.state = "highlighted";
    mark.scrollIntoView({ block: "center", behavior: "instant" });
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
