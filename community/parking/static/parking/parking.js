/*
 * Parking on the common map (map.js):
 * - a layer "Parking: free spaces" in the layer switcher: every lot of the public
 *   availability feed (/api/v1/parking/availability/) as a dot coloured by how many spaces
 *   are free (green: spaces available, amber: almost full, red: full, grey: no live data),
 *   with free / capacity in its tooltip and free spaces by kind in its popup; refreshed
 *   every minute while shown;
 * - on the residents' finder, the parking chip asks the guidance endpoint
 *   (/api/v1/parking/nearby/): lots with free spaces, ranked by distance and availability.
 */
(function () {
  "use strict";

  var COLOURS = { spaces_available: "#1a7f37", almost_full: "#d4a72c", full: "#cf222e", unknown: "#8c959f" };

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] == null ? "" : values[key];
    });
  }

  var HIT_RADIUS = 16; // px: a 32 px tap target

  function style(lot, first) {
    var radius = Math.max(6, Math.min(13, 4 + Math.sqrt(lot.capacity.total || 0) / 2));
    return {
      radius: first ? radius + 3 : radius,
      color: "#ffffff",
      weight: first ? 3 : 2,
      fillColor: COLOURS[lot.status] || COLOURS.unknown,
      fillOpacity: 0.95,
    };
  }

  function Parking(ctl) {
    this.ctl = ctl;
    this.map = ctl.map;
    this.cfg = ctl.config.extra.parking;
    this.t = this.cfg.strings;
    this.group = L.layerGroup();
    this.markers = [];
    this.hits = [];
    this.timer = null;
  }

  Parking.prototype.freeText = function (lot) {
    return fmt(this.t.free, { free: lot.free.total, capacity: lot.capacity.total });
  };

  /* The popup of a lot: a DOM element (SCHtml), never an HTML string. */
  Parking.prototype.popup = function (lot) {
    var h = SCHtml.el;
    var href = this.cfg.facilityUrl.replace("{id}", encodeURIComponent(lot.id));
    var rows = [h("dt", null, this.t["status_" + lot.status] || lot.status), h("dd", null, this.freeText(lot))];
    if (lot.capacity.charging) rows.push(h("dt"), h("dd", null, fmt(this.t.charging, { count: lot.free.charging })));
    if (lot.capacity.accessible) rows.push(h("dt"), h("dd", null, fmt(this.t.accessible, { count: lot.free.accessible })));
    var updated = lot.last_update ? new Date(lot.last_update).toLocaleTimeString() : "";
    return h(
      "div",
      { class: "parking-popup" },
      h("a", { href: href }, h("strong", null, lot.name)),
      h("dl", null, rows),
      updated ? h("small", null, fmt(this.t.updated, { time: updated })) : null
    );
  };

  Parking.prototype.start = function () {
    var self = this;
    // In the switcher under roads and traffic (the parking lots' major class), and in the legend.
    this.ctl.addPageOverlay(this.group, {
      name: this.t.layer,
      color: COLOURS.spaces_available,
      group: "02",
      legend: ["spaces_available", "almost_full", "full", "unknown"].map(function (s) {
        return [COLOURS[s], self.t["status_" + s]];
      }),
    });
    this.map.on("overlayadd", function (e) {
      if (e.layer === self.group) self.load();
    });
    this.map.on("overlayremove", function (e) {
      if (e.layer === self.group) self.stop();
    });
    if (this.cfg.show) {
      this.group.addTo(this.map);
      this.load();
    }
  };

  Parking.prototype.stop = function () {
    if (this.timer) window.clearTimeout(this.timer);
    this.timer = null;
  };

  Parking.prototype.load = function () {
    var self = this;
    this.stop();
    fetch(this.cfg.availabilityUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (body) {
        self.draw(body.lots || []);
        document.body.setAttribute("data-parking-layer", String((body.lots || []).length));
      })
      .catch(function () {
        self.ctl.notify(self.ctl.config.strings.tilesFailed || "");
      })
      .then(function () {
        if (self.map.hasLayer(self.group)) {
          self.timer = window.setTimeout(function () {
            self.load();
          }, self.cfg.refreshSeconds * 1000);
        }
      });
  };

  Parking.prototype.draw = function (lots) {
    var self = this;
    this.markers.concat(this.hits).forEach(function (m) {
      self.ctl.unmanage(m);
    });
    this.group.clearLayers();
    this.markers = [];
    this.hits = [];
    lots.forEach(function (lot) {
      var c = lot.location.coordinates;
      var marker = L.circleMarker([0, 0], style(lot, false));
      marker.options.parkingLot = lot.id;
      marker.bindTooltip(SCHtml.content(lot.name + " · " + self.freeText(lot)));
      marker.bindPopup(SCHtml.content(self.popup(lot)));
      self.group.addLayer(marker);
      self.ctl.manage(marker, L.latLng(c[1], c[0]));
      self.markers.push(marker);
      // A small lot's dot is 12-20 px across: an unpainted circle over it makes a 32 px
      // target for a finger (SVG hit-tests a fill even at opacity 0).
      var hit = L.circleMarker([0, 0], { radius: HIT_RADIUS, stroke: false, fill: true, fillOpacity: 0, className: "sc-hit-area" });
      hit.on("click", function () { marker.openPopup(); });
      hit.on("mouseover", function () { marker.openTooltip(); });
      hit.on("mouseout", function () { marker.closeTooltip(); });
      self.group.addLayer(hit);
      self.ctl.manage(hit, L.latLng(c[1], c[0]));
      self.hits.push(hit);
    });
  };

  /* The finder's parking chip: guidance instead of the plain nearest search. */
  Parking.prototype.hookFinder = function (finder) {
    var self = this;
    var plain = finder.nearest;
    finder.nearest = function () {
      if (this.chip && this.chip.key === self.cfg.chip && this.origin) return self.nearby(this);
      return plain.apply(this, arguments);
    };
  };

  Parking.prototype.nearby = function (finder) {
    var self = this;
    var ll = finder.origin.latlng;
    var url = this.cfg.nearbyUrl + "?lon=" + ll.lng.toFixed(7) + "&lat=" + ll.lat.toFixed(7) + "&limit=" + this.cfg.limit;
    finder.say(finder.t.searching);
    finder.fetchJson(url).then(
      function (body) {
        var features = body.features || [];
        finder.say(
          features.length
            ? (finder.origin.kind === "me" ? finder.t.fromYou : finder.t.fromPoint) + " · " + fmt(self.t.found, { count: features.length })
            : self.t.none
        );
        self.showResults(finder, features);
      },
      function () {}
    );
  };

  Parking.prototype.showResults = function (finder, features) {
    var self = this;
    var h = SCHtml.el;
    finder.clearMarkers();
    var list = SCHtml.fill(finder.el.results);
    var bounds = [this.ctl.toDisplay(finder.origin.latlng)];
    features.forEach(function (f, i) {
      var p = f.properties;
      var href = self.cfg.facilityUrl.replace("{id}", encodeURIComponent(p.id));
      var li = document.createElement("li");
      li.className = "result parking-result";
      li.setAttribute("data-id", p.id);
      li.setAttribute("data-free", String(p.free.total));
      var kinds = [];
      if (p.capacity.charging) kinds.push(fmt(self.t.charging, { count: p.free.charging }));
      if (p.capacity.accessible) kinds.push(fmt(self.t.accessible, { count: p.free.accessible }));
      SCHtml.fill(
        li,
        h(
          "a",
          { class: "result-link", href: href },
          h("span", { class: "result-name" }, p.name),
          h("span", { class: "result-distance" }, finder.direction(p)),
          h(
            "span",
            { class: "result-meta" },
            h("span", { class: "parking-free status-" + p.status }, self.freeText(p)),
            kinds.length ? h("span", null, kinds.join(" · ")) : null,
            p.opening_hours ? h("span", null, finder.hours(p)) : null
          ),
          p.address ? h("span", { class: "result-address" }, p.address) : null
        )
      );
      list.appendChild(li);
      var c = f.geometry.coordinates;
      var marker = L.circleMarker([0, 0], style(p, i === 0)).addTo(finder.map);
      self.ctl.manage(marker, L.latLng(c[1], c[0]));
      marker.bindPopup(SCHtml.content(self.popup(p)));
      finder.markers.push(marker);
      bounds.push(marker.getLatLng());
    });
    finder.fit(bounds.slice(1), true);
  };

  SCMap.onReady(function (ctl) {
    if (!ctl.config.extra || !ctl.config.extra.parking) return;
    var parking = new Parking(ctl);
    window.SCParking = parking;
    parking.start();
    if (window.SCFinder) parking.hookFinder(window.SCFinder);
    document.body.setAttribute("data-parking", "ready");
  });
})();
