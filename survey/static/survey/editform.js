/*
 * The edit form: standard fields, the class's attributes (form.js), ownership for new
 * components, photo, changeset comment; moving the point (drag, centre cross, GNSS) or the
 * vertices (leaflet-draw's editing); saving through the queue, with the server's errors
 * shown next to the field they name.
 */
(function (S) {
  "use strict";

  var Editor = S.Editor;
  var $ = S.util.$, clone = S.util.clone, same = S.util.same, mapCoords = S.util.mapCoords, positions = S.util.positions, bboxOf = S.util.bboxOf, round = S.util.round;
  var fmt = SCForm.fmt;

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
          var geo = mapCoords(layer.toGeoJSON(false).geometry, function (c) {
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
})(window.SCSurveyEditor);
