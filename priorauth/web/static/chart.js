"use strict";
// The whole chart beside the review: every page of every document (thumbnails and paging),
// search across the chart text with hits boxed on the page image, evidence quotes, keyboard
// shortcuts with a help overlay (?), and the "details" toggle (ids and offsets).
// Chart-derived text only ever reaches the page through textContent (never innerHTML).
window.priorauthChart = (function () {
  const id = document.body.dataset.reviewId;
  const api = "/api/reviews/" + id;
  const $ = (sel) => document.querySelector(sel);

  const viewer = $("#viewer");
  const caption = $("#viewer-caption");
  const pageBox = $("#viewer-page");
  const pageImg = $("#page-img");
  const boxesEl = $("#boxes");
  const textBox = $("#viewer-text");
  const opener = $("#page-open");
  const label = $("#page-label");
  const thumbs = $("#thumbs");
  const searchForm = $("#chart-search");
  const searchInput = $("#search-input");
  const searchStatus = $("#search-status");
  const searchResults = $("#search-results");
  const help = $("#help");

  const textCache = new Map();
  let chart = null; // {documents: [{position, name, kind, paged, pages: [...]}]}
  let chartLoading = null;
  let flat = []; // [{doc, page}] every page of every document, in order
  let at = -1; // index into flat
  let showing = 0;

  async function getJSON(url) {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(window.priorauth.detailText(body.detail) || "HTTP " + response.status);
    }
    return response.json();
  }

  function loadImage(url) {
    return new Promise((resolve, reject) => {
      pageImg.onload = () => resolve();
      pageImg.onerror = () => reject(new Error("page image failed to load"));
      pageImg.src = url;
    });
  }

  function docOf(position) {
    return chart ? chart.documents.find((d) => d.position === Number(position)) : null;
  }

  // ---- the chart: thumbnails and paging ----------------------------------------------------
  function loadChart() {
    if (!chartLoading) {
      chartLoading = getJSON(api + "/chart").then((data) => {
        chart = data;
        flat = [];
        for (const d of data.documents) {
          d.pages.forEach((p, i) => flat.push({ doc: d, page: p.number === null ? 1 : p.number, index: i }));
        }
        buildThumbs();
        viewer.dataset.pages = String(flat.length);
        if (at < 0) label.textContent = flat.length + " page" + (flat.length === 1 ? "" : "s") +
          " in " + data.documents.length + " document" + (data.documents.length === 1 ? "" : "s");
        return data;
      }).catch((err) => {
        label.textContent = "The chart could not be loaded: " + err.message;
        throw err;
      });
    }
    return chartLoading;
  }

  function buildThumbs() {
    thumbs.replaceChildren();
    flat.forEach((entry, i) => {
      if (entry.index === 0) {
        const head = document.createElement("div");
        head.className = "thumb-doc";
        head.textContent = entry.doc.name + " (" + entry.doc.pages.length + " p.)";
        thumbs.appendChild(head);
      }
      const button = document.createElement("button");
      button.type = "button";
      button.className = "thumb";
      button.dataset.flat = String(i);
      button.dataset.doc = String(entry.doc.position);
      button.dataset.page = String(entry.page);
      button.title = entry.doc.name + " page " + entry.page;
      if (entry.doc.paged) {
        const img = document.createElement("img");
        img.loading = "lazy";
        img.alt = "page " + entry.page;
        img.src = api + "/chart/" + entry.doc.position + "/pages/" + entry.page + ".png?scale=0.2";
        button.appendChild(img);
      } else {
        const tile = document.createElement("span");
        tile.className = "thumb-text";
        tile.textContent = "text";
        button.appendChild(tile);
      }
      const num = document.createElement("span");
      num.className = "thumb-num";
      num.textContent = String(entry.page);
      button.appendChild(num);
      thumbs.appendChild(button);
    });
  }

  function markCurrent() {
    thumbs.querySelectorAll(".thumb.current").forEach((b) => b.classList.remove("current"));
    const current = thumbs.querySelector('.thumb[data-flat="' + at + '"]');
    if (current) {
      current.classList.add("current");
      current.scrollIntoView({ block: "nearest", inline: "nearest", behavior: "instant" });
    }
    const entry = flat[at];
    if (!entry) return;
    label.textContent = entry.doc.name + " \u2014 page " + (entry.index + 1) + " of " +
      entry.doc.pages.length + " (" + (at + 1) + "/" + flat.length + " in the chart)";
    $("#page-prev").disabled = at <= 0;
    $("#page-next").disabled = at >= flat.length - 1;
  }

  function flatIndex(position, page) {
    return flat.findIndex((e) => e.doc.position === Number(position) &&
      (!e.doc.paged || e.page === Number(page)));
  }

  // Show one page; `mark` = {start, end, kind: "quote" | "search"} highlights text on it.
  async function showPage(position, page, mark) {
    await loadChart();
    const i = flatIndex(position, page || 1);
    if (i < 0) throw new Error("no such page");
    at = i;
    markCurrent();
    const entry = flat[i];
    const token = ++showing;
    viewer.dataset.state = "loading";
    viewer.dataset.doc = String(entry.doc.position);
    viewer.dataset.page = String(entry.page);
    if (!mark) caption.textContent = entry.doc.name + (entry.doc.paged ? " \u2014 page " + entry.page : "");
    if (entry.doc.paged) await showImage(entry, mark, token);
    else await showText(entry, mark, token);
  }

  // Boxes (page points) drawn over a page image as percentages, with half a point of padding;
  // returns whether there were any.
  function drawBoxes(boxesEl, geometry, className) {
    const pad = 0.5;
    for (const [x0, y0, x1, y1] of geometry.boxes) {
      const box = document.createElement("div");
      box.className = className;
      box.style.left = (100 * (x0 - pad)) / geometry.page_width + "%";
      box.style.top = (100 * (y0 - pad)) / geometry.page_height + "%";
      box.style.width = (100 * (x1 - x0 + 2 * pad)) / geometry.page_width + "%";
      box.style.height = (100 * (y1 - y0 + 2 * pad)) / geometry.page_height + "%";
      boxesEl.appendChild(box);
    }
    return geometry.boxes.length > 0;
  }

  async function showImage(entry, mark, token) {
    textBox.hidden = true;
    pageBox.hidden = false;
    boxesEl.replaceChildren();
    const base = api + "/chart/" + entry.doc.position;
    const imageUrl = base + "/pages/" + entry.page + ".png?scale=1.5";
    opener.href = base + "/pages/" + entry.page + ".png?scale=3";
    opener.hidden = false;
    const jobs = [loadImage(imageUrl)];
    if (mark) {
      jobs.push(getJSON(base + "/boxes?page=" + entry.page + "&start=" +
        encodeURIComponent(mark.start) + "&end=" + encodeURIComponent(mark.end)));
    }
    const [, geometry] = await Promise.all(jobs);
    if (token !== showing) return;
    if (!mark) {
      viewer.dataset.state = "page";
      return;
    }
    if (drawBoxes(boxesEl, geometry, mark.kind === "search" ? "hl search-hit" : "hl")) {
      viewer.dataset.state = "highlighted";
      boxesEl.firstChild.scrollIntoView({ block: "center", behavior: "instant" });
    } else {
      viewer.dataset.state = "no-box";
      caption.textContent += " (the text could not be located on the page image)";
    }
  }

  async function showText(entry, mark, token) {
    pageBox.hidden = true;
    opener.hidden = true;
    textBox.hidden = false;
    const key = entry.doc.position;
    if (!textCache.has(key)) textCache.set(key, await getJSON(api + "/documents/" + key + "/text"));
    if (token !== showing) return;
    const text = textCache.get(key).pages[entry.index].text;
    if (!mark) {
      textBox.textContent = text;
      textBox.scrollTop = 0;
      viewer.dataset.state = "page";
      return;
    }
    const start = Number(mark.start);
    const end = Number(mark.end);
    const hl = document.createElement("mark");
    if (mark.kind === "search") hl.className = "search-hit";
    hl.textContent = text.slice(start, end);
    textBox.replaceChildren(
      document.createTextNode(text.slice(0, start)), hl, document.createTextNode(text.slice(end)));
    viewer.dataset.state = "highlighted";
    hl.scrollIntoView({ block: "center", behavior: "instant" });
  }

  async function go(step) {
    await loadChart();
    const next = Math.min(flat.length - 1, Math.max(0, (at < 0 ? 0 : at + step)));
    if (next === at) return;
    const entry = flat[next];
    await showPage(entry.doc.position, entry.page, null).catch(fail);
  }

  function fail(err) {
    caption.textContent += " (could not be shown: " + err.message + ")";
    viewer.dataset.state = "error";
  }

  // ---- evidence quotes ---------------------------------------------------------------------
  async function showQuote(button) {
    const d = button.dataset;
    document.querySelectorAll(".quote.selected").forEach((b) => b.classList.remove("selected"));
    button.classList.add("selected");
    caption.textContent = d.name + (d.page ? " \u2014 page " + d.page : "");
    if (d.doc === "") {
      caption.textContent += " (document not found)";
      viewer.dataset.state = "error";
      return;
    }
    try {
      await showPage(d.doc, d.page || 1, { start: d.start, end: d.end, kind: "quote" });
    } catch (err) {
      fail(err);
    }
  }

  // ---- search ------------------------------------------------------------------------------
  async function search(query) {
    searchResults.replaceChildren();
    searchResults.hidden = true;
    searchStatus.hidden = false;
    searchStatus.textContent = "Searching\u2026";
    viewer.dataset.search = "running";
    let data;
    try {
      data = await getJSON(api + "/search?q=" + encodeURIComponent(query));
    } catch (err) {
      searchStatus.textContent = "Search failed: " + err.message;
      viewer.dataset.search = "error";
      return;
    }
    const n = data.hits.length;
    searchStatus.textContent = n === 0 ? "No hit for \u201c" + query + "\u201d."
      : n + (data.truncated ? "+" : "") + " hit" + (n === 1 ? "" : "s") + " for \u201c" + query + "\u201d";
    data.hits.forEach((hit, i) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "hit";
      button.dataset.index = String(i);
      const where = document.createElement("span");
      where.className = "hit-where";
      where.textContent = hit.name + (hit.page !== null ? " p." + hit.page : "");
      const mark = document.createElement("mark");
      mark.textContent = hit.match;
      button.append(where, document.createTextNode(" \u2026" + hit.before + " "), mark,
        document.createTextNode(" " + hit.after + "\u2026"));
      button.addEventListener("click", () => showHit(hit, button));
      li.appendChild(button);
      searchResults.appendChild(li);
    });
    searchResults.hidden = n === 0;
    viewer.dataset.search = String(n);
    if (n) await showHit(data.hits[0], searchResults.querySelector(".hit"));
  }

  async function showHit(hit, button) {
    searchResults.querySelectorAll(".hit.selected").forEach((b) => b.classList.remove("selected"));
    if (button) button.classList.add("selected");
    caption.textContent = "Search hit: " + hit.name + (hit.page !== null ? " \u2014 page " + hit.page : "");
    try {
      await showPage(hit.position, hit.page || 1, { start: hit.start, end: hit.end, kind: "search" });
    } catch (err) {
      fail(err);
    }
  }

  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = searchInput.value.trim();
    if (query) search(query);
  });

  thumbs.addEventListener("click", (event) => {
    const thumb = event.target.closest(".thumb");
    if (!thumb) return;
    const entry = flat[Number(thumb.dataset.flat)];
    showPage(entry.doc.position, entry.page, null).catch(fail);
  });
  $("#page-prev").addEventListener("click", () => go(-1));
  $("#page-next").addEventListener("click", () => go(1));

  // ---- details toggle ----------------------------------------------------------------------
  const idsToggle = $("#show-ids");
  if (idsToggle) {
    idsToggle.checked = window.localStorage.getItem("priorauth.showIds") === "1";
    document.body.classList.toggle("show-ids", idsToggle.checked);
    idsToggle.addEventListener("change", () => {
      document.body.classList.toggle("show-ids", idsToggle.checked);
      window.localStorage.setItem("priorauth.showIds", idsToggle.checked ? "1" : "0");
    });
  }

  // ---- keyboard ----------------------------------------------------------------------------
  let currentCrit = null;
  let quoteAt = -1;

  function visible(el) {
    // the contents of a closed <details> keep their boxes in Chromium: ask the browser
    if (el.checkVisibility) return el.checkVisibility({ contentVisibilityAuto: true });
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (p.tagName === "DETAILS" && !p.open && el.parentElement !== p) return false;
    }
    return el.getClientRects().length > 0;
  }

  function criteria() {
    return Array.from(document.querySelectorAll("#criteria li.crit")).filter((li) =>
      visible(li.querySelector(":scope > details > summary")));
  }

  function setCurrent(li) {
    if (currentCrit) currentCrit.classList.remove("current");
    currentCrit = li;
    quoteAt = -1;
    if (!li) return;
    li.classList.add("current");
    document.body.dataset.currentCriterion = li.dataset.criterion;
    const summary = li.querySelector(":scope > details > summary");
    summary.focus({ preventScroll: true });
    summary.scrollIntoView({ block: "nearest", behavior: "instant" });
  }

  function stepCriterion(step) {
    const list = criteria();
    if (!list.length) return;
    const i = currentCrit ? list.indexOf(currentCrit) : -1;
    const next = i < 0 ? (step > 0 ? 0 : list.length - 1)
      : Math.min(list.length - 1, Math.max(0, i + step));
    setCurrent(list[next]);
  }

  function decide(action) {
    if (!currentCrit) stepCriterion(1);
    if (!currentCrit) return;
    const button = currentCrit.querySelector(
      ":scope > details > .node-body > .decide button[data-action=" + action + "]");
    if (button) button.click();
  }

  function nextQuote() {
    let quotes = [];
    if (currentCrit) {
      quotes = Array.from(currentCrit.querySelectorAll(
        ":scope > details > .node-body > .evidence .quote"));
    }
    if (!quotes.length) quotes = Array.from(document.querySelectorAll(".content .quote")).filter(visible);
    if (!quotes.length) return;
    quoteAt = (quoteAt + 1) % quotes.length;
    if (currentCrit) currentCrit.querySelector(":scope > details").open = true;
    quotes[quoteAt].click();
  }

  function showHelp(show) {
    help.hidden = !show;
    if (show) $("#help-close").focus();
  }

  $("#help-open").addEventListener("click", () => showHelp(help.hidden));
  $("#help-close").addEventListener("click", () => showHelp(false));
  help.addEventListener("click", (event) => { if (event.target === help) showHelp(false); });

  document.addEventListener("click", (event) => {
    const li = event.target.closest("#criteria li.crit");
    if (li && li !== currentCrit) {
      if (currentCrit) currentCrit.classList.remove("current");
      currentCrit = li;
      li.classList.add("current");
      document.body.dataset.currentCriterion = li.dataset.criterion;
      quoteAt = -1;
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "Escape") {
      if (!help.hidden) showHelp(false);
      else if (typing) target.blur();
      return;
    }
    if (typing) return;
    if (!help.hidden && event.key !== "?") return;
    const actions = {
      j: () => stepCriterion(1),
      k: () => stepCriterion(-1),
      a: () => decide("agree"),
      d: () => decide("disagree"),
      n: () => nextQuote(),
      "/": () => { searchInput.focus(); searchInput.select(); },
      "?": () => showHelp(help.hidden),
      "]": () => go(1),
      "[": () => go(-1),
    };
    const act = actions[event.key];
    if (!act) return;
    event.preventDefault();
    act();
  });

  loadChart().catch(() => {});
  return { showQuote, showPage, search };
})();
