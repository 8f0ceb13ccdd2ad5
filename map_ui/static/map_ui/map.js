/*
 * The platform's common map, started by the folium-built page:
 *   SCMap.init(leafletMap, config) -> controller (also SCMap.current)
 *
 * - basemaps from config.basemapsUrl: the offline platform basemap (vector tiles of the
 *   platform's base layers, the default), OpenStreetMap, Tianditu, Amap;
 * - overlays from the layer registry (config.layersUrl) as vector tiles, in Leaflet's
 *   layer switcher, with a legend, a metric scale bar and a loading bar;
 * - Amap draws in GCJ-02: while it is the basemap, overlays are drawn shifted
 *   WGS 84 -> GCJ-02 and clicks are shifted back (ChinaCoords, chinacoords.js).
 * - identify: a click or tap on a vector-tile feature of a shown overlay opens a popup with
 *   its name, class and key attributes (and a link to its facility page). The overlays'
 *   tiles take no pointer events: map.js tests the click against the features VectorGrid
 *   decoded, with a hit area of at least 32 px around points (docs/ARCHITECTURE.md,
 *   "Identify on the common map").
 * - the layer switcher groups overlays under headings (major classes) and lists layers
 *   with no feature in the user's scope last, marked, under their own heading; the
 *   legend lists the overlays shown, the page's own (ctl.addPageOverlay) included.
 * - zoom stops at config.maxZoom (19; a page may allow 20) on every basemap.
 *
 * Pages use the controller: ctl.ready (a Promise), ctl.toDisplay / ctl.fromDisplay
 * (WGS 84 <-> what is drawn), ctl.manage(layer, latlng) for markers that must follow the
 * shift, ctl.setBasemap(id), ctl.showOverlay(code, on), ctl.addPageOverlay(layer,
 * options) for a page's own layer (switcher and legend), ctl.identifyAt(displayLatlng)
 * (features under a point, best first), ctl.setIdentify(on) (popups on click, e.g. off
 * while drawing), ctl.identifyHandler = fn(hits, event) (return true to take the click
 * over), and the map events "sc:click" ({latlng: WGS 84}), "sc:identify" ({hits, latlng}),
 * "sc:located" ({latlng: WGS 84, accuracy}) and "sc:crschange".
 */
(function (global) {
  "use strict";

  var WGS84 = "wgs84";
  var GCJ02 = "gcj02";
  var DEFAULT_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
  var onReady = [];
  var DEFAULT_MAX_ZOOM = 19;
  var HIT_RADIUS = 16; // CSS px around a tap: a 32 px target at any zoom
  // Properties every popup shows in its own way (not as an attribute row).
  var OWN_PROPERTIES = { identifier: 1, class: 1, name: 1, status: 1, count: 1 };
  var EMPTY_GROUP = "-empty"; // switcher group of the layers with no data for the user

  // Leaflet 1.8 removed L.DomEvent.fakeStop, which Leaflet.VectorGrid 1.3 calls when an
  // interactive tile is clicked (the common map's tiles are not interactive; other code
  // using VectorGrid's own events keeps working).
  if (global.L && L.DomEvent && !L.DomEvent.fakeStop) {
    L.DomEvent.fakeStop = function (e) {
      e._stopped = true;
    };
  }

  function text(ctl, key) {
    return (ctl.config.strings && ctl.config.strings[key]) || key;
  }

  function colorFor(code) {
    var h = 0;
    for (var i = 0; i < code.length; i++) h = (h * 31 + code.charCodeAt(i)) >>> 0;
    return DEFAULT_COLORS[h % DEFAULT_COLORS.length];
  }

  function layerName(ctl, layer) {
    var en = (ctl.config.language || "").indexOf("en") === 0;
    return (en && layer.name_en) || layer.name_zh || layer.code;
  }

  /* Leaflet path options for a registry style ({color, fill, weight, dash}). */
  function pathStyle(style, geometry, code) {
    var color = (style && style.color) || colorFor(code || "");
    var out = { color: color, weight: (style && style.weight) || 2, opacity: 0.9 };
    if (style && style.dash) out.dashArray = style.dash;
    if (geometry === "polygon") {
      out.fill = !!(style && style.fill);
      out.fillColor = (style && style.fill) || color;
      out.fillOpacity = style && style.fill ? 0.55 : 0;
    } else if (geometry === "point") {
      out.radius = 5;
      out.fill = true;
      out.fillColor = (style && style.fill) || color;
      out.fillOpacity = 0.85;
      out.color = "#ffffff";
      out.weight = 1.5;
    } else {
      out.fill = false;
    }
    return out;
  }

  /* Pixel shift at zoom z that moves WGS 84 point (tile centre) to its GCJ-02 position. */
  function tileShift(map, coords, size) {
    var centre = L.point((coords.x + 0.5) * size.x, (coords.y + 0.5) * size.y);
    var ll = map.unproject(centre, coords.z);
    var g = ChinaCoords.wgs84ToGcj02(ll.lng, ll.lat);
    return map.project(L.latLng(g[1], g[0]), coords.z).subtract(centre);
  }

  /* Make a grid layer (vector tiles of WGS 84 data) follow the GCJ-02 display shift: each
   * tile is moved by the shift at its centre (within a metre at street zooms). */
  function shiftable(grid, ctl) {
    var tilePos = grid._getTilePos;
    var tiledBounds = grid._getTiledPixelBounds;
    grid._getTilePos = function (coords) {
      var pos = tilePos.call(this, coords);
      if (ctl.crsMode !== GCJ02) return pos;
      return pos.add(tileShift(this._map, coords, this.getTileSize()));
    };
    grid._getTiledPixelBounds = function (center) {
      var bounds = tiledBounds.call(this, center);
      if (ctl.crsMode !== GCJ02) return bounds;
      // Tiles whose data lands in view after the shift lie up to one shift away.
      var z = this._tileZoom;
      var here = this._map.project(center, z);
      var ll = this._map.unproject(here, z);
      var g = ChinaCoords.wgs84ToGcj02(ll.lng, ll.lat);
      var d = this._map.project(L.latLng(g[1], g[0]), z).subtract(here);
      var pad = L.point(Math.abs(d.x), Math.abs(d.y));
      return L.bounds(bounds.min.subtract(pad), bounds.max.add(pad));
    };
    return grid;
  }

  function vectorGrid(ctl, url, styles, options) {
    var grid = L.vectorGrid.protobuf(
      url,
      L.extend(
        {
          rendererFactory: L.canvas.tile,
          vectorTileLayerStyles: styles,
          // The tiles take no pointer events: clicks reach the map, identify() tests them.
          interactive: false,
          maxZoom: ctl.maxZoom,
          maxNativeZoom: 22,
          getFeatureId: function (f) {
            return f.properties && f.properties.identifier;
          },
        },
        options || {}
      )
    );
    return grid;
  }

  function trackLoading(ctl, layer) {
    var id = L.stamp(layer);
    layer.on("loading", function () {
      ctl._loading[id] = true;
      ctl._updateProgress();
    });
    layer.on("load remove", function () {
      delete ctl._loading[id];
      ctl._updateProgress();
    });
    layer.on("tileerror", function () {
      ctl.notify(text(ctl, "tilesFailed"));
    });
    return layer;
  }

  function basemapLayer(ctl, basemap) {
    if (basemap.kind === "vector") {
      var group = L.layerGroup();
      basemap.parts.forEach(function (part) {
        var styles = {};
        styles[part.code] = pathStyle(part.style, part.geometry, part.code);
        var grid = vectorGrid(ctl, part.tiles, styles, { interactive: false, minZoom: 0, pane: "tilePane" });
        trackLoading(ctl, grid);
        group.addLayer(grid);
      });
      if (basemap.labels && global.SCLabels) group.addLayer(SCLabels.layer({ url: basemap.labels, language: ctl.config.language }));
      group.options.attribution = SCHtml.escape(basemap.attribution);
      group.getAttribution = function () {
        return SCHtml.escape(basemap.attribution);
      };
      return group;
    }
    var raster = L.layerGroup();
    basemap.tiles.forEach(function (tpl) {
      var opts = { maxZoom: ctl.maxZoom, maxNativeZoom: Math.min(basemap.max_zoom, ctl.maxZoom), attribution: SCHtml.escape(basemap.attribution) };
      if (basemap.subdomains) opts.subdomains = basemap.subdomains;
      raster.addLayer(trackLoading(ctl, L.tileLayer(tpl, opts)));
    });
    raster.getAttribution = function () {
      return SCHtml.escape(basemap.attribution);
    };
    return raster;
  }

  function overlayLayer(ctl, layer) {
    var styles = {};
    styles[layer.code] = pathStyle(layer.style, layer.geometry_kind, layer.code);
    var url = ctl.config.tilesBase + layer.code + "/{z}/{x}/{y}.mvt";
    var grid = vectorGrid(ctl, url, styles, { zIndex: 10 + (layer.sort_order || 0) });
    shiftable(grid, ctl);
    trackLoading(ctl, grid);
    return grid;
  }

  function Controller(map, config) {
    this.map = map;
    this.config = config;
    this.crsMode = WGS84;
    this.basemaps = [];
    this.basemapLayers = {};
    this.activeBasemap = null;
    this.overlays = {}; // code -> {meta, layer}
    this.extraOverlays = []; // a page's own layers: {layer, name, color, group, legend}
    this.layerInfo = { groups: [], layers: {} }; // from the basemaps answer (overlays)
    this.identifyOn = config.identify !== false;
    this.maxZoom = config.maxZoom || DEFAULT_MAX_ZOOM;
    this._managed = [];
    this._loading = {}; // stamp of each tile layer still loading
    var self = this;
    this.ready = new Promise(function (resolve, reject) {
      self._resolve = resolve;
      self._reject = reject;
    });
  }

  Controller.prototype.start = function () {
    var self = this;
    var map = this.map;
    map.getContainer().classList.add("sc-map");
    this._addStatusElements();
    L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);
    this._patchGeolocation();
    map.setMaxZoom(this.maxZoom);
    map.on("click", function (e) {
      map.fire("sc:click", { latlng: self.fromDisplay(e.latlng), displayLatlng: e.latlng });
      self._identifyClick(e);
    });
    map.on("mousemove", function (e) {
      self._hover(e);
    });
    this.setProgress(true);
    var fetchJson = function (url) {
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
        if (!r.ok) throw new Error(url + " answered " + r.status);
        return r.json();
      });
    };
    Promise.all([fetchJson(this.config.basemapsUrl), fetchJson(this.config.layersUrl)])
      .then(function (results) {
        if (results[0].overlays) self.layerInfo = results[0].overlays;
        self._setup(results[0].basemaps, results[1]);
        self.setProgress(false);
        self._resolve(self);
        onReady.splice(0).forEach(function (fn) {
          fn(self);
        });
      })
      .catch(function (err) {
        self.setProgress(false);
        self.notify(text(self, "loadFailed"), true);
        self._reject(err);
      });
    return this;
  };

  Controller.prototype._setup = function (basemaps, layers) {
    var self = this;
    var map = this.map;
    this.basemaps = basemaps;
    var baseChoices = [];
    basemaps.forEach(function (b) {
      var layer = basemapLayer(self, b);
      self.basemapLayers[b.id] = layer;
      baseChoices.push([layer, b.name]);
    });
    var basemapCodes = {};
    basemaps.forEach(function (b) {
      (b.parts || []).forEach(function (p) {
        basemapCodes[p.code] = true;
      });
    });
    var overlayChoices = [];
    var startWith = this.config.overlays || [];
    this._rank = {}; // stamp of a layer -> its place in the switcher
    this._groupOf = {}; // stamp of an overlay -> its group code
    baseChoices.forEach(function (choice, i) {
      self._rank[L.stamp(choice[0])] = i - 1000;
    });
    layers
      .filter(function (l) {
        return l.active && !basemapCodes[l.code] && l.kind !== "raster";
      })
      .forEach(function (l) {
        var layer = overlayLayer(self, l);
        self.overlays[l.code] = { meta: l, layer: layer };
        var info = self.layerInfo.layers[l.code];
        var st = pathStyle(l.style, l.geometry_kind, l.code);
        // A layer with nothing in the user's scope is marked and listed last, on its own.
        var empty = !!info && !info.has_features && startWith.indexOf(l.code) < 0;
        self._place(layer, empty ? EMPTY_GROUP : info ? info.group : "", l.sort_order || 0);
        overlayChoices.push([layer, layerName(self, l), st.fillColor || st.color, empty]);
      });
    var initial = basemaps.filter(function (b) {
      return b.default;
    })[0] || basemaps[0];
    map.on("baselayerchange", function (e) {
      var chosen = basemaps.filter(function (b) {
        return self.basemapLayers[b.id] === e.layer;
      })[0];
      if (chosen) self._basemapChanged(chosen);
    });
    map.on("overlayadd overlayremove", function () {
      self._updateLegend();
    });
    if (this.config.layerSwitcher !== false) {
      // Leaflet's layer switcher takes its labels as HTML: escaped by SCHtml.html.
      var control = (this.layerControl = L.control.layers(
        {},
        {},
        {
          collapsed: true,
          position: "topright",
          sortLayers: true,
          sortFunction: function (a, b) {
            return self._rankOf(a) - self._rankOf(b);
          },
        }
      ));
      this._groupHeadings(control);
      baseChoices.forEach(function (choice) {
        control.addBaseLayer(choice[0], SCHtml.html`${choice[1]}`);
      });
      var emptyNote = text(this, "emptyLayer");
      overlayChoices.forEach(function (choice) {
        if (choice[3]) {
          control.addOverlay(
            choice[0],
            SCHtml.html`<span class="sc-swatch" style="background:${choice[2]}"></span><span class="sc-layer-empty">${choice[1]} <small>${emptyNote}</small></span>`
          );
        } else {
          control.addOverlay(choice[0], SCHtml.html`<span class="sc-swatch" style="background:${choice[2]}"></span>${choice[1]}`);
        }
      });
      control.addTo(map);
      var toggle = this.layerControl.getContainer().querySelector(".leaflet-control-layers-toggle");
      if (toggle) {
        toggle.setAttribute("title", text(this, "layers"));
        toggle.setAttribute("aria-label", text(this, "layers"));
      }
    }
    if (this.config.legend !== false) this._addLegend();
    this.basemapLayers[initial.id].addTo(map);
    this._basemapChanged(initial);
    (this.config.overlays || []).forEach(function (code) {
      self.showOverlay(code, true);
    });
    this._updateLegend();
  };

  /* Where an overlay goes in the switcher: its group's place, then its own order. */
  Controller.prototype._place = function (layer, group, order) {
    var groups = this.layerInfo.groups || [];
    var index = groups.map(function (g) {
      return g.code;
    }).indexOf(group);
    if (index < 0) index = group === EMPTY_GROUP ? groups.length + 1 : groups.length;
    this._rank[L.stamp(layer)] = index * 100000 + order;
    this._groupOf[L.stamp(layer)] = group;
  };

  Controller.prototype._rankOf = function (layer) {
    var rank = this._rank[L.stamp(layer)];
    return rank === undefined ? 1e9 : rank;
  };

  Controller.prototype._groupName = function (code) {
    if (code === EMPTY_GROUP) return text(this, "emptyGroup");
    var found = (this.layerInfo.groups || []).filter(function (g) {
      return g.code === code;
    })[0];
    return found ? found.name : "";
  };

  /* Leaflet's switcher rebuilds its lists in _update, one _addItem per layer in rank
   * order: a heading goes before the first overlay of each group. */
  Controller.prototype._groupHeadings = function (control) {
    var self = this;
    var update = control._update;
    var addItem = control._addItem;
    control._update = function () {
      this._lastGroup = null;
      return update.apply(this, arguments);
    };
    control._addItem = function (obj) {
      if (obj.overlay) {
        var group = self._groupOf[L.stamp(obj.layer)];
        var name = group && self._groupName(group);
        if (name && group !== this._lastGroup) {
          var heading = L.DomUtil.create("div", "sc-layer-group", this._overlaysList);
          heading.setAttribute("role", "heading");
          heading.setAttribute("aria-level", "3");
          heading.textContent = name;
        }
        this._lastGroup = group;
      }
      return addItem.apply(this, arguments);
    };
  };

  /* A page's own overlay (e.g. live parking): in the switcher under ``options.group``
   * (a major class code) and in the legend while shown. options: {name, color, group,
   * order, legend: [[color, label], ...]}. */
  Controller.prototype.addPageOverlay = function (layer, options) {
    var o = L.extend({ name: "", color: "#888888", group: "", order: 0, legend: [] }, options || {});
    this.extraOverlays.push({ layer: layer, name: o.name, color: o.color, legend: o.legend });
    this._place(layer, o.group, o.order);
    layer.on("add remove", this._updateLegend, this);
    if (this.layerControl) {
      this.layerControl.addOverlay(layer, SCHtml.html`<span class="sc-swatch" style="background:${o.color}"></span>${o.name}`);
    }
    this._updateLegend();
    return layer;
  };

  Controller.prototype._basemapChanged = function (basemap) {
    this.activeBasemap = basemap;
    this.map.getContainer().setAttribute("data-basemap", basemap.id);
    var mode = basemap.crs === GCJ02 ? GCJ02 : WGS84;
    if (mode !== this.crsMode) this.setCrsMode(mode);
    this._updateLegend();
  };

  /* Switch what overlays are drawn in: WGS84 (CGCS2000) or GCJ02 (Amap). */
  Controller.prototype.setCrsMode = function (mode) {
    var map = this.map;
    var centre = this.fromDisplay(map.getCenter());
    this.crsMode = mode;
    this.map.getContainer().setAttribute("data-crs", mode);
    Object.keys(this.overlays).forEach(
      function (code) {
        var layer = this.overlays[code].layer;
        if (map.hasLayer(layer)) layer.redraw();
      }.bind(this)
    );
    this._managed.forEach(
      function (item) {
        item.layer.setLatLng(this.toDisplay(item.latlng));
      }.bind(this)
    );
    // Keep the same place under the centre of the view.
    map.setView(this.toDisplay(centre), map.getZoom(), { animate: false });
    map.fire("sc:crschange", { mode: mode });
  };

  Controller.prototype.setBasemap = function (id) {
    var target = this.basemapLayers[id];
    if (!target) return false;
    var map = this.map;
    Object.keys(this.basemapLayers).forEach(
      function (other) {
        if (other !== id && map.hasLayer(this.basemapLayers[other])) map.removeLayer(this.basemapLayers[other]);
      }.bind(this)
    );
    if (!map.hasLayer(target)) {
      target.addTo(map);
      map.fire("baselayerchange", { layer: target, name: id });
    }
    if (this.layerControl) this.layerControl._update();
    return true;
  };

  Controller.prototype.showOverlay = function (code, on) {
    var entry = this.overlays[code];
    if (!entry) return false;
    if (on && !this.map.hasLayer(entry.layer)) entry.layer.addTo(this.map);
    if (!on && this.map.hasLayer(entry.layer)) this.map.removeLayer(entry.layer);
    if (this.layerControl) this.layerControl._update();
    this._updateLegend();
    return true;
  };

  /* WGS 84 / CGCS2000 latlng -> where it is drawn on the current basemap. */
  Controller.prototype.toDisplay = function (latlng) {
    var ll = L.latLng(latlng);
    if (this.crsMode !== GCJ02) return ll;
    var g = ChinaCoords.wgs84ToGcj02(ll.lng, ll.lat);
    return L.latLng(g[1], g[0]);
  };

  /* A drawn (displayed) latlng -> WGS 84 / CGCS2000. */
  Controller.prototype.fromDisplay = function (latlng) {
    var ll = L.latLng(latlng);
    if (this.crsMode !== GCJ02) return ll;
    var w = ChinaCoords.gcj02ToWgs84(ll.lng, ll.lat);
    return L.latLng(w[1], w[0]);
  };

  /* Keep a marker-like layer (setLatLng) at WGS 84 ``latlng`` whatever the basemap. */
  Controller.prototype.manage = function (layer, latlng) {
    var item = { layer: layer, latlng: L.latLng(latlng) };
    this._managed.push(item);
    layer.setLatLng(this.toDisplay(item.latlng));
    return layer;
  };

  Controller.prototype.move = function (layer, latlng) {
    this._managed.forEach(
      function (item) {
        if (item.layer === layer) {
          item.latlng = L.latLng(latlng);
          layer.setLatLng(this.toDisplay(item.latlng));
        }
      }.bind(this)
    );
  };

  Controller.prototype.unmanage = function (layer) {
    this._managed = this._managed.filter(function (item) {
      return item.layer !== layer;
    });
  };

  /* The browser reports WGS 84; the locate control draws where we say. */
  Controller.prototype._patchGeolocation = function () {
    var self = this;
    var map = this.map;
    var original = map._handleGeolocationResponse;
    map._handleGeolocationResponse = function (pos) {
      var wgs = L.latLng(pos.coords.latitude, pos.coords.longitude);
      var shown = self.toDisplay(wgs);
      var shifted = {
        coords: L.extend({}, pos.coords, { latitude: shown.lat, longitude: shown.lng }),
        timestamp: pos.timestamp,
      };
      // Copy the fields of GeolocationCoordinates (not enumerable own properties).
      ["accuracy", "altitude", "altitudeAccuracy", "heading", "speed"].forEach(function (k) {
        shifted.coords[k] = pos.coords[k];
      });
      original.call(map, shifted);
      map.fire("sc:located", { latlng: wgs, accuracy: pos.coords.accuracy });
    };
  };

  /* Geometry tests in tile pixels (even-odd rule over all rings: holes and parts). */
  function insideRings(rings, p) {
    var inside = false;
    rings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var a = ring[i];
        var b = ring[j];
        if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
      }
    });
    return inside;
  }

  function distanceToParts(parts, p, closed) {
    var best = Infinity;
    parts.forEach(function (part) {
      for (var i = 1; i < part.length; i++) best = Math.min(best, L.LineUtil.pointToSegmentDistance(p, part[i - 1], part[i]));
      if (closed && part.length > 2) best = Math.min(best, L.LineUtil.pointToSegmentDistance(p, part[part.length - 1], part[0]));
    });
    return best;
  }

  /* How a decoded feature (VectorGrid symbolizer, tile pixels) is hit by tile point p with
   * tolerance tol (tile px): {rank, distance} (points before lines before areas) or null. */
  function featureHit(f, p, tol) {
    if (f._point && !f._parts) {
      var d = f._point.distanceTo(p);
      return d <= Math.max(tol, f._radius || 0) ? { rank: 0, distance: d } : null;
    }
    if (!f._parts) return null;
    if (f instanceof L.Polygon) {
      if (insideRings(f._parts, p)) return { rank: 2, distance: 0 };
      var edge = distanceToParts(f._parts, p, true);
      return edge <= tol / 2 ? { rank: 2, distance: edge } : null;
    }
    var line = distanceToParts(f._parts, p, false);
    return line <= tol ? { rank: 1, distance: line } : null;
  }

  /* The best hit among one overlay's decoded tiles at the displayed ``latlng``. */
  function gridHit(ctl, grid, latlng, radius) {
    var map = ctl.map;
    var z = grid._tileZoom;
    if (z === undefined || !grid._vectorTiles) return null;
    var size = grid.getTileSize();
    var scale = map.getZoomScale(map.getZoom(), z); // screen px per tile px
    var tol = radius / scale;
    var here = map.project(latlng, z);
    var best = null;
    Object.keys(grid._vectorTiles).forEach(function (key) {
      var renderer = grid._vectorTiles[key];
      var coords = renderer.getCoord();
      if (coords.z !== z) return;
      var origin = coords.scaleBy(size);
      if (ctl.crsMode === GCJ02) origin = origin.add(tileShift(map, coords, size));
      var p = here.subtract(origin);
      if (p.x < -tol || p.y < -tol || p.x > size.x + tol || p.y > size.y + tol) return;
      Object.keys(renderer._layers || {}).forEach(function (id) {
        var f = renderer._layers[id];
        var hit = featureHit(f, p, tol);
        if (hit && (!best || hit.rank < best.rank || (hit.rank === best.rank && hit.distance < best.distance))) {
          best = { rank: hit.rank, distance: hit.distance * scale, properties: f.properties || {} };
        }
      });
    });
    return best;
  }

  /* Features of the shown overlays at a displayed latlng, best first: within ``radius``
   * CSS px (HIT_RADIUS: a 32 px target) of points, ``radius`` of lines, inside areas.
   * Each hit: {code, meta, properties, rank, distance (px)}. */
  Controller.prototype.identifyAt = function (latlng, radius) {
    var self = this;
    var hits = [];
    radius = radius || HIT_RADIUS;
    Object.keys(this.overlays).forEach(function (code) {
      var entry = self.overlays[code];
      if (!self.map.hasLayer(entry.layer)) return;
      var hit = gridHit(self, entry.layer, L.latLng(latlng), radius);
      if (hit) hits.push(L.extend(hit, { code: code, meta: entry.meta }));
    });
    hits.sort(function (a, b) {
      return a.rank - b.rank || a.distance - b.distance || (b.meta.sort_order || 0) - (a.meta.sort_order || 0);
    });
    return hits;
  };

  /* Popups on click (on by default; a page turns them off e.g. while drawing). */
  Controller.prototype.setIdentify = function (on) {
    this.identifyOn = !!on;
  };

  Controller.prototype._identifyClick = function (e) {
    if (!this.identifyOn) return;
    var target = e.originalEvent && e.originalEvent.target;
    // A page's own marker or shape (it opens its own popup) is not identified through.
    if (target && target.classList && target.classList.contains("leaflet-interactive")) return;
    var hits = this.identifyAt(e.latlng);
    this.map.fire("sc:identify", { hits: hits, latlng: this.fromDisplay(e.latlng), displayLatlng: e.latlng });
    if (this.identifyHandler && this.identifyHandler(hits, e) === true) return;
    if (hits.length) this.featurePopup(hits[0].meta, hits[0].properties, e.latlng, hits.length - 1);
  };

  /* A pointer cursor over features (mouse only; throttled to one test per frame). */
  Controller.prototype._hover = function (e) {
    var self = this;
    if (!this.identifyOn || this._hoverPending) return;
    this._hoverPending = true;
    L.Util.requestAnimFrame(function () {
      self._hoverPending = false;
      var over = self.identifyAt(e.latlng).length > 0;
      self.map.getContainer().classList.toggle("sc-over-feature", over);
    });
  };

  function attributeValue(ctl, value, choices) {
    if (choices && typeof value === "string" && choices[value]) return choices[value];
    if (value === true) return text(ctl, "yes");
    if (value === false) return text(ctl, "no");
    if (typeof value === "number") return value.toLocaleString(ctl.config.language || undefined);
    return String(value);
  }

  /* The popup of a feature: name, class, status, key attributes, facility page link. */
  Controller.prototype.featurePopup = function (layer, props, latlng, more) {
    if (!props) return;
    var self = this;
    var h = SCHtml.el;
    var body;
    var cls = layerName(this, layer);
    if (props.count && !props.identifier) {
      var zoomIn = h("button", { type: "button", class: "sc-popup-zoom" }, text(this, "zoomHere"));
      zoomIn.addEventListener("click", function () {
        self.map.closePopup();
        // to the layer's own zoom, where its features are drawn one by one
        var target = Math.max(layer.min_zoom || 0, self.map.getZoom() + 2);
        self.map.setView(latlng, Math.min(target, self.maxZoom));
      });
      body = h(
        "div",
        { class: "sc-feature-popup", "data-layer": layer.code },
        h("strong", { class: "sc-popup-name" }, cls),
        h("p", null, text(this, "clusterCount").replace("%(count)s", props.count)),
        zoomIn
      );
    } else {
      var info = this.layerInfo.layers[layer.code] || {};
      var labels = info.labels || {};
      var rows = [];
      if (props.status) rows.push(h("dt", null, text(this, "status")), h("dd", null, text(this, "status_" + props.status)));
      Object.keys(props)
        .filter(function (key) {
          var v = props[key];
          return !OWN_PROPERTIES[key] && v !== null && v !== undefined && v !== "";
        })
        .sort(function (a, b) {
          var keys = Object.keys(labels);
          var ia = keys.indexOf(a);
          var ib = keys.indexOf(b);
          return (ia < 0 ? 999 : ia) - (ib < 0 ? 999 : ib) || (a < b ? -1 : 1);
        })
        .forEach(function (key) {
          var choices = (info.choices || {})[key];
          rows.push(h("dt", null, labels[key] || key), h("dd", null, attributeValue(self, props[key], choices)));
        });
      body = h(
        "div",
        { class: "sc-feature-popup", "data-layer": layer.code },
        h("strong", { class: "sc-popup-name" }, props.name || cls),
        h("span", { class: "sc-popup-class" }, cls),
        rows.length ? h("dl", null, rows) : null,
        props.identifier && layer.kind === "component"
          ? h("a", { class: "sc-popup-link", href: "/facilities/" + encodeURIComponent(props.identifier) + "/" }, text(this, "openFacility"))
          : null,
        more > 0 ? h("small", { class: "sc-popup-more" }, text(this, "moreHere").replace("%(count)s", more)) : null
      );
    }
    L.popup({ maxWidth: 280, autoPanPadding: L.point(12, 12) })
      .setLatLng(latlng)
      .setContent(SCHtml.content(body))
      .openOn(this.map);
  };

  Controller.prototype._addStatusElements = function () {
    var container = this.map.getContainer();
    var bar = L.DomUtil.create("div", "sc-progress", container);
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", text(this, "loading"));
    bar.hidden = true;
    L.DomUtil.create("span", "sc-progress-bar", bar);
    this._progress = bar;
    var alert = L.DomUtil.create("div", "sc-map-alert", container);
    alert.setAttribute("role", "alert");
    alert.hidden = true;
    this._alert = alert;
  };

  /* True while the set-up runs or any tile layer is still loading tiles. */
  Controller.prototype.isLoading = function () {
    return !!this._busy || Object.keys(this._loading).length > 0;
  };

  Controller.prototype.setProgress = function (on) {
    this._busy = on;
    this._updateProgress();
  };

  Controller.prototype._updateProgress = function () {
    if (!this._progress) return;
    var busy = this.isLoading();
    this._progress.hidden = !busy;
    this.map.getContainer().setAttribute("aria-busy", busy ? "true" : "false");
  };

  Controller.prototype.notify = function (message, sticky) {
    var alert = this._alert;
    if (!alert) return;
    alert.textContent = message;
    alert.hidden = false;
    clearTimeout(this._alertTimer);
    if (!sticky) {
      this._alertTimer = setTimeout(function () {
        alert.hidden = true;
      }, 6000);
    }
  };

  Controller.prototype._addLegend = function () {
    var self = this;
    var Legend = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var box = L.DomUtil.create("section", "sc-legend leaflet-bar");
        box.setAttribute("aria-label", text(self, "legend"));
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        var details = L.DomUtil.create("details", "", box);
        details.open = window.innerWidth >= 768; // folded on phones
        var summary = L.DomUtil.create("summary", "", details);
        summary.textContent = text(self, "legend");
        self._legendBody = L.DomUtil.create("div", "sc-legend-body", details);
        return box;
      },
    });
    this.legend = new Legend().addTo(this.map);
  };

  Controller.prototype._updateLegend = function () {
    var body = this._legendBody;
    if (!body) return;
    var self = this;
    var h = SCHtml.el;
    var rows = [];
    if (this.activeBasemap) {
      rows.push(h("p", { class: "sc-legend-base" }, text(this, "basemap") + ": " + this.activeBasemap.name));
      if (this.crsMode === GCJ02) rows.push(h("p", { class: "sc-legend-note" }, text(this, "shifted")));
    }
    var shown = Object.keys(this.overlays).filter(function (code) {
      return self.map.hasLayer(self.overlays[code].layer);
    });
    var extras = this.extraOverlays.filter(function (x) {
      return self.map.hasLayer(x.layer);
    });
    var swatch = function (kind, fill, stroke) {
      var el = h("span", { class: "sc-swatch sc-swatch-" + kind });
      el.style.background = fill;
      el.style.borderColor = stroke || fill;
      return el;
    };
    var items = shown
      .map(function (code) {
        var meta = self.overlays[code].meta;
        var st = pathStyle(meta.style, meta.geometry_kind, meta.code);
        return { rank: self._rankOf(self.overlays[code].layer), li: h("li", { "data-layer": code }, swatch(meta.geometry_kind, st.fillColor || st.color, st.color), layerName(self, meta)) };
      })
      .concat(
        extras.map(function (x) {
          var keys = x.legend.length
            ? h(
                "ul",
                { class: "sc-legend-keys" },
                x.legend.map(function (k) {
                  return h("li", null, swatch("point", k[0]), k[1]);
                })
              )
            : null;
          return { rank: self._rankOf(x.layer), li: h("li", { "data-layer": "page-" + L.stamp(x.layer) }, swatch("point", x.color), x.name, keys) };
        })
      )
      .sort(function (a, b) {
        return a.rank - b.rank;
      });
    if (!items.length) rows.push(h("p", null, text(this, "noOverlays")));
    else {
      rows.push(
        h(
          "ul",
          null,
          items.map(function (item) {
            return item.li;
          })
        )
      );
    }
    SCHtml.fill(body, rows);
  };

  global.SCMap = {
    WGS84: WGS84,
    GCJ02: GCJ02,
    current: null,
    init: function (map, config) {
      var ctl = new Controller(map, config);
      global.SCMap.current = ctl;
      return ctl.start();
    },
    /* Run fn(controller) once the map's basemaps and layers are set up. */
    onReady: function (fn) {
      var ctl = global.SCMap.current;
      if (ctl && ctl.activeBasemap) fn(ctl);
      else onReady.push(fn);
    },
  };
})(window);
