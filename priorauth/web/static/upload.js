"use strict";
(function () {
  const form = document.getElementById("upload-form");
  const errorEl = document.getElementById("error");
  const progress = document.getElementById("progress");
  const bar = document.getElementById("upload-bar");
  const submit = document.getElementById("submit");
  let clock = null;

  function fail(message) {
    if (clock) clearInterval(clock);
    errorEl.textContent = message;
    errorEl.hidden = false;
    progress.hidden = true;
    submit.disabled = false;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    errorEl.hidden = true;
    const data = new FormData(form);
    submit.disabled = true;
    progress.hidden = false;
    bar.value = 0;
    window.priorauth.setStage("uploading");
    clock = window.priorauth.startClock();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action"));
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.addEventListener("error", () => fail("The upload failed: no answer from the server."));
    xhr.addEventListener("load", () => {
      const body = xhr.response || {};
      if (xhr.status !== 202) {
        fail(window.priorauth.detailText(body.detail) || "The upload was refused (" + xhr.status + ").");
        return;
      }
      window.priorauth.setStage("queued");
      window.priorauth.poll(
        body.status_url,
        () => window.location.assign(body.review_url),
        (message) => fail(message),
      );
    });
    xhr.send(data);
  });
})();
