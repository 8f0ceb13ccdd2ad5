/*
 * Adding a component: a point where the user taps, at the centre cross or at the GNSS
 * position; lines and polygons vertex by vertex with leaflet-draw (taps, centre cross, GNSS).
 */
(function (S) {
  "use strict";

  var Editor = S.Editor;
  var $ = S.util.$, mapCoords = S.util.mapCoords, round = S.util.round;
  var fmt = SCForm.fmt;

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
    var geometry = mapCoords(layer.toGeoJSON(false).geometry, function (c) {
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
})(window.SCSurveyEditor);
