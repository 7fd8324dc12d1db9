"use strict";
// Shared by the upload page and the "review in progress" page: stage display and polling.
window.priorauth = (function () {
  const ORDER = ["uploading", "queued", "reading", "extracting", "scoring", "done"];

  function setStage(stage) {
    const at = ORDER.indexOf(stage);
    document.querySelectorAll(".stages li").forEach((li) => {
      const i = ORDER.indexOf(li.dataset.stage);
      li.classList.toggle("done", i < at);
      li.classList.toggle("active", i === at);
    });
    const progress = document.getElementById("progress");
    if (progress) progress.dataset.stage = stage;
    const bar = document.getElementById("upload-bar");
    if (bar && stage !== "uploading" && at >= 0) {
      bar.value = Math.round((100 * at) / (ORDER.length - 1));
    }
  }

  function startClock() {
    const started = Date.now();
    const el = document.getElementById("elapsed");
    return setInterval(() => {
      if (el) el.textContent = String(Math.floor((Date.now() - started) / 1000));
    }, 500);
  }

  function detailText(detail) {
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((d) => (d && d.msg ? d.msg : JSON.stringify(d))).join("; ");
    }
    return "";
  }

  // Poll a status URL until the review is done or failed; never blocks the page.
  async function poll(statusUrl, onDone, onFail) {
    let failures = 0;
    for (;;) {
      let data = null;
      try {
        const response = await fetch(statusUrl, { cache: "no-store" });
        if (response.ok) data = await response.json();
        else if (response.status === 404) return onFail("This review does not exist.");
      } catch (err) {
        data = null;
      }
      if (data === null) {
        failures += 1;
        if (failures > 10) return onFail("Lost contact with the server.");
      } else {
        failures = 0;
        setStage(data.status);
        if (data.status === "done") return onDone(data);
        if (data.status === "failed") return onFail(data.error || "The review failed.");
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }

  return { setStage, startClock, poll, detailText };
})();
