/*
 * The field surveyors' editor on the common map (map.js), core: start-up, the panel's
 * views, the components of the user's classes in view (from the API, or from the device
 * when offline) and one component's details. The rest adds methods to the same Editor:
 *   drawing.js  - adding points, lines and polygons (leaflet-draw)
 *   editform.js - the form generated from the class's schema (form.js), moving, saving
 *   gnss.js     - GNSS capture against the class's threshold (geolocation, NMEA: nmea.js)
 *   history.js  - history and retiring
 *   sync.js     - the offline queue (queue.js, store.js), sync, the "theirs vs yours" choice
 * Every edit is stored on the device first and sent when there is a connection.
 *
 * All coordinates kept here are WGS 84 / CGCS2000 lon/lat; what Leaflet draws goes through
 * ctl.toDisplay / ctl.fromDisplay (the Amap basemap draws in GCJ-02).
 */
(function () {
  "use strict";

  var MIN_EDIT_ZOOM = 15;
  var LIST_LIMIT = 60;
  var PAGE_LIMIT = 500;
  var MAX_PAGES = 4;
  var SYNC_RETRY_MS = 30000;
  // One colour per class the user surveys (in the order of their class list), dark enough
  // for white text and rings; a condition other than good adds a badge with a glyph.
  var PALETTE = ["#0b5cad", "#b35900", "#116329", "#8250df", "#1b7c83", "#953800", "#6e5700", "#bf3989", "#0550ae", "#4d2d00", "#57606a", "#0a3069"];
  var STATUS_MARKS = { good: "", damaged: "!", missing: "?", occupied: "■" };
  var fmt = SCForm.fmt;
  var el = SCForm.el;

  function $(id) {
    return document.getElementById(id);
  }

  function clone(value) {
    return value == null ? value : JSON.parse(JSON.stringify(value));
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  /* Apply fn([lon, lat]) -> [lon, lat] to every position of a GeoJSON geometry. */
  function mapCoords(geometry, fn) {
    function walk(c) {
      return typeof c[0] === "number" ? fn(c) : c.map(walk);
    }
    return { type: geometry.type, coordinates: walk(geometry.coordinates) };
  }

  function positions(geometry) {
    var out = [];
    (function walk(c) {
      if (typeof c[0] === "number") out.push(c);
      else c.forEach(walk);
    })(geometry.coordinates);
    return out;
  }

  function bboxOf(geometry) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    positions(geometry).forEach(function (p) {
      b[0] = Math.min(b[0], p[0]);
      b[1] = Math.min(b[1], p[1]);
      b[2] = Math.max(b[2], p[0]);
      b[3] = Math.max(b[3], p[1]);
    });
    return b;
  }

  function round(value, digits) {
    var f = Math.pow(10, digits);
    return Math.round(value * f) / f;
  }

  /* Metres between two lon/lat points (haversine; enough to compare GNSS fixes). */
  function metres(a, b) {
    var r = 6371008.8;
    var toRad = Math.PI / 180;
    var dLat = (b[1] - a[1]) * toRad;
    var dLon = (b[0] - a[0]) * toRad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) + Math.cos(a[1] * toRad) * Math.cos(b[1] * toRad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * r * Math.asin(Math.sqrt(h));
  }

  function Editor(ctl) {
    var self = this;
    this.ctl = ctl;
    this.map = ctl.map;
    this.cfg = ctl.config.extra;
    this.t = this.cfg.strings;
    this.language = ctl.config.language || "zh-hans";
    this.english = this.language.indexOf("en") === 0;
    this.locale = this.english ? "en" : "zh-CN";
    this.classes = {};
    this.cfg.classes.forEach(function (c) {
      self.classes[c.code] = c;
    });
    this.choices = {};
    Object.keys(this.cfg.choices).forEach(function (k) {
      self.choices[k] = {};
      self.cfg.choices[k].forEach(function (c) {
        self.choices[k][c.value] = c.label;
      });
    });
    this.server = {}; // id -> last known server feature
    this.shown = {}; // id -> feature as the user left it (server + queue)
    this.group = L.featureGroup().addTo(this.map);
    this.editGroup = L.featureGroup().addTo(this.map);
    this.selected = null;
    this.view = "home";
    this.editing = null;
    this.drawing = null;
    this.gps = { watch: null, fix: null, nmea: null, error: null };
    this.photo = null;
    this.conflicts = [];
    this.loadToken = 0;
    this.busyCount = 0;
  }

  // --- start ----------------------------------------------------------------------------

  Editor.prototype.start = function () {
    var self = this;
    if (this.cfg.maxZoom) this.map.setMaxZoom(this.cfg.maxZoom);
    this.map.invalidateSize();
    var placed = this._openView();
    this._addLegend();
    this._wire();
    this._drawStrings();
    return SCStore.open(this.cfg.user)
      .then(function (store) {
        self.store = store;
        self.outbox = new SCOutbox(store, { language: self.language });
        self.outbox.on(function (event, item, extra) {
          self._queueEvent(event, item, extra);
        });
        return Promise.all([self.outbox.load(), store.all("features"), placed]);
      })
      .then(function (results) {
        results[1].forEach(function (f) {
          self.server[f.id] = f;
        });
        self.render();
        self._network(navigator.onLine);
        self.loadView();
        self._registerServiceWorker();
        document.body.setAttribute("data-survey", "ready");
        $("sv-panel").setAttribute("aria-busy", "false");
        return self.sync();
      })
      .catch(function (err) {
        self.say(self.t.storageFailed, true);
        if (window.console) console.error(err);
      });
  };

  /* Where the map opens: at the surveyor's GPS position when the browser already allows
     geolocation (no prompt on opening), else where they last worked on this device (the
     last view at an editing zoom), else on the components they may edit (cfg.work: all
     of them, else the community holding most, else one of those, at a zoom where
     components load), else their area as a whole. Resolves when the view is set (a late GPS fix still moves the map, unless the
     user has moved it meanwhile). body[data-opened-at] says which. */
  Editor.prototype._openView = function () {
    var self = this;
    var key = "sc-survey-view-" + this.cfg.user;
    var saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(key) || "null");
    } catch (err) {
      saved = null; // a bad saved view is simply ignored
    }
    var openedAt = "default";
    // A view counts as where they worked only at a zoom where components load (a view of
    // the whole district saved on an earlier opening would hide their components again).
    if (saved && isFinite(saved.lat) && isFinite(saved.lng) && isFinite(saved.zoom) && saved.zoom >= MIN_EDIT_ZOOM) {
      this.map.setView(this.ctl.toDisplay([saved.lat, saved.lng]), saved.zoom, { animate: false });
      openedAt = "saved";
    } else if (this.cfg.work) {
      this._frameWork(this.cfg.work);
      openedAt = "components";
    } else if (this.cfg.areaBounds) {
      this._frame(this.cfg.areaBounds, 18);
      openedAt = "area";
    }
    document.body.setAttribute("data-opened-at", openedAt);
    this.map.on("moveend", function () {
      if (self.map.getZoom() < MIN_EDIT_ZOOM) return;
      var c = self.ctl.fromDisplay(self.map.getCenter());
      try {
        localStorage.setItem(key, JSON.stringify({ lat: c.lat, lng: c.lng, zoom: self.map.getZoom() }));
      } catch (err) {
        /* private mode: the view is not remembered */
      }
    });
    var opened = this.map.getCenter();
    return this._gpsAllowed().then(function (allowed) {
      if (!allowed) return;
      return new Promise(function (resolve) {
        var done = false;
        function finish() {
          if (!done) {
            done = true;
            resolve();
          }
        }
        setTimeout(finish, 3000); // the page does not wait longer for a first fix
        navigator.geolocation.getCurrentPosition(
          function (pos) {
            if (self.map.getCenter().equals(opened)) {
              var at = self.ctl.toDisplay([pos.coords.latitude, pos.coords.longitude]);
              self.map.setView(at, Math.min(18, self.map.getMaxZoom()), { animate: false });
              document.body.setAttribute("data-opened-at", "gps");
            }
            finish();
          },
          finish,
          { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
        );
      });
    });
  };

  /* Fit [west, south, east, north] into the part of the map the panel leaves visible
     (above the bottom sheet on a phone, beside the side panel on a wide screen); true when
     the result is close enough for components to load. */
  Editor.prototype._frame = function (b, maxZoom) {
    var box = this.map.getContainer().getBoundingClientRect();
    var panel = $("sv-panel").getBoundingClientRect();
    var side = panel.width < box.width * 0.9;
    var left = side ? Math.max(0, panel.right - box.left) : 0;
    var below = side ? 0 : Math.max(0, box.bottom - panel.top);
    this.map.fitBounds(L.latLngBounds(this.ctl.toDisplay([b[1], b[0]]), this.ctl.toDisplay([b[3], b[2]])), {
      paddingTopLeft: [left + 24, 24],
      paddingBottomRight: [24, below + 24],
      maxZoom: maxZoom,
      animate: false,
    });
    return this.map.getZoom() >= MIN_EDIT_ZOOM;
  };

  Editor.prototype._frameWork = function (work) {
    var max = Math.min(18, this.map.getMaxZoom());
    if (this._frame(work.bounds, max) || this._frame(work.focus, max)) return;
    var p = work.point;
    this._frame([p[0], p[1], p[0], p[1]], MIN_EDIT_ZOOM);
  };

  Editor.prototype._gpsAllowed = function () {
    if (!navigator.geolocation || !navigator.permissions || !navigator.permissions.query) return Promise.resolve(false);
    return navigator.permissions.query({ name: "geolocation" }).then(
      function (status) {
        return status.state === "granted";
      },
      function () {
        return false;
      }
    );
  };

  Editor.prototype._registerServiceWorker = function () {
    if (!("serviceWorker" in navigator) || !this.cfg.serviceWorker) return;
    navigator.serviceWorker
      .register(this.cfg.serviceWorker, { scope: this.cfg.scope })
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(function () {
        document.body.setAttribute("data-offline-ready", "true");
      })
      .catch(function (err) {
        if (window.console) console.warn("service worker", err);
      });
  };

  Editor.prototype._drawStrings = function () {
    var t = this.t;
    if (!L.drawLocal) return;
    var h = L.drawLocal.draw.handlers;
    h.polyline.tooltip = { start: t.drawStart, cont: t.drawCont, end: t.drawEnd };
    h.polyline.error = t.drawError;
    h.polygon.tooltip = { start: t.drawStart, cont: t.drawCont, end: t.polygonEnd };
    L.drawLocal.edit.handlers.edit.tooltip = { text: t.editText, subtext: "" };
  };

  Editor.prototype._wire = function () {
    var self = this;
    var map = this.map;
    map.on("moveend", function () {
      clearTimeout(self._moveTimer);
      self._moveTimer = setTimeout(function () {
        self.loadView();
      }, 250);
    });
    map.on("sc:click", function (e) {
      if (self.drawing && self.drawing.kind === "point") self._placePoint(e.latlng, null);
    });
    map.on("sc:crschange", function () {
      self.render();
      if (self.editing) self._showEditLayer();
    });
    map.on("draw:created", function (e) {
      self._shapeDrawn(e.layer);
    });
    window.addEventListener("online", function () {
      self._network(true);
      self.sync();
      self.loadView();
    });
    window.addEventListener("offline", function () {
      self._network(false);
    });
    // The "online" event is not enough (a network without a route to the server, a server
    // that answered 5xx): try again now and then, and when the page comes back to view.
    setInterval(function () {
      if (self.outbox && self.outbox.counts().pending) self.sync();
    }, SYNC_RETRY_MS);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && self.outbox && self.outbox.counts().pending) self.sync();
    });
    $("sv-add").addEventListener("click", function () {
      self.startDraw($("sv-class").value);
    });
    $("sv-class").addEventListener("change", function () {
      self._addHint();
    });
    this._addHint();
    $("sv-draw-centre").addEventListener("click", function () {
      self._drawAtCentre();
    });
    $("sv-draw-gps").addEventListener("click", function () {
      self._drawFromGps();
    });
    $("sv-draw-undo").addEventListener("click", function () {
      var d = self.drawing;
      if (!d || !d.handler) return;
      var count = d.handler._markers.length;
      d.handler.deleteLastVertex();
      if (d.handler._markers.length < count) d.gnss.pop();
    });
    $("sv-draw-finish").addEventListener("click", function () {
      if (self.drawing && self.drawing.handler) self.drawing.handler.completeShape();
    });
    $("sv-draw-cancel").addEventListener("click", function () {
      self.stopDraw();
      self.show("home");
    });
    $("sv-edit").addEventListener("click", function () {
      self.openEdit(self.selected);
    });
    $("sv-history-open").addEventListener("click", function () {
      self.openHistory(self.selected);
    });
    $("sv-retire-open").addEventListener("click", function () {
      self.openRetire(self.selected);
    });
    $("sv-detail-back").addEventListener("click", function () {
      self.select(null);
    });
    $("sv-history-back").addEventListener("click", function () {
      self.select(self.selected);
    });
    $("sv-queue-open").addEventListener("click", function () {
      if (self.view === "queue") self.show(self.selected ? "detail" : "home");
      else self.openQueue();
    });
    $("sv-queue-back").addEventListener("click", function () {
      self.show("home");
    });
    $("sv-sync").addEventListener("click", function () {
      self.sync(true);
    });
    $("sv-form").addEventListener("submit", function (e) {
      e.preventDefault();
      self.save();
    });
    $("sv-form-cancel").addEventListener("click", function () {
      self.closeForm();
    });
    $("sv-geom-centre").addEventListener("click", function () {
      self._moveToCentre();
    });
    $("sv-gps-toggle").addEventListener("click", function () {
      if (self.gps.watch === null) self.startGps();
      else self.stopGps();
    });
    $("sv-gps-use").addEventListener("click", function () {
      self._useGps();
    });
    $("sv-nmea").addEventListener("input", function () {
      self.gps.nmea = SCNmea.parse($("sv-nmea").value);
      self._gpsReadout();
    });
    $("sv-photo").addEventListener("change", function () {
      var file = $("sv-photo").files[0] || null;
      self.photo = file;
      var preview = $("sv-photo-preview");
      if (preview.src) URL.revokeObjectURL(preview.src);
      if (file) {
        preview.src = URL.createObjectURL(file);
        preview.hidden = false;
      } else {
        preview.removeAttribute("src");
        preview.hidden = true;
      }
    });
    $("sv-keep-theirs").addEventListener("click", function () {
      self._resolve("theirs");
    });
    $("sv-keep-mine").addEventListener("click", function () {
      self._resolve("mine");
    });
    $("sv-conflict-later").addEventListener("click", function () {
      self._resolve("later");
    });
    $("sv-conflict").addEventListener("cancel", function (e) {
      e.preventDefault();
      self._resolve("later");
    });
    $("sv-retire-form").addEventListener("submit", function (e) {
      e.preventDefault();
      self.retire();
    });
    $("sv-retire-cancel").addEventListener("click", function () {
      $("sv-retire").close();
    });
  };

  // --- status line, busy state, network ---------------------------------------------------

  Editor.prototype.say = function (message, isError) {
    var node = $("sv-status");
    node.textContent = message || "";
    node.classList.toggle("error", !!isError);
  };

  Editor.prototype.busy = function (on) {
    this.busyCount = Math.max(0, this.busyCount + (on ? 1 : -1));
    $("sv-busy").hidden = this.busyCount === 0;
    $("sv-panel").setAttribute("aria-busy", this.busyCount ? "true" : "false");
  };

  Editor.prototype._network = function (online) {
    this.online = online;
    var node = $("sv-net");
    node.textContent = online ? this.t.online : this.t.offline;
    node.setAttribute("data-online", online ? "true" : "false");
  };

  Editor.prototype._counts = function () {
    var counts = this.outbox.counts();
    $("sv-pending").textContent = String(counts.total);
    var button = $("sv-queue-open");
    button.classList.toggle("has-items", counts.total > 0);
    button.classList.toggle("has-problems", counts.conflict + counts.error > 0);
    button.title = fmt(this.t.pendingLabel, { count: counts.total, problems: counts.conflict + counts.error });
    document.body.setAttribute("data-pending", String(counts.total));
  };

  // --- views of the panel -------------------------------------------------------------------

  Editor.prototype.show = function (view) {
    var ids = { home: "sv-home", draw: "sv-draw", detail: "sv-detail", form: "sv-form", history: "sv-history", queue: "sv-queue" };
    Object.keys(ids).forEach(function (k) {
      $(ids[k]).hidden = k !== view;
    });
    this.view = view;
    $("sv-queue-open").setAttribute("aria-expanded", view === "queue" ? "true" : "false");
    $("sv-crosshair").hidden = !(view === "draw" || view === "form");
    $("sv-panel").scrollTop = 0;
    if (view === "home") this._list();
  };

  Editor.prototype._addHint = function () {
    var klass = this.classes[$("sv-class").value];
    var hint = $("sv-add-hint");
    if (!klass) {
      hint.textContent = this.t.noClasses;
      $("sv-add").disabled = true;
      return;
    }
    hint.textContent = fmt(this.t.addHint, { geometry: this.t["geometry_" + klass.geometry], threshold: klass.threshold_m });
  };

  // --- loading and drawing the components ---------------------------------------------------

  Editor.prototype._viewBbox = function () {
    var b = this.map.getBounds();
    var sw = this.ctl.fromDisplay(b.getSouthWest());
    var ne = this.ctl.fromDisplay(b.getNorthEast());
    return [round(sw.lng, 6), round(sw.lat, 6), round(ne.lng, 6), round(ne.lat, 6)];
  };

  Editor.prototype.loadView = function () {
    var self = this;
    if (!this.outbox) return Promise.resolve();
    if (this.map.getZoom() < MIN_EDIT_ZOOM) {
      $("sv-list-hint").textContent = this.cfg.work ? this.t.zoomIn : this.t.noneYet;
      this.render();
      document.body.setAttribute("data-loaded", String(++this.loadToken));
      return Promise.resolve();
    }
    var bbox = this._viewBbox();
    var url = "/api/v1/components/?limit=" + PAGE_LIMIT + "&bbox=" + bbox.join(",");
    if (this.cfg.classFilter) url += "&class=" + this.cfg.classFilter.join(",");
    var token = ++this.loadToken;
    var found = [];
    var complete = false;
    this.busy(true);
    var page = function (next, n) {
      return fetch(next, { credentials: "same-origin", headers: { Accept: "application/json", "Accept-Language": self.language } }).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json().then(function (data) {
          found = found.concat(data.features || []);
          if (data.next && n + 1 < MAX_PAGES) return page(data.next, n + 1);
          complete = !data.next;
        });
      });
    };
    return page(url, 0)
      .then(function () {
        if (token !== self.loadToken) return;
        var seen = {};
        found.forEach(function (f) {
          seen[f.id] = true;
          self.server[f.id] = f;
        });
        var gone = [];
        if (complete) {
          // Known components in this view that the server no longer lists (retired, moved
          // away, or no longer visible to the user) are forgotten.
          Object.keys(self.server).forEach(function (id) {
            var b = bboxOf(self.server[id].geometry);
            var inside = b[0] >= bbox[0] && b[2] <= bbox[2] && b[1] >= bbox[1] && b[3] <= bbox[3];
            var classOk = !self.cfg.classFilter || self.cfg.classFilter.indexOf(self.server[id].properties["class"]) >= 0;
            if (inside && classOk && !seen[id] && !self.outbox.itemsFor(id).length) gone.push(id);
          });
        }
        gone.forEach(function (id) {
          delete self.server[id];
        });
        $("sv-list-hint").textContent = complete ? "" : fmt(self.t.moreInView, { count: found.length });
        self.render();
        return Promise.all([self.store.putMany("features", found)].concat(gone.map(function (id) {
          return self.store.del("features", id);
        })));
      })
      .catch(function () {
        if (token !== self.loadToken) return;
        $("sv-list-hint").textContent = self.t.loadFailed;
        self.render();
      })
      .then(function () {
        self.busy(false);
        document.body.setAttribute("data-loaded", String(token));
      });
  };

  Editor.prototype._label = function (f) {
    var p = f.properties;
    var klass = this.classes[p["class"]];
    var kind = (klass && klass.name) || p.class_name || p["class"];
    return p.name ? p.name + " · " + kind : kind;
  };

  Editor.prototype._layerFor = function (f) {
    var self = this;
    var state = f.local || "saved";
    var selected = f.id === this.selected;
    var geometry = mapCoords(f.geometry, function (c) {
      var d = self.ctl.toDisplay([c[1], c[0]]);
      return [d.lng, d.lat];
    });
    var layer;
    var color = this._classColor(f.properties["class"]);
    var status = f.properties.status || "good";
    if (geometry.type === "Point") {
      // The pin: filled with its class's colour, a badge for a condition other than good
      // (a glyph, not colour alone), its ring for edits not yet synced or refused.
      var title = this._label(f) + " · " + (this.choices.status[status] || status);
      layer = L.marker([geometry.coordinates[1], geometry.coordinates[0]], {
        icon: L.divIcon({ className: "sv-pin sv-pin-" + state + " sv-cond-" + status + (selected ? " sv-pin-selected" : ""), html: "<span></span>", iconSize: [26, 26], iconAnchor: [13, 13] }),
        keyboard: true,
        title: title,
        alt: title,
        riseOnHover: true,
      });
      layer.on("add", function () {
        var pin = layer.getElement() && layer.getElement().firstChild;
        if (!pin) return;
        pin.setAttribute("data-id", f.id);
        pin.setAttribute("data-class", f.properties["class"]);
        pin.setAttribute("data-status", status);
        pin.style.backgroundColor = color;
        if (STATUS_MARKS[status]) pin.appendChild(el("span", { class: "sv-badge sv-badge-" + status, "aria-hidden": "true" }, STATUS_MARKS[status]));
      });
    } else {
      var problem = state === "conflict" || state === "error";
      var style = { color: problem ? "#a40e26" : color, weight: selected ? 6 : 4, opacity: 0.9, fillColor: color, fillOpacity: status === "good" ? 0.2 : 0.45 };
      if (state !== "saved") style.dashArray = "6 4";
      layer = L.geoJSON(geometry, { style: function () {
        return style;
      } });
    }
    layer.on("click", function (e) {
      if (e.originalEvent) L.DomEvent.stopPropagation(e.originalEvent);
      if (self.drawing || self.editing) return;
      self.select(f.id);
    });
    return layer;
  };

  Editor.prototype._classColor = function (code) {
    var index = -1;
    this.cfg.classes.some(function (c, i) {
      if (c.code === code) index = i;
      return index >= 0;
    });
    if (index < 0) {
      index = 0;
      String(code || "").split("").forEach(function (ch) {
        index = (index * 31 + ch.charCodeAt(0)) % 997;
      });
    }
    return PALETTE[index % PALETTE.length];
  };

  /* The legend over the map: the classes in view by colour, the conditions by badge and
     the rings of local edits. Folded on a phone, open from 768 px. */
  Editor.prototype._addLegend = function () {
    var self = this;
    var Legend = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var box = el("details", { class: "sv-legend", id: "sv-legend" });
        if (window.matchMedia && window.matchMedia("(min-width: 768px)").matches) box.open = true;
        box.appendChild(el("summary", {}, self.t.legend));
        box.appendChild(el("ul", { class: "sv-legend-classes", id: "sv-legend-classes", "aria-label": self.t.legendClass }));
        var conditions = el("ul", { class: "sv-legend-conditions", "aria-label": self.t.field_status });
        Object.keys(self.choices.status).forEach(function (status) {
          var li = el("li", { "data-status": status });
          var mark = el("span", { class: "sv-legend-pin sv-cond-" + status, "aria-hidden": "true" });
          if (STATUS_MARKS[status]) mark.appendChild(el("span", { class: "sv-badge sv-badge-" + status }, STATUS_MARKS[status]));
          li.appendChild(mark);
          li.appendChild(el("span", {}, self.choices.status[status]));
          conditions.appendChild(li);
        });
        [["changed", self.t.local_changed], ["conflict", self.t.local_conflict + " / " + self.t.local_error]].forEach(function (pair) {
          var li = el("li", { "data-local": pair[0] });
          li.appendChild(el("span", { class: "sv-legend-pin sv-legend-" + pair[0], "aria-hidden": "true" }));
          li.appendChild(el("span", {}, pair[1]));
          conditions.appendChild(li);
        });
        box.appendChild(conditions);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      },
    });
    this.legend = new Legend().addTo(this.map);
  };

  Editor.prototype._legendClasses = function () {
    var list = $("sv-legend-classes");
    if (!list) return;
    var self = this;
    var seen = {};
    Object.keys(this.shown).forEach(function (id) {
      seen[self.shown[id].properties["class"]] = true;
    });
    list.textContent = "";
    this.cfg.classes.forEach(function (c) {
      if (!seen[c.code]) return;
      var li = el("li", { "data-class": c.code });
      var swatch = el("span", { class: "sv-legend-pin", "aria-hidden": "true" });
      swatch.style.backgroundColor = self._classColor(c.code);
      li.appendChild(swatch);
      li.appendChild(el("span", {}, c.name));
      list.appendChild(li);
    });
    list.hidden = !list.childNodes.length;
  };

  Editor.prototype.render = function () {
    var self = this;
    if (!this.outbox) return;
    this.shown = SCOutbox.overlay(this.server, this.outbox.items);
    this.group.clearLayers();
    Object.keys(this.shown).forEach(function (id) {
      var f = self.shown[id];
      if (f.local === "retired" || f.properties.currency === "retired") return;
      if (self.editing && self.editing.ref === id) return;
      self.group.addLayer(self._layerFor(f));
    });
    this._counts();
    this._legendClasses();
    if (this.view === "home") this._list();
    if (this.view === "queue") this._queueList();
  };

  Editor.prototype._inView = function () {
    var self = this;
    var bbox = this._viewBbox();
    return Object.keys(this.shown)
      .map(function (id) {
        return self.shown[id];
      })
      .filter(function (f) {
        if (f.local === "retired" || f.properties.currency === "retired") return false;
        var b = bboxOf(f.geometry);
        return b[2] >= bbox[0] && b[0] <= bbox[2] && b[3] >= bbox[1] && b[1] <= bbox[3];
      })
      .sort(function (a, b) {
        return self._label(a).localeCompare(self._label(b), self.locale) || String(a.id).localeCompare(String(b.id));
      });
  };

  Editor.prototype._list = function () {
    var self = this;
    var list = $("sv-list");
    list.textContent = "";
    if (this.map.getZoom() < MIN_EDIT_ZOOM && !Object.keys(this.shown).length) return;
    var items = this._inView();
    if (!items.length) {
      list.appendChild(el("li", { class: "hint" }, this.t.noneInView));
      return;
    }
    items.slice(0, LIST_LIMIT).forEach(function (f) {
      var li = el("li");
      var button = el("button", { type: "button", class: "sv-item", "data-id": f.id });
      button.appendChild(el("span", { class: "sv-item-name" }, self._label(f)));
      var meta = [f.properties.identifier || self.t.notSynced, self.choices.status[f.properties.status] || ""];
      if (f.local && f.local !== "saved") meta.push(self.t["local_" + f.local] || f.local);
      button.appendChild(el("span", { class: "sv-item-meta" }, meta.filter(Boolean).join(" · ")));
      button.addEventListener("click", function () {
        self.select(f.id);
      });
      li.appendChild(button);
      list.appendChild(li);
    });
    if (items.length > LIST_LIMIT) list.appendChild(el("li", { class: "hint" }, fmt(this.t.moreInList, { count: items.length - LIST_LIMIT })));
  };

  // --- one component ----------------------------------------------------------------------

  Editor.prototype.select = function (id) {
    this.selected = id && this.shown[id] ? id : null;
    this.render();
    if (!this.selected) {
      this.show("home");
      return;
    }
    var f = this.shown[id];
    var p = f.properties;
    var t = this.t;
    var self = this;
    this.show("detail");
    $("sv-detail-title").textContent = this._label(f);
    var facts = $("sv-detail-facts");
    facts.textContent = "";
    var add = function (label, value) {
      if (value === null || value === undefined || value === "") return;
      facts.appendChild(el("dt", {}, label));
      facts.appendChild(el("dd", {}, String(value)));
    };
    add(t.identifier, p.identifier || t.notSynced);
    add(t.klass, p["class"] + " " + ((this.classes[p["class"]] || {}).name || p.class_name || ""));
    add(t.condition, this.choices.status[p.status]);
    add(t.address, p.address);
    var klass = this.classes[p["class"]];
    var props = (klass && klass.schema && klass.schema.properties) || {};
    Object.keys(p.attributes || {}).forEach(function (key) {
      add(self._attrLabel(key, props[key]), self._value(p.attributes[key], props[key]));
    });
    if (p.gnss) add(t.gnss, this._gnssText(p.gnss));
    add(t.dataSource, this.choices.data_source[p.data_source]);
    if (p.needs_review) add(t.review, p.review_reason);
    add(t.version, p.version || null);
    if (p.updated_at) add(t.updated, new Date(p.updated_at).toLocaleString(this.locale));
    var items = this.outbox.itemsFor(id);
    var local = $("sv-detail-local");
    local.textContent = items.length ? fmt(t.waitingEdits, { count: items.length }) : "";
    var temp = SCOutbox.isTemp(id);
    $("sv-history-open").disabled = temp;
    $("sv-retire-open").disabled = temp;
    $("sv-edit").disabled = f.local === "conflict";
    this._photos(id);
    $("sv-detail-title").focus();
    var layerBounds = L.geoJSON(mapCoords(f.geometry, function (c) {
      var d = self.ctl.toDisplay([c[1], c[0]]);
      return [d.lng, d.lat];
    })).getBounds();
    if (!this.map.getBounds().contains(layerBounds)) this.map.panTo(layerBounds.getCenter());
  };

  Editor.prototype._photos = function (id) {
    var box = $("sv-detail-photos");
    box.textContent = "";
    var self = this;
    if (SCOutbox.isTemp(id)) return;
    fetch("/api/v1/components/" + id + "/photos/", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.ok ? r.json() : [];
      })
      .then(function (list) {
        if (self.selected !== id) return;
        list.forEach(function (ph) {
          box.appendChild(el("img", { src: ph.url, alt: ph.caption || self.t.photoAlt, loading: "lazy", width: 120 }));
        });
      })
      .catch(function () {
        /* photos need a connection (or the offline cache) */
      });
  };

  Editor.prototype._attrLabel = function (key, spec) {
    if (spec && spec.title) return spec.title; // localized on the server
    return SCForm.humanize(key, this.english);
  };

  Editor.prototype._value = function (value, spec) {
    if (value === true) return this.t.yes;
    if (value === false) return this.t.no;
    if (Array.isArray(value)) return value.map(function (v) { return SCForm.choiceLabel(spec && spec.items, v); }).join(", ");
    return SCForm.choiceLabel(spec, value);
  };

  window.SCSurveyEditor = {
    Editor: Editor,
    util: { $: $, clone: clone, same: same, mapCoords: mapCoords, positions: positions, bboxOf: bboxOf, round: round, metres: metres },
  };

  function boot() {
    var ctl = window.SCMap && SCMap.current;
    if (!ctl) return;
    var start = function () {
      var editor = new Editor(ctl);
      window.SCSurvey = editor;
      editor.start();
    };
    // Start even when the map's layer lists could not be loaded (offline without cache).
    ctl.ready.then(start, start);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
