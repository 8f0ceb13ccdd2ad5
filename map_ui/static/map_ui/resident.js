/*
 * The residents' finder on the common map (map.js): pick a kind of facility, then tap the
 * map or use "Nearest to me"; the nearest ones come from /api/v1/nearest/ with metric
 * distance and bearing, shown as "northeast 320 m", with opening hours, accessibility and
 * status. Text search goes to the facility search (/api/v1/facilities/search/): public
 * facilities first, then by distance from the chosen point, the user or the map's centre;
 * its true count, and "More results" for the next page. The query is kept in the address
 * (?q=&at=&n=), so going back from a facility page shows the same results again.
 * On phones the panel is a bottom sheet (sheet.js): results open it to half height and
 * scroll inside it; the map fits the origin and the results in the part left visible.
 * The map opens framing the public district (config.extra.startBounds, the extent of the
 * public facilities, from the server). One tap on the map searches from that point: the
 * chosen point's marker carries the coordinates searched from (data-lon, data-lat), and a
 * dashed line joins it to the nearest result, labelled with its geodesic distance.
 */
(function () {
  "use strict";

  var ORIGIN_STYLE = { radius: 9, color: "#ffffff", weight: 3, fillColor: "#a40e26", fillOpacity: 1 };
  var RESULT_STYLE = { radius: 8, color: "#ffffff", weight: 2, fillColor: "#0b5cad", fillOpacity: 1 };
  var FIRST_STYLE = { radius: 11, color: "#ffffff", weight: 3, fillColor: "#0b5cad", fillOpacity: 1 };
  var ROUTE_STYLE = { color: "#a40e26", weight: 3, opacity: 0.9, dashArray: "6 6", interactive: false, className: "sc-route" };
  var START_MAX_ZOOM = 17; // a district with one public facility still shows its streets

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
    this.route = null; // {line, from, to}: the origin to the nearest result (WGS 84)
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
      more: document.getElementById("more"),
      body: document.getElementById("finder-body"),
    };
    this.sheet = window.SCSheet ? SCSheet.attach(document.getElementById("finder")) : null;
    this.query = null; // the text search shown: {q, at: [lon, lat] | null, shown, total}
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
    this.map.on("sc:crschange", function () {
      self.redrawRoute();
    });
    this.el.nearMe.addEventListener("click", function () {
      self.locate();
    });
    this.el.form.addEventListener("submit", function (e) {
      e.preventDefault();
      self.search(self.el.q.value.trim());
    });
    this.el.more.addEventListener("click", function () {
      self.more();
    });
    this.frameStart();
    document.body.setAttribute("data-finder", "ready");
    if (this.chip && this.chip.available) this.say(this.t.pickPoint);
    this.restore();
  };

  /* Open on the public district: fit its extent into the part of the map left visible
   * (beside the panel on wide screens, above the sheet on phones). */
  Finder.prototype.frameStart = function () {
    var b = this.cfg.startBounds;
    if (!b) return;
    var sw = this.ctl.toDisplay([b[1], b[0]]);
    var ne = this.ctl.toDisplay([b[3], b[2]]);
    this.fitDisplay([sw, ne], Math.min(START_MAX_ZOOM, this.maxZoom()));
    document.body.setAttribute("data-opened-at", "public-extent");
  };

  var STORE = "sc.finder.search";

  /* The query string of the search shown last in this tab, when the user comes from a
   * facility page by its "Back to the map" link (a plain "/"). */
  function storedSearch() {
    try {
      var ref = document.referrer ? new URL(document.referrer) : null;
      if (!ref || ref.origin !== window.location.origin || ref.pathname.indexOf("/facilities/") !== 0) return "";
      return window.sessionStorage.getItem(STORE) || "";
    } catch (err) {
      return ""; // storage refused (private mode): the address alone keeps the search
    }
  }

  /* A search kept in the address (a reload, or back from a facility page). */
  Finder.prototype.restore = function () {
    var params = new URLSearchParams(window.location.search);
    if (!params.get("q")) params = new URLSearchParams(storedSearch());
    var q = (params.get("q") || "").trim();
    if (!q) return;
    var at = (params.get("at") || "").split(",").map(Number);
    var n = parseInt(params.get("n") || "", 10);
    this.el.q.value = q;
    this.search(q, {
      at: at.length === 2 && at.every(isFinite) ? at : null,
      from: params.get("from"),
      limit: n > 0 ? Math.min(n, this.cfg.searchMax || 100) : null,
    });
  };

  Finder.prototype.remember = function () {
    var url = new URL(window.location.href);
    var keep = this.query;
    ["q", "at", "from", "n"].forEach(function (k) {
      url.searchParams.delete(k);
    });
    if (keep) {
      url.searchParams.set("q", keep.q);
      if (keep.at) url.searchParams.set("at", keep.at[0].toFixed(6) + "," + keep.at[1].toFixed(6));
      url.searchParams.set("from", keep.from);
      url.searchParams.set("n", String(keep.shown));
    }
    window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
    try {
      if (keep) window.sessionStorage.setItem(STORE, url.search);
      else window.sessionStorage.removeItem(STORE);
    } catch (err) {
      // storage refused: the address still keeps the search
    }
  };

  Finder.prototype.selectChip = function (key) {
    this.chip = this.chips.filter(function (c) {
      return c.key === key;
    })[0];
    document.querySelectorAll(".chip").forEach(function (button) {
      button.setAttribute("aria-pressed", button.getAttribute("data-chip") === key ? "true" : "false");
    });
    if (this.chip && !this.chip.available) {
      // A text search's results stay; the chip only picks the kind for the next nearest.
      if (!this.query) this.noneInArea();
      return;
    }
    if (this.origin) this.nearest();
  };

  /* Nothing of the chosen kind in the platform's data: say so, not "nothing nearby". */
  Finder.prototype.noneInArea = function () {
    this.request++;
    this.busy(false);
    this.clearMarkers();
    SCHtml.fill(this.el.results);
    this.forgetSearch();
    this.say(this.t.noneInArea);
  };

  /* The text search gives way to a nearest search (and leaves the address). */
  Finder.prototype.forgetSearch = function () {
    if (!this.query) return;
    this.query = null;
    this.el.more.hidden = true;
    this.remember();
  };

  Finder.prototype.setOrigin = function (latlng, kind) {
    this.forgetSearch();
    this.origin = { latlng: L.latLng(latlng), kind: kind };
    if (!this.originMarker) {
      this.originMarker = L.circleMarker([0, 0], L.extend({ className: "sc-origin" }, ORIGIN_STYLE)).addTo(this.map);
      this.originMarker.bindTooltip(SCHtml.content(this.t.yourPoint));
      this.ctl.manage(this.originMarker, this.origin.latlng);
    } else {
      this.ctl.move(this.originMarker, this.origin.latlng);
    }
    // The coordinates exactly as the search sends them (WGS 84 / CGCS2000).
    var marker = this.originMarker.getElement();
    if (marker) {
      marker.setAttribute("data-lon", this.origin.latlng.lng.toFixed(7));
      marker.setAttribute("data-lat", this.origin.latlng.lat.toFixed(7));
      marker.setAttribute("data-kind", kind);
    }
    this.clearRoute();
    this.nearest();
  };

  Finder.prototype.locate = function () {
    var self = this;
    if (this.chip && !this.chip.available) return this.noneInArea();
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
        // The results' fit decides the final view; until they come, the user at street zoom.
        self.map.setView(self.ctl.toDisplay(here), Math.min(Math.max(self.map.getZoom(), 16), self.maxZoom()));
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
    if (!this.chip.available) return this.noneInArea();
    this.forgetSearch();
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
            : self.t.noneInArea
        );
        self.show(features, true);
        self.drawRoute(features[0]);
      },
      function () {}
    );
  };

  /* Where a text search ranks distance from: the chosen point or the user, else the map's
   * centre. */
  Finder.prototype.searchPoint = function () {
    var ll = this.origin ? this.origin.latlng : this.ctl.fromDisplay(this.map.getCenter());
    return [ll.lng, ll.lat];
  };

  Finder.prototype.searchUrl = function (q, at, offset, limit) {
    return (
      this.cfg.searchUrl +
      "?q=" + encodeURIComponent(q) +
      (at ? "&lon=" + at[0].toFixed(7) + "&lat=" + at[1].toFixed(7) : "") +
      "&offset=" + offset + "&limit=" + limit
    );
  };

  var FROM = { me: "fromYou", point: "fromPoint", centre: "fromCentre" };

  /* A new text search (options: at, the point to rank from, and from, what that point is:
   * "me", "point" or "centre"; limit, how many to show). */
  Finder.prototype.search = function (q, options) {
    if (!q) return;
    var self = this;
    var opts = options || {};
    var at = opts.at || this.searchPoint();
    var from = opts.at && FROM[opts.from] ? opts.from : this.origin ? this.origin.kind : "centre";
    var limit = opts.limit || this.cfg.searchPage || 20;
    this.say(this.t.searching);
    this.fetchJson(this.searchUrl(q, at, 0, limit)).then(
      function (body) {
        var features = body.features || [];
        self.query = { q: q, at: at, from: from, shown: features.length, total: body.numberMatched || 0 };
        self.sayCount();
        self.show(features, false);
        self.remember();
      },
      function () {}
    );
  };

  Finder.prototype.sayCount = function () {
    var query = this.query;
    if (!query.total) return this.say(fmt(this.t.noMatch, { q: query.q }), true);
    // Distances are from the user, the chosen point or the map's centre: say which.
    var text = this.t[FROM[query.from]] + " · " + fmt(this.t.matches, { count: query.total, q: query.q });
    if (query.shown < query.total) text += " · " + fmt(this.t.shown, { count: query.shown });
    this.say(text);
    this.el.more.hidden = query.shown >= query.total;
  };

  /* The next page of the current text search, added below the results shown. */
  Finder.prototype.more = function () {
    var query = this.query;
    if (!query) return;
    var self = this;
    var page = this.cfg.searchPage || 20;
    this.el.more.disabled = true;
    this.fetchJson(this.searchUrl(query.q, query.at, query.shown, page)).then(
      function (body) {
        self.el.more.disabled = false;
        var features = body.features || [];
        var first = query.shown;
        query.shown += features.length;
        query.total = body.numberMatched || query.total;
        self.sayCount();
        self.append(features, false, first);
        self.remember();
        var next = self.el.results.children[first];
        if (next) next.querySelector("a").focus({ preventScroll: true });
        if (next) next.scrollIntoView({ block: "nearest" });
      },
      function () {
        self.el.more.disabled = false;
      }
    );
  };

  /* A geodesic distance as people read it: whole metres below a kilometre, then
   * kilometres with one decimal (two below 10 km would claim more than a walk needs). */
  Finder.prototype.distanceText = function (m) {
    if (m == null || !isFinite(m)) return "";
    return m < 999.5 ? fmt(this.t.metres, { value: Math.round(m) }) : fmt(this.t.kilometres, { value: (m / 1000).toFixed(1) });
  };

  Finder.prototype.direction = function (props) {
    if (props.distance_m == null) return "";
    var m = props.distance_m;
    var distance = this.distanceText(m);
    if (props.bearing_deg == null || m < 0.5) return distance;
    var names = this.t.compass.split("|");
    var direction = names[Math.round(props.bearing_deg / 45) % 8];
    return fmt(this.t.directionDistance, { direction: direction, distance: distance });
  };

  /* Opening hours in words from the server ("每天 05:30-23:00 · 营业中"), else as written. */
  Finder.prototype.hours = function (props) {
    var words = props.opening_hours_words;
    var h = (props.attributes || {}).opening_hours;
    if (!words && !h) return "";
    if (!words || !words.lines.length) return fmt(this.t.hours, { hours: h === "24/7" ? this.t.open24 : h });
    var text = fmt(this.t.hours, { hours: words.lines.join(this.t.listSeparator) });
    if (words.open_now === true) text += " · " + this.t.openNow;
    if (words.open_now === false) text += " · " + this.t.closedNow;
    return text;
  };

  Finder.prototype.access = function (attrs) {
    if (attrs.accessible === true) return this.t.accessible;
    if (attrs.accessible === false) return this.t.notAccessible;
    if (typeof attrs.accessible_spaces === "number") return fmt(this.t.accessibleSpaces, { count: attrs.accessible_spaces });
    return "";
  };

  function anchor(feature) {
    var a = feature.properties.anchor;
    if (a) return L.latLng(a[1], a[0]);
    var g = feature.geometry;
    if (g.type === "Point") return L.latLng(g.coordinates[1], g.coordinates[0]);
    return L.geoJSON(g).getBounds().getCenter();
  }

  /* The dashed line from the origin to the nearest result, labelled with its distance. */
  Finder.prototype.drawRoute = function (feature) {
    this.clearRoute();
    if (!this.origin || !feature) return;
    var label = this.distanceText(feature.properties.distance_m);
    var from = this.origin.latlng;
    var to = anchor(feature);
    var line = L.polyline([this.ctl.toDisplay(from), this.ctl.toDisplay(to)], ROUTE_STYLE).addTo(this.map);
    if (label) line.bindTooltip(SCHtml.content(label), { permanent: true, direction: "top", offset: [0, -6], className: "sc-route-label" });
    this.route = { line: line, from: from, to: to };
    var path = line.getElement();
    if (path) path.setAttribute("data-distance-m", String(feature.properties.distance_m));
    // the chosen point stays visible over a result drawn at the same spot when zoomed out
    if (this.originMarker) this.originMarker.bringToFront();
  };

  Finder.prototype.redrawRoute = function () {
    if (!this.route) return;
    this.route.line.setLatLngs([this.ctl.toDisplay(this.route.from), this.ctl.toDisplay(this.route.to)]);
  };

  Finder.prototype.clearRoute = function () {
    if (!this.route) return;
    this.map.removeLayer(this.route.line);
    this.route = null;
  };

  Finder.prototype.clearMarkers = function () {
    var self = this;
    this.clearRoute();
    this.markers.forEach(function (m) {
      self.ctl.unmanage(m);
      self.map.removeLayer(m);
    });
    this.markers = [];
  };

  Finder.prototype.show = function (features, withDistance) {
    this.clearMarkers();
    SCHtml.fill(this.el.results);
    this.el.body.scrollTop = 0;
    if (!withDistance) this.el.more.hidden = !this.query || this.query.shown >= this.query.total;
    this.append(features, withDistance, 0);
    this.fit(this.markers.map(function (m) {
      return m.getLatLng();
    }), withDistance);
  };

  /* List and map the features (numbered from ``first``), without moving the map. */
  Finder.prototype.append = function (features, withDistance, first) {
    var self = this;
    var h = SCHtml.el;
    var list = this.el.results;
    features.forEach(function (f, k) {
      var i = first + k;
      var p = f.properties;
      var attrs = p.attributes || {};
      var href = self.cfg.facilityUrl.replace("{id}", encodeURIComponent(p.identifier));
      var name = p.name || p.class_name;
      var li = document.createElement("li");
      li.className = "result";
      li.setAttribute("data-id", p.identifier);
      if (p.distance_m != null) li.setAttribute("data-distance-m", String(p.distance_m));
      var distance = p.distance_m != null ? self.direction(p) : "";
      SCHtml.fill(
        li,
        h(
          "a",
          { class: "result-link", href: href },
          h("span", { class: "result-name" }, name),
          withDistance ? h("span", { class: "result-distance" }, distance) : null,
          h(
            "span",
            { class: "result-meta" },
            !withDistance && p.name ? h("span", { class: "result-kind" }, p.class_name) : null,
            h("span", { class: "badge status-" + p.status }, self.t["status_" + p.status] || p.status),
            self.hours(p) ? h("span", { class: "result-hours" }, self.hours(p)) : null,
            self.access(attrs) ? h("span", { class: "result-access" }, self.access(attrs)) : null,
            !withDistance && distance ? h("span", { class: "result-far" }, distance) : null
          ),
          p.address ? h("span", { class: "result-address" }, p.address) : null
        )
      );
      list.appendChild(li);
      var marker = L.circleMarker([0, 0], i === 0 && withDistance ? FIRST_STYLE : RESULT_STYLE).addTo(self.map);
      self.ctl.manage(marker, anchor(f));
      marker.bindPopup(
        SCHtml.content(
          h("span", null, h("strong", null, name), h("br"), withDistance ? distance : p.class_name, h("br"), h("a", { href: href }, self.t.details))
        )
      );
      self.markers.push(marker);
    });
  };

  Finder.prototype.maxZoom = function () {
    var max = this.map.getMaxZoom();
    return Math.min(isFinite(max) ? max : 19, 19);
  };

  /* Open the sheet to half height (phones) and fit the map so that the origin (when
   * ``withOrigin``) and the results show together in the part of the map left visible. */
  Finder.prototype.fit = function (latlngs, withOrigin) {
    if (this.sheet && latlngs.length) this.sheet.raise("half");
    var bounds = latlngs.slice();
    if (withOrigin && this.origin) bounds.push(this.ctl.toDisplay(this.origin.latlng));
    if (!bounds.length) return;
    this.fitDisplay(bounds, Math.min(18, this.maxZoom()));
  };

  /* Fit displayed latlngs into the part of the map the panel leaves visible. */
  Finder.prototype.fitDisplay = function (bounds, maxZoom) {
    var sheet = document.getElementById("finder");
    var wide = window.innerWidth >= 768;
    var cover = wide ? 0 : this.sheet ? this.sheet.target() : sheet.offsetHeight;
    this.map.fitBounds(L.latLngBounds(bounds), {
      paddingTopLeft: [wide ? sheet.offsetWidth + 30 : 30, 30],
      paddingBottomRight: [30, cover + 30],
      maxZoom: maxZoom,
      animate: false,
    });
  };

  SCMap.onReady(function (ctl) {
    var finder = new Finder(ctl);
    window.SCFinder = finder;
    finder.start();
  });
})();
