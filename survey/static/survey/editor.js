/*
 * The field surveyors' editor on the common map (map.js): components of the user's classes
 * in view, adding points, lines and polygons, moving points and vertices, forms generated
 * from the class's attribute schema (form.js), GNSS capture with the class's accuracy
 * threshold (browser geolocation, plus NMEA GGA/GST from an external receiver: nmea.js),
 * photos from the camera, retiring, the changeset comment, the component's history, and
 * the offline queue (queue.js, store.js): every edit is stored on the device first and
 * sent when there is a connection; a 409 opens the "theirs vs yours" choice.
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
    this.map.invalidateSize();
    this._restoreView();
    this._wire();
    this._drawStrings();
    return SCStore.open(this.cfg.user)
      .then(function (store) {
        self.store = store;
        self.outbox = new SCOutbox(store, { language: self.language });
        self.outbox.on(function (event, item, extra) {
          self._queueEvent(event, item, extra);
        });
        return Promise.all([self.outbox.load(), store.all("features")]);
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

  Editor.prototype._restoreView = function () {
    var key = "sc-survey-view-" + this.cfg.user;
    try {
      var saved = JSON.parse(localStorage.getItem(key) || "null");
      if (saved && isFinite(saved.lat) && isFinite(saved.lng)) {
        this.map.setView(this.ctl.toDisplay([saved.lat, saved.lng]), saved.zoom, { animate: false });
      }
    } catch (err) {
      /* a bad saved view is simply ignored */
    }
    var self = this;
    this.map.on("moveend", function () {
      var c = self.ctl.fromDisplay(self.map.getCenter());
      try {
        localStorage.setItem(key, JSON.stringify({ lat: c.lat, lng: c.lng, zoom: self.map.getZoom() }));
      } catch (err) {
        /* private mode: the view is not remembered */
      }
    });
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
    button.setAttribute("aria-label", fmt(this.t.pendingLabel, { count: counts.total, problems: counts.conflict + counts.error }));
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
      $("sv-list-hint").textContent = this.t.zoomIn;
      this.render();
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
    if (geometry.type === "Point") {
      layer = L.marker([geometry.coordinates[1], geometry.coordinates[0]], {
        icon: L.divIcon({ className: "sv-pin sv-pin-" + state + (selected ? " sv-pin-selected" : ""), html: "<span></span>", iconSize: [24, 24], iconAnchor: [12, 12] }),
        keyboard: true,
        title: this._label(f),
        alt: this._label(f),
        riseOnHover: true,
      });
    } else {
      var style = { color: state === "saved" ? "#0b5cad" : state === "conflict" || state === "error" ? "#a40e26" : "#b35900", weight: selected ? 6 : 4, opacity: 0.9, fillOpacity: 0.2 };
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
      add(self._attrLabel(key, props[key]), self._value(p.attributes[key]));
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
    if (!this.english && spec && spec.title) return spec.title;
    return SCForm.humanize(key, this.english);
  };

  Editor.prototype._value = function (value) {
    if (value === true) return this.t.yes;
    if (value === false) return this.t.no;
    if (Array.isArray(value)) return value.join(", ");
    return value;
  };

  Editor.prototype._gnssText = function (g) {
    var parts = [];
    if (g.fix) parts.push(this.choices.gnss_fix[g.fix] || g.fix);
    if (g.accuracy_m !== null && g.accuracy_m !== undefined) parts.push("±" + round(g.accuracy_m, 2) + " m");
    if (g.satellites !== null && g.satellites !== undefined) parts.push(fmt(this.t.satellites, { count: g.satellites }));
    return parts.join(" · ") || this.t.accuracyUnknown;
  };

  // --- adding -------------------------------------------------------------------------------

  Editor.prototype.startDraw = function (code) {
    var klass = this.classes[code];
    if (!klass) return;
    var t = this.t;
    this.select(null);
    this.drawing = { klass: klass, kind: klass.geometry, gnss: [], handler: null };
    $("sv-draw-title").textContent = fmt(t.newOf, { name: klass.name });
    $("sv-draw-help").textContent = t["drawHelp_" + klass.geometry];
    $("sv-draw-centre").textContent = klass.geometry === "point" ? t.placeCentre : t.addVertexCentre;
    $("sv-draw-undo").hidden = klass.geometry === "point";
    $("sv-draw-finish").hidden = klass.geometry === "point";
    if (klass.geometry !== "point") {
      var options = { shapeOptions: { color: "#b35900", weight: 4 }, allowIntersection: false, showLength: false, showArea: false, repeatMode: false };
      this.drawing.handler = klass.geometry === "line" ? new L.Draw.Polyline(this.map, options) : new L.Draw.Polygon(this.map, options);
      this.drawing.handler.enable();
    }
    this.show("draw");
    $("sv-draw-centre").focus();
  };

  Editor.prototype.stopDraw = function () {
    if (this.drawing && this.drawing.handler) this.drawing.handler.disable();
    this.drawing = null;
  };

  Editor.prototype._centre = function () {
    return this.ctl.fromDisplay(this.map.getCenter());
  };

  Editor.prototype._drawAtCentre = function () {
    if (!this.drawing) return;
    if (this.drawing.kind === "point") {
      this._placePoint(this._centre(), null);
      return;
    }
    this._addVertex(this.map.getCenter(), null);
  };

  /* Add a vertex to the shape being drawn (leaflet-draw refuses self-crossing edges). */
  Editor.prototype._addVertex = function (displayLatlng, reading) {
    var handler = this.drawing.handler;
    var count = handler._markers.length;
    handler.addVertex(displayLatlng);
    if (handler._markers.length > count) this.drawing.gnss.push(reading);
    return handler._markers.length > count;
  };

  Editor.prototype._drawFromGps = function () {
    var self = this;
    var reading = this.reading();
    if (!reading) {
      this.startGps();
      this.say(this.t.gpsWaiting);
      return;
    }
    if (!this.drawing) return;
    var latlng = L.latLng(reading.lat, reading.lon);
    if (this.drawing.kind === "point") {
      this._placePoint(latlng, reading);
      return;
    }
    if (!this._addVertex(this.ctl.toDisplay(latlng), reading)) return;
    self.say(fmt(this.t.vertexAdded, { accuracy: reading.accuracy === null ? "?" : round(reading.accuracy, 2) }));
  };

  Editor.prototype._placePoint = function (latlng, reading) {
    var klass = this.drawing.klass;
    this.stopDraw();
    var geometry = { type: "Point", coordinates: [round(latlng.lng, 8), round(latlng.lat, 8)] };
    this.openForm({ kind: "create", ref: "new-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8), klass: klass, geometry: geometry, gnss: reading ? this._gnssOf(reading) : null });
  };

  Editor.prototype._shapeDrawn = function (layer) {
    if (!this.drawing) return;
    var self = this;
    var klass = this.drawing.klass;
    var readings = this.drawing.gnss;
    this.drawing.handler = null; // leaflet-draw disabled itself
    this.stopDraw();
    var geometry = mapCoords(layer.toGeoJSON().geometry, function (c) {
      var w = self.ctl.fromDisplay([c[1], c[0]]);
      return [round(w.lng, 8), round(w.lat, 8)];
    });
    // Every vertex from GNSS: the outline is as good as its worst vertex.
    var gnss = null;
    if (readings.length && readings.every(Boolean)) {
      var worst = readings.reduce(function (a, b) {
        return (b.accuracy === null || (a.accuracy !== null && b.accuracy > a.accuracy)) ? b : a;
      });
      gnss = this._gnssOf(worst);
    }
    this.openForm({ kind: "create", ref: "new-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8), klass: klass, geometry: geometry, gnss: gnss });
  };

  // --- the form -------------------------------------------------------------------------------

  Editor.prototype.openEdit = function (id) {
    var f = this.shown[id];
    if (!f) return;
    var klass = this.classes[f.properties["class"]] || { code: f.properties["class"], name: f.properties.class_name, geometry: f.geometry.type === "Point" ? "point" : /Line/.test(f.geometry.type) ? "line" : "polygon", threshold_m: 1, schema: {} };
    var create = this.outbox.pendingCreate(id);
    this.openForm({ kind: create ? "create" : "update", ref: id, klass: klass, geometry: clone(f.geometry), feature: f, gnss: f.properties.gnss, item: create || null });
  };

  Editor.prototype.openForm = function (state) {
    var t = this.t;
    var p = (state.feature && state.feature.properties) || {};
    var klass = state.klass;
    this.editing = state;
    state.before = state.feature ? clone(state.feature) : null;
    state.geometryChanged = false;
    state.gnssChanged = state.kind === "create";
    this._clearErrors();
    $("sv-form-title").textContent = fmt(state.kind === "create" && !state.feature ? t.newOf : t.editOf, { name: state.feature ? this._label(state.feature) : klass.name });
    $("sv-form-class").textContent = klass.code + " " + klass.name;
    $("sv-class-field").hidden = false;
    $("sv-name").value = p.name || "";
    $("sv-address").value = p.address || "";
    $("sv-status-field").value = p.status || "good";
    $("sv-source").value = p.data_source || (state.gnss ? "measured" : "digitized");
    $("sv-notes").value = p.notes || "";
    this.attrs = SCForm.attributes($("sv-attrs"), klass.schema, p.attributes || {}, { english: this.english, strings: t });
    $("sv-attrs-box").hidden = this.attrs.fields.length === 0;
    var creating = state.kind === "create" && !state.feature;
    $("sv-owners").hidden = !creating;
    var defaults = this.cfg.defaults || {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-owner]"), function (select) {
      var name = select.getAttribute("data-owner");
      if (p[name]) select.value = p[name];
      else if (defaults[name]) select.value = defaults[name];
    });
    $("sv-photo").value = "";
    this.photo = null;
    $("sv-photo-preview").hidden = true;
    var self = this;
    this.store.get("meta", "comment").then(function (row) {
      if (row && !$("sv-comment").value) $("sv-comment").value = row.value;
    });
    $("sv-comment").value = "";
    $("sv-gps-threshold").textContent = fmt(t.threshold, { value: klass.threshold_m });
    $("sv-gps-use").hidden = klass.geometry !== "point";
    $("sv-geom-help").textContent = klass.geometry === "point" ? t.geomHelpPoint : t.geomHelpShape;
    this._gnssStored();
    this._showEditLayer();
    this.render();
    this.show("form");
    this._gpsReadout();
    if (creating && klass.geometry === "point" && this.gps.watch === null) this.startGps();
    $("sv-form-title").focus();
    self._geomText();
  };

  Editor.prototype._showEditLayer = function () {
    var self = this;
    var state = this.editing;
    this.editGroup.clearLayers();
    if (!state) return;
    var display = mapCoords(state.geometry, function (c) {
      var d = self.ctl.toDisplay([c[1], c[0]]);
      return [d.lng, d.lat];
    });
    var layer;
    if (display.type === "Point") {
      layer = L.marker([display.coordinates[1], display.coordinates[0]], {
        draggable: true,
        keyboard: true,
        title: this.t.dragMarker,
        alt: this.t.dragMarker,
        icon: L.divIcon({ className: "sv-pin sv-pin-editing", html: "<span></span>", iconSize: [28, 28], iconAnchor: [14, 14] }),
        zIndexOffset: 1000,
      });
      layer.on("dragend", function () {
        var w = self.ctl.fromDisplay(layer.getLatLng());
        self._setGeometry({ type: "Point", coordinates: [round(w.lng, 8), round(w.lat, 8)] }, null, false);
      });
      this.editGroup.addLayer(layer);
    } else {
      var style = { color: "#b35900", weight: 5, fillOpacity: 0.2 };
      var rings = L.GeoJSON.coordsToLatLngs(display.coordinates, display.type === "LineString" ? 0 : display.type === "Polygon" || display.type === "MultiLineString" ? 1 : 2);
      layer = /Polygon/.test(display.type) ? L.polygon(rings, style) : L.polyline(rings, style);
      this.editGroup.addLayer(layer);
      if (layer.editing) {
        layer.editing.enable();
        layer.on("edit", function () {
          var geo = mapCoords(layer.toGeoJSON().geometry, function (c) {
            var w = self.ctl.fromDisplay([c[1], c[0]]);
            return [round(w.lng, 8), round(w.lat, 8)];
          });
          self._setGeometry(geo, null, false);
        });
      }
    }
    this.editLayer = layer;
  };

  /* A new position: from GNSS (reading) or placed by hand (reading null). */
  Editor.prototype._setGeometry = function (geometry, reading, redraw) {
    var state = this.editing;
    if (!state) return;
    state.geometry = geometry;
    state.geometryChanged = true;
    state.gnss = reading ? this._gnssOf(reading) : null;
    state.gnssChanged = true;
    $("sv-source").value = reading ? "measured" : "digitized";
    this._gnssStored();
    this._geomText();
    if (redraw) this._showEditLayer();
    this._fieldError("geometry", null);
  };

  Editor.prototype._geomText = function () {
    var state = this.editing;
    if (!state) return;
    var g = state.geometry;
    $("sv-geom-text").textContent =
      g.type === "Point" ? round(g.coordinates[1], 7) + ", " + round(g.coordinates[0], 7) : fmt(this.t.vertices, { count: positions(g).length });
  };

  Editor.prototype._moveToCentre = function () {
    var state = this.editing;
    if (!state) return;
    var c = this._centre();
    if (state.geometry.type === "Point") {
      this._setGeometry({ type: "Point", coordinates: [round(c.lng, 8), round(c.lat, 8)] }, null, true);
      return;
    }
    var b = bboxOf(state.geometry);
    var dx = c.lng - (b[0] + b[2]) / 2;
    var dy = c.lat - (b[1] + b[3]) / 2;
    this._setGeometry(
      mapCoords(state.geometry, function (p) {
        return [round(p[0] + dx, 8), round(p[1] + dy, 8)];
      }),
      null,
      true
    );
  };

  Editor.prototype._gnssStored = function () {
    var state = this.editing;
    var node = $("sv-gnss-stored");
    if (!state) return;
    node.textContent = state.gnss ? fmt(this.t.gnssStored, { text: this._gnssText(state.gnss) }) : this.t.gnssNone;
  };

  Editor.prototype.closeForm = function () {
    var ref = this.editing && this.editing.ref;
    this.editing = null;
    this.editGroup.clearLayers();
    this.editLayer = null;
    this.stopGps();
    if (ref && this.shown[ref]) this.select(ref);
    else this.select(null);
  };

  Editor.prototype._clearErrors = function () {
    Array.prototype.forEach.call(document.querySelectorAll("#sv-form .sv-field-error"), function (p) {
      p.textContent = "";
      p.hidden = true;
    });
    Array.prototype.forEach.call(document.querySelectorAll("#sv-form [aria-invalid]"), function (n) {
      n.removeAttribute("aria-invalid");
    });
    $("sv-form-error").hidden = true;
    $("sv-form-error").textContent = "";
  };

  /* Show ``message`` next to the form field the API named (or at the top). */
  Editor.prototype._fieldError = function (field, message, quiet) {
    var form = $("sv-form");
    var target = null;
    if (field) {
      var name = field;
      while (name && !target) {
        target = form.querySelector('[data-field="' + name + '"]');
        name = name.indexOf(".") > 0 ? name.slice(0, name.lastIndexOf(".")) : null;
      }
    }
    if (!message) {
      if (target) {
        var p = target.querySelector(".sv-field-error");
        if (p) p.hidden = true;
      }
      return null;
    }
    if (!target || target.hidden) {
      $("sv-form-error").textContent = message;
      $("sv-form-error").hidden = false;
      $("sv-form-error").scrollIntoView({ block: "nearest" });
      return null;
    }
    var slot = target.querySelector(".sv-field-error");
    slot.textContent = message;
    slot.hidden = false;
    var input = target.querySelector("input, select, textarea, button");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      if (!quiet) input.focus();
    }
    if (!quiet) target.scrollIntoView({ block: "nearest" });
    return target;
  };

  /* The edit as an API body: everything for a new component, what changed for an update. */
  Editor.prototype._body = function () {
    var state = this.editing;
    var fields = {
      name: $("sv-name").value.trim(),
      address: $("sv-address").value.trim(),
      status: $("sv-status-field").value,
      data_source: $("sv-source").value,
      notes: $("sv-notes").value.trim(),
    };
    var props = {};
    var body = {};
    if (state.kind === "create" && !state.feature) {
      props = L.extend({ "class": state.klass.code }, fields);
      props.attributes = this.attrs.values();
      Array.prototype.forEach.call(document.querySelectorAll("[data-owner]"), function (select) {
        props[select.getAttribute("data-owner")] = select.value;
      });
      if (state.gnss) props.gnss = state.gnss;
      return { geometry: state.geometry, properties: props };
    }
    var before = state.before.properties;
    Object.keys(fields).forEach(function (k) {
      if ((before[k] || "") !== fields[k]) props[k] = fields[k];
    });
    var attrs = this.attrs.changes();
    if (Object.keys(attrs).length) props.attributes = attrs;
    if (state.gnssChanged) props.gnss = state.gnss || {};
    if (state.geometryChanged && !same(state.geometry, state.before.geometry)) body.geometry = state.geometry;
    body.properties = props;
    return body;
  };

  Editor.prototype.save = function () {
    var self = this;
    var state = this.editing;
    var t = this.t;
    if (!state) return Promise.resolve();
    this._clearErrors();
    var comment = $("sv-comment").value.trim();
    if (!comment) {
      this._fieldError("comment", t.commentRequired);
      return Promise.resolve();
    }
    var problems = this.attrs.problems();
    if (problems.length) {
      problems.forEach(function (p, i) {
        self._fieldError(p.field, p.message, i > 0);
      });
      this.say(t.fixErrors, true);
      return Promise.resolve();
    }
    var body = this._body();
    var changed = !!body.geometry || Object.keys(body.properties).length > 0;
    if (!changed && !this.photo) {
      this._fieldError(null, t.nothingChanged);
      return Promise.resolve();
    }
    var work;
    var created = [];
    var main = null;
    if (state.kind === "create" && state.item) {
      // Still on the device: fold the change into its creation.
      main = state.item;
      var props = L.extend({}, main.body.properties, body.properties);
      if (body.properties.attributes) props.attributes = SCOutbox.mergeAttributes(main.body.properties.attributes, body.properties.attributes);
      if (body.properties.gnss && !Object.keys(body.properties.gnss).length) delete props.gnss;
      main.body = { geometry: body.geometry || main.body.geometry, properties: props };
      main.comment = comment;
      work = main.state === "pending" ? this.outbox.save(main) : this.outbox.retry(main);
    } else if (!changed) {
      work = Promise.resolve();
    } else if (state.kind === "create") {
      work = this.outbox.add({ kind: "create", ref: state.ref, base: null, body: body, comment: comment, before: null }).then(function (item) {
        main = item;
        created.push(item);
      });
    } else {
      var base = this.server[state.ref] ? this.server[state.ref].properties.version : state.before.properties.version;
      var replaced = state.replaces ? this.outbox.discard(state.replaces) : Promise.resolve();
      work = replaced
        .then(function () {
          return self.outbox.add({ kind: "update", ref: state.ref, base: base, body: body, comment: comment, before: self.server[state.ref] || state.before });
        })
        .then(function (item) {
          main = item;
          created.push(item);
        });
    }
    return work
      .then(function () {
        if (!self.photo) return;
        return self.outbox.add({ kind: "photo", ref: state.ref, base: null, photo: self.photo, photoName: self.photo.name || "photo.jpg", comment: comment }).then(function (item) {
          created.push(item);
        });
      })
      .then(function () {
        return self.store.put("meta", { key: "comment", value: comment });
      })
      .then(function () {
        self.render();
        if (!self.online) {
          self.closeForm();
          self.say(t.savedOffline);
          return;
        }
        self.busy(true);
        $("sv-save").disabled = true;
        self.say(t.saving);
        return self.sync().then(function (result) {
          self.busy(false);
          $("sv-save").disabled = false;
          self._afterSave(state, main, created, result);
        });
      });
  };

  Editor.prototype._afterSave = function (state, main, created, result) {
    var t = this.t;
    var self = this;
    var stillQueued = created.filter(function (i) {
      return self.outbox.items.indexOf(i) >= 0;
    });
    var failed = stillQueued.filter(function (i) {
      return i.state === "error";
    })[0];
    if (!failed && main && !created.length && main.state === "error") {
      // A correction of a queued creation that was refused again: it stays queued.
      this.say(t.fixErrors, true);
      this._fieldError(main.error.field, main.error.detail || fmt(t.requestFailed, { status: main.error.status }));
      return;
    }
    if (failed) {
      // Refused: keep the form open with the user's values and say what is wrong where.
      this.outbox.discard(created[0]).then(function () {
        return Promise.all(
          created.slice(1).map(function (i) {
            return self.outbox.remove(i);
          })
        );
      });
      this.say(t.fixErrors, true);
      this._fieldError(failed.error.field, failed.error.detail || fmt(t.requestFailed, { status: failed.error.status }));
      return;
    }
    if (main && main.state === "conflict") {
      this.closeForm();
      return;
    }
    if (stillQueued.length || (result && result.stopped)) {
      this.closeForm();
      this.say(result && result.stopped === "auth" ? t.sessionExpired : t.savedOffline, result && result.stopped === "auth");
      return;
    }
    var id = main && main.accepted && main.accepted.id ? main.accepted.id : state.ref;
    var f = this.server[id];
    this.editing = null;
    this.editGroup.clearLayers();
    this.stopGps();
    this.select(id);
    if (f) this.say(fmt(t.saved, { id: f.properties.identifier, version: f.properties.version }));
  };

  // --- GNSS -----------------------------------------------------------------------------------

  Editor.prototype.startGps = function () {
    var self = this;
    var t = this.t;
    if (!navigator.geolocation) {
      this.gps.error = t.geoUnsupported;
      this._gpsReadout();
      return;
    }
    if (this.gps.watch !== null) return;
    this.gps.error = null;
    this.gps.watch = navigator.geolocation.watchPosition(
      function (pos) {
        self.gps.fix = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy: pos.coords.accuracy, time: new Date(pos.timestamp || Date.now()).toISOString() };
        self.gps.error = null;
        self._gpsReadout();
      },
      function (err) {
        self.gps.error = err.code === 1 ? t.geoDenied : err.code === 3 ? t.geoTimeout : t.geoUnavailable;
        self._gpsReadout();
      },
      { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 }
    );
    this._gpsReadout();
  };

  Editor.prototype.stopGps = function () {
    if (this.gps.watch !== null && navigator.geolocation) navigator.geolocation.clearWatch(this.gps.watch);
    this.gps.watch = null;
    this._gpsReadout();
  };

  /* The best current position: an external receiver's GGA (accuracy from its GST, or from
   * the phone's location when that is the same place, as when the receiver app feeds the
   * phone), else the browser's geolocation. */
  Editor.prototype.reading = function () {
    var nmea = this.gps.nmea;
    var fix = this.gps.fix;
    var gga = nmea && nmea.gga && nmea.gga.valid ? nmea.gga : null;
    if (gga) {
      var accuracy = null;
      if (nmea.gst && nmea.gst.accuracy !== null) accuracy = nmea.gst.accuracy;
      else if (fix && metres([fix.lon, fix.lat], [gga.lon, gga.lat]) <= Math.max(5, fix.accuracy)) accuracy = fix.accuracy;
      return { lat: gga.lat, lon: gga.lon, accuracy: accuracy, fix: gga.fix, satellites: gga.satellites, hdop: gga.hdop, time: SCNmea.timeOf(gga, new Date()), device: "NMEA " + gga.talker };
    }
    if (fix) return { lat: fix.lat, lon: fix.lon, accuracy: fix.accuracy, fix: null, satellites: null, hdop: null, time: fix.time, device: "browser" };
    return null;
  };

  Editor.prototype._gnssOf = function (r) {
    var g = {};
    if (r.fix) g.fix = r.fix;
    if (r.accuracy !== null && r.accuracy !== undefined) g.accuracy_m = round(r.accuracy, 3);
    if (r.satellites !== null && r.satellites !== undefined) g.satellites = r.satellites;
    if (r.time) g.time = r.time;
    if (r.device) g.device = r.device;
    return g;
  };

  Editor.prototype._threshold = function () {
    var state = this.editing || this.drawing;
    return state ? state.klass.threshold_m : null;
  };

  Editor.prototype._gpsReadout = function () {
    var t = this.t;
    var reading = this.reading();
    var acc = $("sv-gps-accuracy");
    var threshold = this._threshold();
    $("sv-gps-toggle").textContent = this.gps.watch === null ? t.startGps : t.stopGps;
    $("sv-gps-toggle").setAttribute("aria-pressed", this.gps.watch === null ? "false" : "true");
    acc.classList.remove("ok", "bad");
    if (this.gps.error && !reading) {
      acc.textContent = this.gps.error;
      acc.classList.add("bad");
    } else if (!reading) {
      acc.textContent = this.gps.watch === null ? t.noPosition : t.gpsWaiting;
    } else if (reading.accuracy === null) {
      acc.textContent = t.accuracyUnknown;
      acc.classList.add("bad");
    } else {
      var good = threshold === null || reading.accuracy <= threshold;
      acc.textContent = fmt(t.accuracy, { value: round(reading.accuracy, 2) }) + " · " + (good ? t.accuracyOk : t.accuracyBad);
      acc.classList.add(good ? "ok" : "bad");
    }
    var meta = [];
    if (reading && reading.fix) meta.push(fmt(t.fixLabel, { fix: this.choices.gnss_fix[reading.fix] || reading.fix }));
    if (reading && reading.satellites !== null) meta.push(fmt(t.satellites, { count: reading.satellites }));
    if (reading && reading.hdop !== null) meta.push("HDOP " + reading.hdop);
    $("sv-gps-meta").textContent = meta.join(" · ");
    $("sv-gps-use").disabled = !reading;
    var nmea = this.gps.nmea;
    var state = $("sv-nmea-state");
    if (!nmea || (!nmea.gga && !nmea.errors.length)) state.textContent = "";
    else if (nmea.errors.length) state.textContent = fmt(t.nmeaErrors, { count: nmea.errors.length });
    else if (!nmea.gga.valid) state.textContent = t.nmeaNoFix;
    else state.textContent = fmt(t.nmeaOk, { talker: nmea.gga.talker, sats: nmea.gga.satellites, gst: nmea.gst ? t.yes : t.no });
    var draw = $("sv-draw-gps");
    if (this.drawing && reading) draw.textContent = fmt(t.useGpsAccuracy, { value: reading.accuracy === null ? "?" : round(reading.accuracy, 2) });
  };

  Editor.prototype._useGps = function () {
    var reading = this.reading();
    if (!reading || !this.editing || this.editing.geometry.type !== "Point") return;
    this._setGeometry({ type: "Point", coordinates: [round(reading.lon, 8), round(reading.lat, 8)] }, reading, true);
    this.map.panTo(this.ctl.toDisplay([reading.lat, reading.lon]));
  };

  // --- history --------------------------------------------------------------------------------

  Editor.prototype.openHistory = function (id) {
    var self = this;
    var t = this.t;
    var f = this.shown[id];
    if (!f || SCOutbox.isTemp(id)) return;
    this.show("history");
    $("sv-history-title").textContent = fmt(t.historyOf, { name: this._label(f) });
    $("sv-history-title").focus();
    var list = $("sv-history-list");
    list.textContent = "";
    this.busy(true);
    fetch("/api/v1/components/" + id + "/history/", { credentials: "same-origin", headers: { Accept: "application/json", "Accept-Language": this.language } })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (rows) {
        rows.slice().reverse().forEach(function (row) {
          var li = el("li", { class: "sv-history-row", "data-version": row.version });
          li.appendChild(el("strong", {}, fmt(t.historyHead, { version: row.version, action: t["action_" + row.action] || row.action })));
          li.appendChild(el("span", { class: "sv-item-meta" }, row.actor + " · " + new Date(row.time).toLocaleString(self.locale)));
          li.appendChild(el("span", { class: "sv-history-comment" }, row.comment));
          var fields = Object.keys(row.changes || {}).map(function (k) {
            return self._fieldLabel(k);
          });
          if (fields.length && row.action !== "create") li.appendChild(el("span", { class: "sv-item-meta" }, fmt(t.changedFields, { fields: fields.join(", ") })));
          list.appendChild(li);
        });
        if (!rows.length) list.appendChild(el("li", { class: "hint" }, t.historyEmpty));
      })
      .catch(function () {
        list.appendChild(el("li", { class: "hint" }, t.historyOffline));
      })
      .then(function () {
        self.busy(false);
      });
  };

  Editor.prototype._fieldLabel = function (key) {
    return this.t["field_" + key] || key;
  };

  // --- retire ---------------------------------------------------------------------------------

  Editor.prototype.openRetire = function (id) {
    if (!this.shown[id] || SCOutbox.isTemp(id)) return;
    $("sv-retire-error").hidden = true;
    $("sv-retire-comment").value = "";
    $("sv-retire").showModal();
    $("sv-retire-comment").focus();
  };

  Editor.prototype.retire = function () {
    var self = this;
    var id = this.selected;
    var comment = $("sv-retire-comment").value.trim();
    if (!comment) {
      $("sv-retire-error").textContent = this.t.commentRequired;
      $("sv-retire-error").hidden = false;
      $("sv-retire-comment").setAttribute("aria-invalid", "true");
      $("sv-retire-comment").focus();
      return Promise.resolve();
    }
    $("sv-retire").close();
    var server = this.server[id];
    return this.outbox
      .add({ kind: "retire", ref: id, base: server.properties.version, body: {}, comment: comment, before: server })
      .then(function () {
        self.select(null);
        self.say(self.online ? self.t.saving : self.t.savedOffline);
        return self.sync();
      })
      .then(function () {
        if (!self.outbox.itemsFor(id).length) self.say(fmt(self.t.retired, { id: id }));
      });
  };

  // --- the queue ------------------------------------------------------------------------------

  Editor.prototype.sync = function (manual) {
    var self = this;
    if (!this.outbox || !this.outbox.items.length) {
      if (manual) this.say(this.t.nothingToSync);
      return Promise.resolve({ sent: 0 });
    }
    if (!navigator.onLine) {
      if (manual) this.say(this.t.offlineWait);
      return Promise.resolve({ sent: 0, stopped: "network" });
    }
    $("sv-net").textContent = this.t.syncing;
    return this.outbox.sync().then(function (result) {
      self._network(result.stopped === "network" ? false : navigator.onLine);
      if (result.sent && !self.editing) self.say(fmt(self.t.synced, { count: result.sent }));
      if (result.stopped === "auth") self.say(self.t.sessionExpired, true);
      return result;
    });
  };

  Editor.prototype._queueEvent = function (event, item, extra) {
    var self = this;
    if (event === "accepted") {
      if (extra && extra.type === "Feature") this.server[extra.id] = extra;
      if (item.kind === "create" && this.selected === item.ref && extra) this.selected = extra.id;
      if (item.kind === "retire") delete this.server[item.ref];
      this.render();
    } else if (event === "conflict") {
      this.server[item.ref] = item.current;
      this.render();
      this.showConflict(item);
    } else if (event === "rejected") {
      this.render();
      if (!this.editing) this.say(fmt(this.t.refused, { detail: (item.error && item.error.detail) || item.error.status }), true);
    } else if (event === "changed") {
      if (this.outbox) this._counts();
      if (this.view === "queue") this._queueList();
    } else if (event === "offline") {
      this._network(false);
    }
    void self;
  };

  Editor.prototype.openQueue = function () {
    this.show("queue");
    this._queueList();
    $("sv-queue-title").focus();
  };

  Editor.prototype._queueList = function () {
    var self = this;
    var t = this.t;
    var list = $("sv-queue-list");
    list.textContent = "";
    if (!this.outbox.items.length) {
      list.appendChild(el("li", { class: "hint" }, t.queueEmpty));
      return;
    }
    this.outbox.items.forEach(function (item) {
      var f = self.shown[item.ref] || item.before;
      var li = el("li", { class: "sv-queue-item sv-state-" + item.state, "data-seq": item.seq });
      var name = f ? self._label(f) : item.ref;
      li.appendChild(el("strong", {}, t["kind_" + item.kind] + " · " + name));
      li.appendChild(el("span", { class: "sv-item-meta" }, t["state_" + item.state] + " · " + new Date(item.created).toLocaleString(self.locale) + " · " + (item.comment || "")));
      if (item.error && item.error.detail) li.appendChild(el("span", { class: "sv-queue-error" }, item.error.detail));
      var buttons = el("div", { class: "sv-buttons" });
      if (item.state === "conflict") {
        var resolve = el("button", { type: "button", class: "btn primary" }, t.resolve);
        resolve.addEventListener("click", function () {
          self.showConflict(item);
        });
        buttons.appendChild(resolve);
      }
      if (item.state === "error" && (item.kind === "create" || item.kind === "update") && self.shown[item.ref]) {
        var correct = el("button", { type: "button", class: "btn primary" }, t.correct);
        correct.addEventListener("click", function () {
          self._correct(item);
        });
        buttons.appendChild(correct);
      }
      if (item.state !== "pending") {
        var discard = el("button", { type: "button", class: "btn" }, t.discard);
        discard.addEventListener("click", function () {
          if (!window.confirm(t.discardConfirm)) return;
          self.outbox.discard(item).then(function () {
            self.render();
          });
        });
        buttons.appendChild(discard);
      }
      if (buttons.childNodes.length) li.appendChild(buttons);
      list.appendChild(li);
    });
  };

  /* Open a refused edit in the form, with the server's message next to its field. */
  Editor.prototype._correct = function (item) {
    var f = this.shown[item.ref];
    var klass = this.classes[f.properties["class"]];
    if (!klass) return;
    var error = item.error;
    if (item.kind === "create") {
      this.openForm({ kind: "create", ref: item.ref, klass: klass, geometry: clone(f.geometry), feature: f, gnss: f.properties.gnss, item: item });
    } else {
      this.openForm({ kind: "update", ref: item.ref, klass: klass, geometry: clone(f.geometry), feature: item.before, gnss: f.properties.gnss, replaces: item });
      // start from the refused values, compared with the server's state
      var p = f.properties;
      $("sv-name").value = p.name || "";
      $("sv-address").value = p.address || "";
      $("sv-status-field").value = p.status;
      $("sv-source").value = p.data_source;
      $("sv-notes").value = p.notes || "";
      this.attrs = SCForm.attributes($("sv-attrs"), klass.schema, p.attributes || {}, { english: this.english, strings: this.t });
      this.attrs.fields.forEach(function (field) {
        field.initial = ((item.before && item.before.properties.attributes) || {})[field.name];
        if (field.initial === undefined) field.initial = null;
        field.touched = true;
      });
      if (item.body.geometry) {
        this.editing.geometry = clone(item.body.geometry);
        this.editing.geometryChanged = true;
        this._showEditLayer();
      }
    }
    $("sv-comment").value = item.comment || "";
    if (error) this._fieldError(error.field, error.detail);
  };

  // --- conflicts ------------------------------------------------------------------------------

  Editor.prototype._display = function (key, value) {
    if (value === undefined || value === null || value === "") return "—";
    if (key === "geometry") {
      return value.type === "Point" ? round(value.coordinates[1], 7) + ", " + round(value.coordinates[0], 7) : fmt(this.t.vertices, { count: positions(value).length });
    }
    if (key === "status") return this.choices.status[value] || value;
    if (key === "data_source") return this.choices.data_source[value] || value;
    if (key === "currency") return value === "retired" ? this.t.retiredValue : this.t.inUseValue;
    if (key === "gnss") return this._gnssText(value);
    if (typeof value === "object" && !Array.isArray(value)) return JSON.stringify(value);
    return String(this._value(value));
  };

  Editor.prototype.showConflict = function (item) {
    var dialog = $("sv-conflict");
    if (dialog.open) {
      if (this.conflict !== item && this.conflicts.indexOf(item) < 0) this.conflicts.push(item);
      return;
    }
    this.conflict = item;
    var t = this.t;
    var self = this;
    var theirs = item.current;
    var before = item.before || theirs;
    var mine = item.body || {};
    var rows = [];
    var klass = this.classes[theirs.properties["class"]];
    var specs = (klass && klass.schema && klass.schema.properties) || {};
    var keys = {};
    ["name", "address", "status", "data_source", "notes", "gnss", "currency"].forEach(function (k) {
      if (!same(before.properties[k], theirs.properties[k]) || (mine.properties && k in mine.properties)) keys[k] = true;
    });
    Object.keys(keys).forEach(function (k) {
      var yours = mine.properties && k in mine.properties ? mine.properties[k] : undefined;
      if (item.kind === "retire" && k === "currency") yours = "retired";
      rows.push([self._fieldLabel(k), self._display(k, before.properties[k]), self._display(k, theirs.properties[k]), yours === undefined ? t.unchanged : self._display(k, yours), k]);
    });
    if (item.kind === "retire" && !keys.currency) rows.push([this._fieldLabel("currency"), this._display("currency", "in_use"), this._display("currency", theirs.properties.currency), this._display("currency", "retired"), "currency"]);
    var attrKeys = {};
    var ba = before.properties.attributes || {};
    var ta = theirs.properties.attributes || {};
    var ma = (mine.properties && mine.properties.attributes) || {};
    Object.keys(ba).concat(Object.keys(ta), Object.keys(ma)).forEach(function (k) {
      if (!same(ba[k], ta[k]) || k in ma) attrKeys[k] = true;
    });
    Object.keys(attrKeys).forEach(function (k) {
      rows.push([self._attrLabel(k, specs[k]), self._display(k, ba[k]), self._display(k, ta[k]), k in ma ? self._display(k, ma[k]) : t.unchanged, "attributes." + k]);
    });
    if (!same(before.geometry, theirs.geometry) || mine.geometry) {
      rows.push([this._fieldLabel("geometry"), this._display("geometry", before.geometry), this._display("geometry", theirs.geometry), mine.geometry ? this._display("geometry", mine.geometry) : t.unchanged, "geometry"]);
    }
    var tbody = $("sv-conflict-table").querySelector("tbody");
    tbody.textContent = "";
    rows.forEach(function (r) {
      var tr = el("tr", { "data-field": r[4] });
      tr.appendChild(el("th", { scope: "row" }, r[0]));
      tr.appendChild(el("td", {}, r[1]));
      tr.appendChild(el("td", { class: "sv-theirs" }, r[2]));
      tr.appendChild(el("td", { class: "sv-yours" }, r[3]));
      tbody.appendChild(tr);
    });
    var when = theirs.properties.updated_at ? new Date(theirs.properties.updated_at).toLocaleString(this.locale) : "";
    $("sv-conflict-text").textContent = fmt(item.kind === "retire" ? t.conflictRetire : t.conflictText, { name: this._label(theirs), version: theirs.properties.version, time: when });
    $("sv-keep-mine").textContent = item.kind === "retire" ? t.retireAnyway : t.keepMine;
    dialog.showModal();
    $("sv-keep-mine").focus();
  };

  Editor.prototype._resolve = function (choice) {
    var self = this;
    var item = this.conflict;
    var dialog = $("sv-conflict");
    if (dialog.open) dialog.close();
    this.conflict = null;
    var work = Promise.resolve();
    if (item && choice === "theirs") {
      work = this.outbox.keepTheirs(item).then(function () {
        self.say(self.t.keptTheirs);
      });
    } else if (item && choice === "mine") {
      work = this.outbox.keepMine(item).then(function () {
        self.say(self.t.saving);
        return self.sync();
      }).then(function () {
        if (self.outbox.items.indexOf(item) < 0) {
          var f = self.server[item.ref];
          self.say(fmt(self.t.saved, { id: item.ref, version: f ? f.properties.version : "" }));
        }
      });
    }
    return work.then(function () {
      self.render();
      if (item && self.selected === item.ref && self.view === "detail") self.select(item.ref);
      var next = self.conflicts.shift();
      if (next && self.outbox.items.indexOf(next) >= 0 && next.state === "conflict") self.showConflict(next);
    });
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
