/* The consoles' own behaviour, on top of htmx and its SSE extension (no inline script: the page policy forbids
   it). Each piece is a progressive enhancement: without this file, links and forms still work. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // a language or zone choice takes effect when picked (the Save button is for browsers without JS)
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.requestSubmit();
  });

  // ---- live charts (uPlot) ------------------------------------------------------------------------------------
  // <div class="chart" data-chart='{"series": [...], "data": [[x...], [y...]], "max_points": 720}'
  //      data-stream-event="queues" data-stream-pick="waiting,active,failed" data-stream-key="payments">
  var charts = [];

  function axisColor() { return "#5b6475"; }

  // y-axis labels that fit: 12,50,000 as "12.5L" (Indian compact notation), small values as they are
  var compact = window.Intl ? new Intl.NumberFormat("en-IN", { notation: "compact", maximumFractionDigits: 1 }) : null;
  function compactValues(u, splits) {
    return splits.map(function (v) { return v == null ? "" : Math.abs(v) >= 10000 && compact ? compact.format(v) : String(v); });
  }

  function makeChart(el) {
    var spec = JSON.parse(el.getAttribute("data-chart"));
    var palette = ["#4338ca", "#16a34a", "#dc2626", "#d97706", "#0891b2", "#7c3aed", "#db2777", "#65a30d"];
    var series = [{ label: spec.x_label || "" }].concat(spec.series.map(function (s, i) {
      return { label: s.label, stroke: s.color || palette[i % palette.length], width: s.width || 2,
               dash: s.dash || undefined, fill: s.fill || undefined, value: s.format === "inr" ? function (u, v) { return v == null ? "—" : "₹" + (v / 100).toLocaleString("en-IN"); } : undefined };
    }));
    var width = Math.max(el.clientWidth, 280);
    var opts = {
      width: width, height: spec.height || 220, series: series,
      // one point alone would make uPlot stretch the time axis over years: show the minutes around it
      scales: { x: { time: spec.time !== false, range: function (u, min, max) { return min != null && min === max ? [min - 300, max + 60] : [min, max]; } } },
      axes: [{ stroke: axisColor() }, { stroke: axisColor(), size: 60, values: compactValues }],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    // time axes in the person's zone (IST unless they chose another), not the browser's
    var zone = document.body.getAttribute("data-zone");
    if (zone && uPlot.tzDate) opts.tzDate = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), zone); };
    var data = spec.data || [[]].concat(spec.series.map(function () { return []; }));
    var chart = new uPlot(opts, data, el);
    charts.push({ el: el, chart: chart, spec: spec, data: data });
  }

  function appendPoint(entry, x, values) {
    var d = entry.data;
    d[0].push(x);
    for (var i = 0; i < values.length; i++) d[i + 1].push(values[i]);
    var max = entry.spec.max_points || 720;
    while (d[0].length > max) { for (var j = 0; j < d.length; j++) d[j].shift(); }
    entry.chart.setData(d);
  }

  function initCharts(root) {
    if (typeof uPlot === "undefined") return;
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      if (!el._lspChart) { el._lspChart = true; makeChart(el); }
    });
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { if (document.body.contains(c.el)) c.chart.setSize({ width: Math.max(c.el.clientWidth, 280), height: c.spec.height || 220 }); });
  });

  // a list of {name: ...} rows (the queues stream's `items`): the one with this name
  function named(items, key) {
    if (!Array.isArray(items)) return null;
    for (var i = 0; i < items.length; i++) if (items[i] && items[i].name === key) return items[i];
    return null;
  }

  // "counts.waiting+counts.paused": dotted paths into the row, summed; null when none of them is there
  function picked(row, spec) {
    var total = null;
    spec.split("+").forEach(function (path) {
      var v = row;
      path.split(".").forEach(function (part) { v = v == null ? null : v[part]; });
      if (v != null && !isNaN(Number(v))) total = (total || 0) + Number(v);
    });
    return total;
  }

  // a live event from the page's one stream: charts that follow it take a point
  document.addEventListener("htmx:sseMessage", function (event) {
    var type = event.detail.type;
    var payload;
    try { payload = JSON.parse(event.detail.data); } catch (e) { return; }
    charts.forEach(function (c) {
      if (!document.body.contains(c.el) || c.el.getAttribute("data-stream-event") !== type) return;
      var key = c.el.getAttribute("data-stream-key");
      var row = key ? (payload[key] || (payload.queues && payload.queues[key]) || named(payload.items, key)) : payload;
      if (!row) return;
      var pick = (c.el.getAttribute("data-stream-pick") || "").split(",");
      var at = payload.at ? Date.parse(payload.at) / 1000 : Date.now() / 1000;
      appendPoint(c, at, pick.map(function (p) { return picked(row, p); }));
    });
  });

  // ---- observe: a live list does not refresh under a person writing a note in it (an open <details> form)
  function writingIn(el) {
    return el && el.hasAttribute && el.hasAttribute("data-live-region") && el.querySelector("details[open]");
  }
  document.addEventListener("htmx:confirm", function (event) {
    if (writingIn(event.detail.elt)) event.preventDefault();
  });
  // ... nor does a refresh already on its way when the form was opened
  document.addEventListener("htmx:beforeSwap", function (event) {
    var config = event.detail.requestConfig;
    if (config && config.verb === "get" && writingIn(config.elt)) {
      event.detail.shouldSwap = false;
    }
  });

  // ---- a secret shown once: its Copy button (without JS the field is still there to select and copy) ----------
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    function copied() {
      button.setAttribute("data-copied", "true");
      var label = button.getAttribute("data-copied-label");
      if (label) button.textContent = label;
    }
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(copied, function () { if (document.execCommand("copy")) copied(); });
    } else if (document.execCommand("copy")) {
      copied();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { initCharts(event.target); });
})();
