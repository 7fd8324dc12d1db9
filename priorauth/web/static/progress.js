"use strict";
(function () {
  const id = document.body.dataset.reviewId;
  window.priorauth.setStage(document.body.dataset.status);
  window.priorauth.startClock();
  const reload = () => window.location.reload();
  window.priorauth.poll("/api/reviews/" + id + "/status", reload, reload);
})();
