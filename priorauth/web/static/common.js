"use strict";
// Shared by the pages: stage display and polling, local times.
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
        const ocrEl = document.getElementById("ocr-progress");
        if (ocrEl && data.ocr && data.ocr.total) {
          ocrEl.hidden = false;
          ocrEl.textContent = "OCR: " + data.ocr.done + " of " + data.ocr.total + " scanned pages read";
        }
        if (data.status === "done") return onDone(data);
        if (data.status === "failed") return onFail(data.error || "The review failed.");
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }

  // Timestamps are stored in UTC; people read them in their own time zone.
  const TIME_FORMAT = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
    timeZoneName: "short",
  });

  function localTime(iso) {
    if (!iso) return "";
    let text = String(iso);
    // "2026-10-14 09:30:00" (no zone) is UTC as stored
    if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) text = text.replace(" ", "T") + "Z";
    const when = new Date(text);
    return Number.isNaN(when.getTime()) ? String(iso) : TIME_FORMAT.format(when);
  }

  // Every <time datetime="..."> on the page, shown in local time (the UTC value as its title).
  function localizeTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach((el) => {
      if (el.dataset.local) return;
      const shown = localTime(el.getAttribute("datetime"));
      if (!shown) return;
      el.title = el.getAttribute("datetime") + " (UTC as stored)";
      el.textContent = shown;
      el.dataset.local = "1";
    });
  }

  localizeTimes(document);

  return { setStage, startClock, poll, detailText, localTime, localizeTimes };
})();
