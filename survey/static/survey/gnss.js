/*
 * GNSS capture: the browser's geolocation (position and accuracy) and an external
 * receiver's NMEA sentences (fix, satellites, HDOP, GST accuracy: nmea.js), shown live
 * against the class's accuracy threshold, stored in the component's gnss fields.
 */
(function (S) {
  "use strict";

  var Editor = S.Editor;
  var $ = S.util.$, round = S.util.round, metres = S.util.metres;
  var fmt = SCForm.fmt;

  Editor.prototype._gnssText = function (g) {
    var parts = [];
    if (g.fix) parts.push(this.choices.gnss_fix[g.fix] || g.fix);
    if (g.accuracy_m !== null && g.accuracy_m !== undefined) parts.push(fmt(this.t.accuracyShort, { value: round(g.accuracy_m, 2) }));
    if (g.satellites !== null && g.satellites !== undefined) parts.push(fmt(this.t.satellites, { count: g.satellites }));
    return parts.join(" · ") || this.t.accuracyUnknown;
  };

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
})(window.SCSurveyEditor);
