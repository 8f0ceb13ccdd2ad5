/*
 * The facility page's small map (the common map, map.js): the facility, and the user once
 * the browser shares its position (at once when permission was already given, else on the
 * button), with the distance and direction from the user worded as the nearest list words
 * them ("东 694 米" / "east 694 m").
 *
 * Distance and bearing: on the CGCS2000/GRS 80 ellipsoid, with the meridian and prime-
 * vertical radii at the mean latitude (a local flat-earth approximation: under 0.1 % off
 * within tens of kilometres, which is all a walking distance needs).
 */
(function () {
  "use strict";

  var A = 6378137.0;
  var E2 = 0.00669438002290; // GRS 80 first eccentricity squared
  var PLACE_STYLE = { radius: 11, color: "#ffffff", weight: 3, fillColor: "#0b5cad", fillOpacity: 1 };
  var YOU_STYLE = { radius: 8, color: "#ffffff", weight: 3, fillColor: "#a40e26", fillOpacity: 1 };

  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] == null ? "" : values[key];
    });
  }

  /* Metres and degrees clockwise from north, from ``a`` to ``b`` (WGS 84 latlngs). */
  function distanceBearing(a, b) {
    var rad = Math.PI / 180;
    var phi = ((a.lat + b.lat) / 2) * rad;
    var s = Math.sin(phi);
    var w = Math.sqrt(1 - E2 * s * s);
    var m = (A * (1 - E2)) / (w * w * w);
    var n = A / w;
    var north = (b.lat - a.lat) * rad * m;
    var east = (b.lng - a.lng) * rad * n * Math.cos(phi);
    var bearing = (Math.atan2(east, north) / rad + 360) % 360;
    return { distance_m: Math.sqrt(north * north + east * east), bearing_deg: bearing };
  }

  function Page(ctl) {
    this.ctl = ctl;
    this.map = ctl.map;
    this.cfg = ctl.config.extra;
    this.t = this.cfg.strings;
    this.place = L.latLng(this.cfg.facility.lat, this.cfg.facility.lon);
    this.you = null;
    this.youMarker = null;
    this.el = {
      distance: document.getElementById("facility-distance"),
      locate: document.getElementById("facility-locate"),
      keyYou: document.getElementById("facility-key-you"),
    };
  }

  Page.prototype.start = function () {
    var self = this;
    var marker = L.circleMarker(this.place, PLACE_STYLE);
    marker.bindTooltip(SCHtml.content(this.cfg.facility.name));
    this.ctl.manage(marker, this.place);
    marker.addTo(this.map);
    this.map.setView(this.ctl.toDisplay(this.place), this.map.getZoom());
    this.map.on("sc:located", function (e) {
      self.showYou(e.latlng);
    });
    this.el.locate.addEventListener("click", function () {
      self.locate();
    });
    document.body.dataset.facility = "ready";
    if (!navigator.geolocation) return;
    this.el.locate.hidden = false;
    if (navigator.permissions && navigator.permissions.query) {
      navigator.permissions
        .query({ name: "geolocation" })
        .then(function (state) {
          if (state.state === "granted") self.locate();
        })
        .catch(function () {
          /* no permissions API: the button stays */
        });
    }
  };

  Page.prototype.locate = function () {
    var self = this;
    this.el.distance.textContent = this.t.locating;
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        self.showYou(L.latLng(pos.coords.latitude, pos.coords.longitude));
      },
      function (err) {
        self.el.distance.textContent = err && err.code === 1 ? self.t.geoDenied : self.t.geoUnavailable;
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  };

  Page.prototype.words = function (db) {
    var m = db.distance_m;
    var distance = m < 1000 ? fmt(this.t.metres, { value: Math.round(m) }) : fmt(this.t.kilometres, { value: (m / 1000).toFixed(1) });
    if (m < 0.5) return distance;
    var names = this.t.compass.split("|");
    return fmt(this.t.directionDistance, { direction: names[Math.round(db.bearing_deg / 45) % 8], distance: distance });
  };

  Page.prototype.showYou = function (latlng) {
    this.you = L.latLng(latlng);
    if (this.youMarker) {
      this.ctl.move(this.youMarker, this.you);
    } else {
      this.youMarker = L.circleMarker(this.you, YOU_STYLE);
      this.youMarker.bindTooltip(SCHtml.content(this.t.you));
      this.ctl.manage(this.youMarker, this.you);
      this.youMarker.addTo(this.map);
    }
    var db = distanceBearing(this.you, this.place);
    this.el.distance.textContent = fmt(this.t.fromYouWords, { where: this.words(db) });
    this.el.distance.setAttribute("data-distance-m", String(Math.round(db.distance_m)));
    this.el.locate.hidden = true;
    this.el.keyYou.hidden = false;
    var bounds = L.latLngBounds([this.ctl.toDisplay(this.you), this.ctl.toDisplay(this.place)]);
    this.map.fitBounds(bounds, { padding: [32, 32], maxZoom: 18, animate: false });
    document.body.dataset.facility = "located";
  };

  SCMap.onReady(function (ctl) {
    var extra = ctl.config.extra || {};
    if (!extra.facility) return;
    window.SCFacility = new Page(ctl);
    window.SCFacility.start();
  });
})();
