/*
 * Reverse car finding (/parking/find/): the plate goes to /api/v1/parking/find-car/ (POST,
 * so it never lands in an address bar, a history or an access log); the answer names the
 * lot, floor and space, and the page draws the floor's spaces with the car's one
 * highlighted. Geometry is redrawn through ctl.toDisplay when the basemap changes CRS.
 */
(function () {
  "use strict";

  var SPACE = { color: "#57606a", weight: 1, fillColor: "#d0d7de", fillOpacity: 0.5 };
  var TAKEN = { color: "#57606a", weight: 1, fillColor: "#8c959f", fillOpacity: 0.6 };
  var MINE = { color: "#a40e26", weight: 3, fillColor: "#cf222e", fillOpacity: 0.85 };

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] == null ? "" : values[key];
    });
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function FindCar(ctl) {
    this.ctl = ctl;
    this.map = ctl.map;
    this.cfg = ctl.config.extra;
    this.t = this.cfg.strings;
    this.layer = L.layerGroup().addTo(this.map);
    this.features = [];
    this.highlight = null; // code of the highlighted space
    this.el = {
      form: document.getElementById("findcar-form"),
      plate: document.getElementById("plate"),
      status: document.getElementById("status"),
      busy: document.getElementById("busy"),
      result: document.getElementById("findcar-result"),
      lot: document.getElementById("findcar-lot"),
      space: document.getElementById("findcar-space"),
      since: document.getElementById("findcar-since"),
    };
    this.sheet = window.SCSheet ? SCSheet.attach(document.getElementById("finder")) : null;
  }

  FindCar.prototype.start = function () {
    var self = this;
    this.el.form.addEventListener("submit", function (e) {
      e.preventDefault();
      self.find(self.el.plate.value.trim());
    });
    this.map.on("baselayerchange", function () {
      window.setTimeout(function () {
        self.draw();
      }, 0);
    });
    document.body.setAttribute("data-findcar", "ready");
  };

  FindCar.prototype.say = function (message, isError) {
    this.el.status.textContent = message;
    this.el.status.classList.toggle("error", !!isError);
  };

  FindCar.prototype.find = function (plate) {
    var self = this;
    if (!plate) return;
    this.say(this.t.searching);
    this.el.busy.hidden = false;
    this.el.result.hidden = true;
    this.features = [];
    this.highlight = null;
    this.draw();
    fetch(this.cfg.findUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ plate: plate }),
    })
      .then(function (r) {
        return r.json().then(function (body) {
          return { status: r.status, body: body };
        });
      })
      .then(function (answer) {
        self.el.busy.hidden = true;
        if (answer.status === 200) return self.show(answer.body);
        var key = { 404: "notFound", 429: "throttled", 400: "invalid" }[answer.status] || "failed";
        self.say(self.t[key], true);
        document.body.setAttribute("data-findcar", key);
      })
      .catch(function () {
        self.el.busy.hidden = true;
        self.say(self.t.failed, true);
      });
  };

  FindCar.prototype.show = function (found) {
    var self = this;
    this.say(fmt(this.t.found, { plate: found.plate, lot: found.lot.name }));
    this.el.lot.textContent = found.lot.name + (found.lot.address ? " · " + found.lot.address : "");
    if (found.space) {
      var floor = found.floor && (found.floor.name || found.floor.code); // once: "1F-029" already names 1F
      this.el.space.textContent = floor && found.space.code.indexOf(floor) !== 0
        ? fmt(this.t.floorSpace, { floor: floor, space: found.space.code })
        : fmt(this.t.space, { space: found.space.code });
    } else {
      this.el.space.textContent = this.t.noSpace;
    }
    this.el.since.textContent = found.entered_at ? fmt(this.t.since, { time: new Date(found.entered_at).toLocaleString() }) : "";
    this.el.result.hidden = false;
    if (this.sheet) this.sheet.raise("half");
    if (!found.space) {
      document.body.setAttribute("data-findcar", "found");
      return;
    }
    this.highlight = found.space.code;
    fetch(found.spaces_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json();
      })
      .then(function (body) {
        self.features = body.features || [];
        self.draw();
        document.body.setAttribute("data-findcar", "found");
      });
  };

  FindCar.prototype.draw = function () {
    var self = this;
    this.layer.clearLayers();
    var bounds = [];
    this.features.forEach(function (f) {
      var ring = f.geometry.coordinates[0].map(function (c) {
        return self.ctl.toDisplay(L.latLng(c[1], c[0]));
      });
      var mine = f.id === self.highlight;
      var polygon = L.polygon(ring, mine ? MINE : f.properties.occupied ? TAKEN : SPACE);
      polygon.options.spaceCode = f.id;
      polygon.bindTooltip(SCHtml.content(mine ? self.t.yourSpace + " · " + f.id : f.id), { permanent: mine, direction: "top" });
      self.layer.addLayer(polygon);
      if (mine) polygon.bringToFront();
      bounds = bounds.concat(ring);
    });
    if (bounds.length) {
      var sheet = document.getElementById("finder");
      var wide = window.innerWidth >= 768;
      var cover = wide ? 0 : this.sheet ? this.sheet.target() : sheet.offsetHeight;
      var max = this.map.getMaxZoom();
      this.map.fitBounds(L.latLngBounds(bounds), {
        paddingTopLeft: [wide ? sheet.offsetWidth + 30 : 30, 30],
        paddingBottomRight: [30, cover + 30],
        maxZoom: Math.min(isFinite(max) ? max : 19, 19),
      });
    }
  };

  SCMap.onReady(function (ctl) {
    var finder = new FindCar(ctl);
    window.SCFindCar = finder;
    finder.start();
  });
})();
