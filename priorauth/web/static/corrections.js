"use strict";
// Corrections of criteria (recomputed by the server) and the physician's final decision.
(function () {
  const reviewId = document.body.dataset.reviewId;
  const api = "/api/reviews/" + reviewId;
  const $ = (sel) => document.querySelector(sel);
  const reviewerEl = $("#reviewer");

  function show(el, message) {
    el.textContent = message;
    el.hidden = false;
  }

  function detail(body, status) {
    const d = body && body.detail;
    if (typeof d === "string") return d;
    if (Array.isArray(d)) return d.map((x) => x.msg).join("; ");
    return "refused (" + status + ")";
  }

  async function post(url, payload, errorEl) {
    errorEl.hidden = true;
    if (reviewerEl && !reviewerEl.readOnly) payload.reviewer = reviewerEl.value.trim();
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      show(errorEl, detail(body, response.status));
      return null;
    }
    return body;
  }

  const apply = $("#correct-apply");
  if (apply) {
    apply.addEventListener("click", async () => {
      const node = $("#correct-criterion").value;
      const comment = $("#correct-comment").value.trim();
      const errorEl = $("#correct-error");
      if (!comment) {
        show(errorEl, "A correction needs a comment.");
        return;
      }
      const body = await post(api + "/criteria/" + encodeURIComponent(node) + "/override",
        { status: $("#correct-status").value, comment }, errorEl);
      if (body) window.location.reload();
    });
  }

  document.querySelectorAll("[data-physician]").forEach((button) => {
    button.addEventListener("click", async () => {
      const errorEl = $("#physician-error");
      const criteria = Array.from($("#physician-criteria").selectedOptions).map((o) => o.value);
      const body = await post(api + "/decisions", {
        criterion_id: "final", action: button.dataset.physician,
        comment: $("#physician-reason").value.trim(), criteria,
      }, errorEl);
      if (body) window.location.reload();
    });
  });
})();
