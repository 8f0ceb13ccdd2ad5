/*
 * The reports page (/reports/): asks the report API for the chosen report and draws it —
 * a choropleth on the common map (map_ui), bar charts (Chart.js from the local static
 * files) and the tables — and downloads the exports (CSV, XLSX, GeoPackage, PDF) with a
 * progress indication. Every control is a native form control or button, so the page
 * works with the keyboard alone; table rows are focusable and pick their area on the map.
 */
(function () {
  "use strict";

  var NO_DATA = "#d0d7de";
  var SERIES_COLOURS = ["#0b5cad", "#e07b00", "#2a9d4b", "#a23b72", "#6c757d"];

  // Set by start(): this module loads in the page's head, before the body exists.
  var config = null;
  var strings = {};
  var form = null;
  var lang = document.documentElement.lang || "zh-hans";
  var el = function (id) {
    return document.getElementById(id);
  };
  var state = { report: null, query: null, layer: null, labels: null, legend: null, charts: [], selected: null, busy: 0, seq: 0 };

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] == null ? "" : String(values[key]);
    });
  }

  var numberFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  var integerFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var percentFormat = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });

  function show(value, kind) {
    if (value === null || value === undefined || value === "") return "–";
    if (kind === "share") return percentFormat.format(value);
    if (kind === "number") return numberFormat.format(value);
    if (kind === "integer") return integerFormat.format(value);
    return String(value);
  }

  /* --- status, progress and errors ---------------------------------------------------- */

  function busy(on, message) {
    state.busy += on ? 1 : -1;
    el("report-progress").hidden = state.busy <= 0;
    document.querySelector(".report-main").setAttribute("aria-busy", state.busy > 0 ? "true" : "false");
    if (message) el("report-message").textContent = message;
  }

  function showError(message, field) {
    var box = el("report-error");
    box.textContent = message;
    box.hidden = false;
    form.querySelectorAll("[aria-invalid]").forEach(function (input) {
      input.removeAttribute("aria-invalid");
    });
    var input = field && form.elements.namedItem(field);
    if (input && input.focus) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-errormessage", "report-error");
      input.focus();
    }
  }

  function clearError() {
    el("report-error").hidden = true;
    el("report-error").textContent = "";
    form.querySelectorAll("[aria-invalid]").forEach(function (input) {
      input.removeAttribute("aria-invalid");
    });
  }

  function failure(response) {
    return response
      .json()
      .catch(function () {
        return {};
      })
      .then(function (body) {
        var error = new Error(body.detail || strings.failed);
        error.field = body.field;
        throw error;
      });
  }

  /* --- the form ------------------------------------------------------------------------ */

  function kind() {
    return form.elements.kind.value;
  }

  function showKindFields() {
    form.querySelectorAll(".kind-only").forEach(function (box) {
      box.hidden = box.getAttribute("data-kinds").split(" ").indexOf(kind()) < 0;
    });
  }

  function syncLevels(preferred) {
    var allowed = config.levels[form.elements.area.value] || [];
    var select = form.elements.level;
    Array.prototype.forEach.call(select.options, function (option) {
      option.hidden = option.disabled = allowed.indexOf(option.value) < 0;
    });
    if (preferred && allowed.indexOf(preferred) >= 0) select.value = preferred;
    else if (allowed.indexOf(select.value) < 0 || !preferred) select.value = allowed.length > 1 ? allowed[1] : allowed[0];
  }

  function query() {
    var q = new URLSearchParams();
    q.set("area", form.elements.area.value);
    q.set("level", form.elements.level.value);
    if (kind() === "coverage") q.set("n", form.elements.n.value.trim());
    if (kind() === "edits") q.set("months", form.elements.months.value.trim());
    if (kind() === "quality" && form.elements.as_of.value) q.set("as_of", form.elements.as_of.value);
    if (classKinds().indexOf(kind()) >= 0) {
      var codes = chosenClasses();
      if (codes.length) q.set("classes", codes.join(","));
    }
    if (form.elements.classify.value !== "auto") q.set("classify", form.elements.classify.value);
    var metric = form.elements.metric.value;
    if (metric && state.report && state.report.kind === kind()) q.set("metric", metric);
    return q;
  }

  function classKinds() {
    return el("report-classes").closest("[data-kinds]").getAttribute("data-kinds").split(" ");
  }

  function chosenClasses() {
    return Array.prototype.filter
      .call(form.elements.classes.options, function (option) {
        return option.selected;
      })
      .map(function (option) {
        return option.value;
      });
  }

  function showChosenClasses() {
    var codes = chosenClasses();
    var text = codes.length === 1 ? strings.classChosen : strings.classesChosen;
    el("report-classes-chosen").textContent = codes.length ? format(text, { count: codes.length }) : strings.allClasses;
    el("report-classes-clear").hidden = !codes.length;
  }

  function fromLocation() {
    var q = new URLSearchParams(window.location.search);
    if (q.get("kind") && form.elements.kind.querySelector('option[value="' + CSS.escape(q.get("kind")) + '"]')) form.elements.kind.value = q.get("kind");
    if (q.get("area") && form.elements.area.querySelector('option[value="' + CSS.escape(q.get("area")) + '"]')) form.elements.area.value = q.get("area");
    syncLevels(q.get("level"));
    ["n", "months", "as_of"].forEach(function (name) {
      if (q.get(name)) form.elements[name].value = q.get(name);
    });
    var codes = (q.get("classes") || "").split(",");
    Array.prototype.forEach.call(form.elements.classes.options, function (option) {
      option.selected = codes.indexOf(option.value) >= 0;
    });
    if (q.get("classify") && form.elements.classify.querySelector('option[value="' + CSS.escape(q.get("classify")) + '"]')) form.elements.classify.value = q.get("classify");
    showChosenClasses();
    return q.get("metric");
  }

  /* --- loading a report ---------------------------------------------------------------- */

  function apiUrl(suffix) {
    return config.api.replace("KIND/", kind() + suffix);
  }

  function load(options) {
    clearError();
    var q = query();
    if (options && options.metric) q.set("metric", options.metric);
    busy(true, strings.loading);
    el("report-run").disabled = true;
    var seq = ++state.seq; // only the latest request may draw
    return fetch(apiUrl("/") + "?" + q.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : failure(response);
      })
      .then(function (report) {
        if (seq !== state.seq) return busy(false);
        state.report = report;
        state.query = q;
        var address = new URLSearchParams(q);
        address.set("kind", report.kind);
        window.history.replaceState(null, "", "?" + address.toString());
        draw(report);
        busy(false, strings.ready + " " + format(strings.rows, { count: report.tables[0].rows.length }));
      })
      .catch(function (error) {
        busy(false, "");
        if (seq === state.seq) showError(error instanceof TypeError ? strings.network : error.message, error.field);
      })
      .finally(function () {
        el("report-run").disabled = false;
      });
  }

  function draw(report) {
    el("report-title").textContent = report.title;
    el("report-facts").textContent = report.parameter_text
      .map(function (pair) {
        return pair[0] + ": " + pair[1];
      })
      .join(" · ");
    fillMetrics(report);
    drawMap(report);
    drawCharts(report);
    drawTables(report);
    var notes = el("report-notes");
    notes.textContent = "";
    report.notes.forEach(function (note) {
      var li = document.createElement("li");
      li.textContent = note;
      notes.appendChild(li);
    });
  }

  function fillMetrics(report) {
    var select = form.elements.metric;
    select.textContent = "";
    report.tables[0].columns.forEach(function (column) {
      if (!column.mappable) return;
      var option = document.createElement("option");
      option.value = column.key;
      option.textContent = column.label;
      select.appendChild(option);
    });
    select.value = report.metric;
  }

  /* --- the choropleth ------------------------------------------------------------------ */

  function controller() {
    return window.SCMap && window.SCMap.current;
  }

  // A class's range as the legend shows it: integers as "1–4" (or "5"), other figures
  // as "0.5 – 1" (a value equal to the upper edge belongs to the next class).
  function classLabel(classes, i, kind) {
    var low = classes.breaks[i];
    var high = classes.breaks[i + 1];
    if (kind === "integer") {
      var last = i === classes.counts.length - 1;
      var top = last ? high : high - 1;
      return top <= low ? show(low, kind) : show(low, kind) + "–" + show(top, kind);
    }
    return show(low, kind) + " – " + show(high, kind);
  }

  function colourOf(value, classes) {
    if (value === null || value === undefined || !classes) return NO_DATA;
    for (var i = classes.counts.length - 1; i > 0; i--) if (value >= classes.breaks[i]) return classes.colours[i];
    return classes.colours[0];
  }

  function drawMap(report) {
    var ctl = controller();
    if (!ctl) return;
    var map = ctl.map;
    var metric = form.elements.metric.value || report.metric;
    var column = report.tables[0].columns.filter(function (c) {
      return c.key === metric;
    })[0];
    var classes = (report.classes || {})[metric] || null;
    if (state.layer) map.removeLayer(state.layer);
    if (state.labels) map.removeLayer(state.labels);
    state.layer = L.geoJSON(report.map, {
      coordsToLatLng: function (c) {
        return ctl.toDisplay(L.latLng(c[1], c[0]));
      },
      style: function (feature) {
        var chosen = feature.id === state.selected;
        return {
          className: "choropleth-area",
          color: chosen ? "#1b1f24" : "#57606a",
          weight: chosen ? 4 : 1.2,
          fillColor: colourOf(feature.properties[metric], classes),
          fillOpacity: 0.75,
        };
      },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(SCHtml.content(feature.properties.name + ": " + show(feature.properties[metric], column.kind)), { sticky: true });
        layer.on("click", function () {
          select(feature.id, false);
        });
      },
    }).addTo(map);
    state.labels = areaLabels(report, ctl).addTo(map);
    if (state.layer.getBounds().isValid()) {
      // Fractional zooms, so that the chosen area fills the map rather than a whole-zoom
      // step that may leave it at half the size.
      map.options.zoomSnap = 0.1;
      map.invalidateSize();
      map.fitBounds(state.layer.getBounds(), { padding: [16, 16], animate: false });
    }
    drawLegend(map, column, classes);
    placeLabels();
  }

  /* The areas' names, at each area's label point (inside it, far from its edges). */
  function areaLabels(report, ctl) {
    var group = L.layerGroup();
    report.map.features.forEach(function (feature) {
      if (!feature.label) return;
      var name = feature.properties.name;
      var marker = L.marker(ctl.toDisplay(L.latLng(feature.label[1], feature.label[0])), {
        icon: L.divIcon({ className: "area-label", html: SCHtml.html`<span>${name}</span>`, iconSize: [0, 0] }),
        interactive: false,
        keyboard: false,
      });
      marker.areaCode = feature.id;
      group.addLayer(marker);
    });
    return group;
  }

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  /* Shows the names that fit: inside their area's box on screen and clear of the names
     already shown (larger areas first); the others are hidden until a zoom makes room. */
  function placeLabels() {
    if (!state.labels || !state.layer) return;
    var map = state.labels._map;
    if (!map) return;
    var boxes = {};
    state.layer.eachLayer(function (layer) {
      var bounds = layer.getBounds();
      var a = map.latLngToContainerPoint(bounds.getNorthWest());
      var b = map.latLngToContainerPoint(bounds.getSouthEast());
      boxes[layer.feature.id] = { width: Math.abs(b.x - a.x), height: Math.abs(b.y - a.y) };
    });
    var markers = state.labels.getLayers().sort(function (m, n) {
      var p = boxes[m.areaCode] || { width: 0, height: 0 };
      var q = boxes[n.areaCode] || { width: 0, height: 0 };
      return q.width * q.height - p.width * p.height;
    });
    var taken = [];
    markers.forEach(function (marker) {
      var element = marker.getElement();
      if (!element) return;
      element.classList.remove("area-label-hidden");
      var rect = element.firstChild.getBoundingClientRect();
      var box = boxes[marker.areaCode] || { width: 0, height: 0 };
      var room = rect.width <= box.width * 1.1 && rect.height <= box.height;
      var clear = taken.every(function (other) {
        return !overlaps(rect, other);
      });
      if (room && clear) taken.push(rect);
      else element.classList.add("area-label-hidden");
    });
  }

  function drawLegend(map, column, classes) {
    if (state.legend) map.removeControl(state.legend);
    state.legend = L.control({ position: "bottomright" });
    state.legend.onAdd = function () {
      var box = L.DomUtil.create("div", "choropleth-legend");
      var title = document.createElement("strong");
      title.textContent = column.label;
      box.appendChild(title);
      if (classes) {
        var method = document.createElement("small");
        method.className = "legend-method";
        method.textContent = strings.methods[classes.method] || classes.method;
        box.appendChild(method);
      }
      var list = document.createElement("ul");
      var add = function (colour, text, count) {
        var li = document.createElement("li");
        var swatch = document.createElement("i");
        swatch.style.background = colour;
        li.appendChild(swatch);
        var label = document.createElement("span");
        label.className = "legend-range";
        label.textContent = text;
        li.appendChild(label);
        var number = document.createElement("span");
        number.className = "legend-count";
        number.textContent = format(strings.areaCount, { count: count });
        li.appendChild(number);
        list.appendChild(li);
      };
      if (classes) {
        classes.colours.forEach(function (colour, i) {
          add(colour, classLabel(classes, i, column.kind), classes.counts[i]);
        });
        if (classes.no_data) add(NO_DATA, strings.noData, classes.no_data);
      } else {
        add(NO_DATA, strings.noData, state.report ? state.report.map.features.length : 0);
      }
      box.appendChild(list);
      return box;
    };
    state.legend.addTo(map);
  }

  function select(code, fromTable) {
    state.selected = code;
    if (state.layer) {
      state.layer.resetStyle();
      state.layer.eachLayer(function (layer) {
        if (layer.feature.id === code) {
          layer.bringToFront();
          if (fromTable) layer.openTooltip(layer.getBounds().getCenter());
        }
      });
    }
    document.querySelectorAll("#report-tables tr[data-code]").forEach(function (row) {
      row.classList.toggle("selected", row.getAttribute("data-code") === code);
      row.setAttribute("aria-selected", row.getAttribute("data-code") === code ? "true" : "false");
    });
  }

  /* --- charts -------------------------------------------------------------------------- */

  function drawCharts(report) {
    state.charts.forEach(function (chart) {
      chart.destroy();
    });
    state.charts = [];
    var box = el("report-charts");
    box.textContent = "";
    if (!window.Chart) return;
    report.charts.forEach(function (spec, index) {
      var horizontal = spec.categories.length > 10;
      var figure = document.createElement("figure");
      figure.className = "report-chart";
      var caption = document.createElement("figcaption");
      caption.id = "chart-caption-" + index;
      caption.textContent = spec.title;
      figure.appendChild(caption);
      var holder = document.createElement("div");
      holder.className = "canvas-box";
      holder.style.height = (horizontal ? Math.max(240, spec.categories.length * 20 + 80) : 280) + "px";
      var canvas = document.createElement("canvas");
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-labelledby", caption.id);
      holder.appendChild(canvas);
      figure.appendChild(holder);
      box.appendChild(figure);
      var valueAxis = {
        stacked: spec.stacked,
        beginAtZero: true,
        title: { display: !!spec.y_label, text: spec.y_label },
        ticks: {
          callback: function (value) {
            return show(value, spec.share ? "share" : "number");
          },
        },
      };
      var categoryAxis = { stacked: spec.stacked, ticks: { autoSkip: false } };
      state.charts.push(
        new window.Chart(canvas, {
          type: "bar",
          data: {
            labels: spec.categories,
            datasets: spec.series.map(function (series, i) {
              return { label: series.label, data: series.values, backgroundColor: SERIES_COLOURS[i % SERIES_COLOURS.length] };
            }),
          },
          options: {
            indexAxis: horizontal ? "y" : "x",
            animation: false,
            maintainAspectRatio: false,
            responsive: true,
            scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
            plugins: {
              legend: { display: spec.series.length > 1 },
              tooltip: {
                callbacks: {
                  label: function (item) {
                    return item.dataset.label + ": " + show(item.raw, spec.share ? "share" : "number");
                  },
                },
              },
            },
          },
        })
      );
    });
  }

  /* --- tables -------------------------------------------------------------------------- */

  function drawTables(report) {
    var box = el("report-tables");
    box.textContent = "";
    report.tables.forEach(function (table, index) {
      var section = document.createElement("section");
      var heading = document.createElement("h3");
      heading.id = "table-" + table.key;
      var title = document.createElement("span");
      title.textContent = table.title;
      heading.appendChild(title);
      var csv = document.createElement("button");
      csv.type = "button";
      csv.className = "csv";
      csv.textContent = "CSV";
      csv.setAttribute("aria-label", table.title + " · CSV");
      csv.addEventListener("click", function () {
        download("csv", table.key, csv);
      });
      heading.appendChild(csv);
      section.appendChild(heading);
      var wrap = document.createElement("div");
      wrap.className = "table-wrap";
      var grid = document.createElement("table");
      grid.className = "grid";
      grid.setAttribute("aria-labelledby", heading.id);
      var columns = table.columns.filter(function (c) {
        return !c.detail;
      });
      var head = grid.createTHead().insertRow();
      columns.forEach(function (column) {
        var th = document.createElement("th");
        th.scope = "col";
        th.textContent = column.label;
        if (column.kind !== "text") th.className = "num";
        head.appendChild(th);
      });
      var body = grid.createTBody();
      table.rows.forEach(function (row) {
        var tr = body.insertRow();
        columns.forEach(function (column) {
          var td = tr.insertCell();
          td.textContent = show(row[column.key], column.kind);
          if (column.kind !== "text") td.className = "num";
        });
        if (index === 0) {
          tr.setAttribute("data-code", row.code);
          tr.tabIndex = 0;
          tr.addEventListener("click", function () {
            select(row.code, true);
          });
          tr.addEventListener("keydown", function (event) {
            if (event.key === "Enter" || event.key === " ") {
              event.preventDefault();
              select(row.code, true);
            } else if (event.key === "ArrowDown" && tr.nextElementSibling) {
              event.preventDefault();
              tr.nextElementSibling.focus();
            } else if (event.key === "ArrowUp" && tr.previousElementSibling) {
              event.preventDefault();
              tr.previousElementSibling.focus();
            }
          });
        }
      });
      wrap.appendChild(grid);
      section.appendChild(wrap);
      box.appendChild(section);
    });
  }

  /* --- exports ------------------------------------------------------------------------- */

  function filenameOf(response, fallback) {
    var header = response.headers.get("Content-Disposition") || "";
    var match = /filename="([^"]+)"/.exec(header);
    return match ? match[1] : fallback;
  }

  function save(response, fallback) {
    return response.blob().then(function (blob) {
      var name = filenameOf(response, fallback);
      var url = URL.createObjectURL(blob);
      var link = document.createElement("a");
      link.href = url;
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () {
        URL.revokeObjectURL(url);
      }, 60000);
      return name;
    });
  }

  function showPercent(percent) {
    var bar = el("report-progress");
    if (percent == null) {
      bar.removeAttribute("value");
    } else {
      bar.max = 100;
      bar.value = percent;
    }
  }

  function csrfToken() {
    var input = document.querySelector(".report-exports input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // The server makes the file in the background (PDF, or a report of many areas): queue
  // the job, show its progress, then fetch its file.
  function viaJob(url, label) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    })
      .then(function (response) {
        return response.ok ? response.json() : failure(response);
      })
      .then(function poll(job) {
        if (job.status === "failed") {
          var error = new Error(job.error || strings.failed);
          throw error;
        }
        showPercent(job.percent);
        el("report-message").textContent = format(strings.exportProgress, { format: label, percent: job.percent + "%" });
        if (job.status === "done") {
          return fetch(job.download, { credentials: "same-origin" });
        }
        return new Promise(function (resolve) {
          setTimeout(resolve, 700);
        })
          .then(function () {
            return fetch(job.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
          })
          .then(function (response) {
            return response.ok ? response.json() : failure(response);
          })
          .then(poll);
      });
  }

  function download(fmt, table, button) {
    if (!state.report) return;
    clearError();
    var q = new URLSearchParams(state.query);
    if (table) q.set("table", table);
    var label = fmt === "gpkg" ? "GeoPackage" : fmt.toUpperCase();
    var url = config.api.replace("KIND/", state.report.kind + "." + fmt) + "?" + q.toString();
    var rows = state.report.tables.length ? state.report.tables[0].rows.length : 0;
    var background = fmt === "pdf" || rows > config.syncMaxAreas;
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
    busy(true, format(strings.exporting, { format: label }));
    var answered = background ? viaJob(url, label) : fetch(url, { credentials: "same-origin" });
    return answered
      .then(function (response) {
        if (!response.ok) return failure(response);
        return save(response, state.report.kind + "." + fmt).then(function (name) {
          busy(false, format(strings.exported, { file: name }));
        });
      })
      .catch(function (error) {
        busy(false, "");
        showError(error instanceof TypeError ? strings.network : error.message, error.field);
      })
      .finally(function () {
        showPercent(null);
        button.removeAttribute("aria-busy");
        button.disabled = false;
      });
  }

  /* --- wiring -------------------------------------------------------------------------- */

  function start() {
    config = JSON.parse(document.getElementById("report-config").textContent);
    strings = config.strings;
    form = document.getElementById("report-form");
    var metric = fromLocation();
    showKindFields();
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      load();
    });
    form.elements.kind.addEventListener("change", function () {
      showKindFields();
      load();
    });
    form.elements.area.addEventListener("change", function () {
      syncLevels(null);
      load();
    });
    form.elements.level.addEventListener("change", function () {
      load();
    });
    form.elements.classify.addEventListener("change", function () {
      load();
    });
    form.elements.classes.addEventListener("change", showChosenClasses);
    el("report-classes-clear").addEventListener("click", function () {
      Array.prototype.forEach.call(form.elements.classes.options, function (option) {
        option.selected = false;
      });
      showChosenClasses();
      form.elements.classes.focus();
    });
    form.elements.metric.addEventListener("change", function () {
      if (state.report) drawMap(state.report);
      if (state.query) state.query.set("metric", form.elements.metric.value);
    });
    document.querySelectorAll(".export-buttons .export").forEach(function (button) {
      button.addEventListener("click", function () {
        download(button.getAttribute("data-format"), null, button);
      });
    });
    var ctl = controller();
    if (ctl && ctl.map) {
      ctl.map.on("sc:crschange", function () {
        if (state.report) drawMap(state.report);
      });
      ctl.map.on("zoomend", placeLabels);
    }
    load({ metric: metric });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
