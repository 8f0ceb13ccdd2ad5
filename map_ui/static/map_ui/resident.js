/*
 * The residents' finder on the common map (map.js): pick a kind of facility, then tap the
 * map or use "Nearest to me"; the nearest ones come from /api/v1/nearest/ with metric
 * distance and bearing, shown as "northeast 320 m", with opening hours, accessibility and
 * status. Text search goes to the components API (q = name, address or identifier).
 */
(function () {
  "use strict";

  var ORIGIN_STYLE = { radius: 9, color: "#ffffff", weight: 3, fillColor: "#a40e26", fillOpacity: 1 };
  var RESULT_STYLE = { radius: 8, color: "#ffffff", weight: 2, fillColor: "#0b5cad", fillOpacity: 1 };
  var FIRST_STYLE = { radius: 11, color: "#ffffff", weight: 3, fillColor: "#0b5cad", fillOpacity: 1 };

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] == null ? "" : values[key];
    });
  }

  function Finder(ctl) {
    this.ctl = ctl;
    this.map = ctl.map;
    this.cfg = ctl.config.extra;
    this.t = this.cfg.strings;
    this.chips = this.cfg.chips || [];
    this.chip = this.chips[0] || null;
    this.origin = null; // {latlng (WGS 84), kind: "point" | "me"}
    this.originMarker = null;
    this.markers = [];
    this.request = 0;
    this.el = {
      status: document.getElementById("status"),
      results: document.getElementById("results"),
      busy: document.getElementById("busy"),
      hint: document.getElementById("hint"),
      form: document.getElementById("search-form"),
      q: document.getElementById("search-q"),
      nearMe: document.getElementById("near-me"),
    };
  }

  Finder.prototype.start = function () {
    var self = this;
    document.querySelectorAll(".chip").forEach(function (button) {
      button.addEventListener("click", function () {
        self.selectChip(button.getAttribute("data-chip"));
      });
    });
    this.map.on("sc:click", function (e) {
      self.setOrigin(e.latlng, "point");
    });
    this.map.on("sc:located", function (e) {
      self.setOrigin(e.latlng, "me");
    });
    this.el.nearMe.addEventListener("click", function () {
      self.locate();
    });
    this.el.form.addEventListener("submit", function (e) {
      e.preventDefault();
      self.search(self.el.q.value.trim());
    });
    document.body.setAttribute("data-finder", "ready");
  };

  Finder.prototype.selectChip = function (key) {
    this.chip = this.chips.filter(function (c) {
      return c.key === key;
    })[0];
    document.querySelectorAll(".chip").forEach(function (button) {
      button.setAttribute("aria-pressed", button.getAttribute("data-chip") === key ? "true" : "false");
    });
    if (this.origin) this.nearest();
  };

  Finder.prototype.setOrigin = function (latlng, kind) {
    this.origin = { latlng: L.latLng(latlng), kind: kind };
    if (!this.originMarker) {
      this.originMarker = L.circleMarker([0, 0], ORIGIN_STYLE).addTo(this.map);
      this.originMarker.bindTooltip(SCHtml.content(this.t.yourPoint));
      this.ctl.manage(this.originMarker, this.origin.latlng);
    } else {
      this.ctl.move(this.originMarker, this.origin.latlng);
    }
    this.nearest();
  };

  Finder.prototype.locate = function () {
    var self = this;
    if (!navigator.geolocation) {
      this.say(this.t.geoUnsupported, true);
      return;
    }
    this.say(this.t.locating);
    this.busy(true);
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        self.busy(false);
        var here = L.latLng(pos.coords.latitude, pos.coords.longitude);
        self.map.setView(self.ctl.toDisplay(here), Math.max(self.map.getZoom(), 16));
        self.setOrigin(here, "me");
      },
      function (err) {
        self.busy(false);
        self.say(err.code === 1 ? self.t.geoDenied : self.t.geoUnavailable, true);
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  };

  Finder.prototype.busy = function (on) {
    this.el.busy.hidden = !on;
    this.el.results.setAttribute("aria-busy", on ? "true" : "false");
  };

  Finder.prototype.say = function (message, isError) {
    this.el.status.textContent = message;
    this.el.status.classList.toggle("error", !!isError);
  };

  Finder.prototype.fetchJson = function (url) {
    var id = ++this.request;
    var self = this;
    this.busy(true);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error((body && body.detail) || r.status);
          return body;
        });
      })
      .then(function (body) {
        if (id !== self.request) throw new Error("superseded");
        self.busy(false);
        return body;
      })
      .catch(function (err) {
        if (err.message === "superseded") throw err;
        self.busy(false);
        self.say(self.t.requestFailed, true);
        throw err;
      });
  };

  Finder.prototype.nearest = function () {
    if (!this.chip || !this.origin) return;
    var self = this;
    var ll = this.origin.latlng;
    var url =
      this.cfg.nearestUrl +
      "?classes=" + encodeURIComponent(this.chip.classes.join(",")) +
      "&lon=" + ll.lng.toFixed(7) + "&lat=" + ll.lat.toFixed(7) +
      "&limit=" + (this.cfg.limit || 5);
    this.say(this.t.searching);
    this.fetchJson(url).then(
      function (body) {
        var features = body.features || [];
        self.say(
          features.length
            ? (self.origin.kind === "me" ? self.t.fromYou : self.t.fromPoint) + " · " + fmt(self.t.found, { count: features.length, kind: self.chip.label })
            : self.t.none
        );
        self.show(features, true);
      },
      function () {}
    );
  };

  Finder.prototype.search = function (q) {
    if (!q) return;
    var self = this;
    var classes = [];
    this.chips.forEach(function (c) {
      classes = classes.concat(c.classes);
    });
    var url = this.cfg.componentsUrl + "?q=" + encodeURIComponent(q) + "&limit=20";
    this.say(this.t.searching);
    this.fetchJson(url).then(
      function (body) {
        var features = body.features || [];
        self.say(features.length ? fmt(self.t.matches, { count: features.length, q: q }) : fmt(self.t.noMatch, { q: q }), !features.length);
        self.show(features, false);
      },
      function () {}
    );
  };

  Finder.prototype.direction = function (props) {
    if (props.distance_m == null) return "";
    var m = props.distance_m;
    var distance = m < 1000 ? fmt(this.t.metres, { value: Math.round(m) }) : fmt(this.t.kilometres, { value: (m / 1000).toFixed(1) });
    if (props.bearing_deg == null || m < 0.5) return distance;
    var names = this.t.compass.split("|");
    var direction = names[Math.round(props.bearing_deg / 45) % 8];
    return fmt(this.t.directionDistance, { direction: direction, distance: distance });
  };

  Finder.prototype.hours = function (attrs) {
    var h = attrs.opening_hours;
    if (!h) return "";
    return fmt(this.t.hours, { hours: h === "24/7" ? this.t.open24 : h });
  };

  Finder.prototype.access = function (attrs) {
    if (attrs.accessible === true) return this.t.accessible;
    if (attrs.accessible === false) return this.t.notAccessible;
    if (typeof attrs.accessible_spaces === "number") return fmt(this.t.accessibleSpaces, { count: attrs.accessible_spaces });
    return "";
  };

  function anchor(feature) {
    var g = feature.geometry;
    if (g.type === "Point") return L.latLng(g.coordinates[1], g.coordinates[0]);
    return L.geoJSON(g).getBounds().getCenter();
  }

  Finder.prototype.clearMarkers = function () {
    var self = this;
    this.markers.forEach(function (m) {
      self.ctl.unmanage(m);
      self.map.removeLayer(m);
    });
    this.markers = [];
  };

  Finder.prototype.show = function (features, withDistance) {
    var self = this;
    var h = SCHtml.el;
    this.clearMarkers();
    var list = SCHtml.fill(this.el.results);
    var bounds = [];
    if (withDistance && this.origin) bounds.push(this.ctl.toDisplay(this.origin.latlng));
    features.forEach(function (f, i) {
      var p = f.properties;
      var attrs = p.attributes || {};
      var href = self.cfg.facilityUrl.replace("{id}", encodeURIComponent(p.identifier));
      var name = p.name || p.class_name;
      var li = document.createElement("li");
      li.className = "result";
      li.setAttribute("data-id", p.identifier);
      SCHtml.fill(
        li,
        h(
          "a",
          { class: "result-link", href: href },
          h("span", { class: "result-name" }, name),
          withDistance ? h("span", { class: "result-distance" }, self.direction(p)) : null,
          h(
            "span",
            { class: "result-meta" },
            h("span", { class: "badge status-" + p.status }, self.t["status_" + p.status] || p.status),
            self.hours(attrs) ? h("span", null, self.hours(attrs)) : null,
            self.access(attrs) ? h("span", { class: "result-access" }, self.access(attrs)) : null
          ),
          p.address ? h("span", { class: "result-address" }, p.address) : null
        )
      );
      list.appendChild(li);
      var at = anchor(f);
      var marker = L.circleMarker([0, 0], i === 0 && withDistance ? FIRST_STYLE : RESULT_STYLE).addTo(self.map);
      self.ctl.manage(marker, at);
      marker.bindPopup(
        SCHtml.content(
          h("span", null, h("strong", null, name), h("br"), withDistance ? self.direction(p) : p.class_name, h("br"), h("a", { href: href }, self.t.details))
        )
      );
      self.markers.push(marker);
      bounds.push(marker.getLatLng());
    });
    // Keep what was found clear of the sheet (bottom on phones, left on wider screens).
    var sheet = document.getElementById("finder");
    var wide = window.innerWidth >= 768;
    var fit = {
      paddingTopLeft: [wide ? sheet.offsetWidth + 30 : 30, 30],
      paddingBottomRight: [30, wide ? 30 : sheet.offsetHeight + 30],
      maxZoom: 18,
    };
    if (bounds.length) this.map.fitBounds(L.latLngBounds(bounds), fit);
  };

  SCMap.onReady(function (ctl) {
    var finder = new Finder(ctl);
    window.SCFinder = finder;
    finder.start();
  });
})();
