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
 *
 * Pages use the controller: ctl.ready (a Promise), ctl.toDisplay / ctl.fromDisplay
 * (WGS 84 <-> what is drawn), ctl.manage(layer, latlng) for markers that must follow the
 * shift, ctl.setBasemap(id), ctl.showOverlay(code, on), and the map events "sc:click"
 * ({latlng: WGS 84}), "sc:located" ({latlng: WGS 84, accuracy}) and "sc:crschange".
 */
(function (global) {
  "use strict";

  var WGS84 = "wgs84";
  var GCJ02 = "gcj02";
  var DEFAULT_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
  var onReady = [];

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
          interactive: true,
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
      var opts = { maxZoom: 22, maxNativeZoom: basemap.max_zoom, attribution: SCHtml.escape(basemap.attribution) };
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
    var grid = vectorGrid(ctl, url, styles, { maxZoom: 22, zIndex: 10 + (layer.sort_order || 0) });
    shiftable(grid, ctl);
    trackLoading(ctl, grid);
    grid.on("click", function (e) {
      ctl.featurePopup(layer, e.layer && e.layer.properties, e.latlng);
    });
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
    map.on("click", function (e) {
      map.fire("sc:click", { latlng: self.fromDisplay(e.latlng), displayLatlng: e.latlng });
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
    layers
      .filter(function (l) {
        return l.active && !basemapCodes[l.code] && l.kind !== "raster";
      })
      .forEach(function (l) {
        var layer = overlayLayer(self, l);
        self.overlays[l.code] = { meta: l, layer: layer };
        var st = pathStyle(l.style, l.geometry_kind, l.code);
        overlayChoices.push([layer, layerName(self, l), st.fillColor || st.color]);
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
      var control = (this.layerControl = L.control.layers({}, {}, { collapsed: true, position: "topright" }));
      baseChoices.forEach(function (choice) {
        control.addBaseLayer(choice[0], SCHtml.html`${choice[1]}`);
      });
      overlayChoices.forEach(function (choice) {
        control.addOverlay(choice[0], SCHtml.html`<span class="sc-swatch" style="background:${choice[2]}"></span>${choice[1]}`);
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

  Controller.prototype.featurePopup = function (layer, props, latlng) {
    if (!props) return;
    var h = SCHtml.el;
    var body;
    if (props.count && !props.identifier) {
      body = h("span", null, text(this, "clusterCount").replace("%(count)s", props.count));
    } else {
      body = h(
        "span",
        null,
        h("strong", null, props.name || layerName(this, layer)),
        h("br"),
        layerName(this, layer),
        props.status ? [h("br"), text(this, "status_" + props.status)] : null,
        props.identifier && layer.kind === "component"
          ? [h("br"), h("a", { href: "/facilities/" + encodeURIComponent(props.identifier) + "/" }, text(this, "openFacility"))]
          : null
      );
    }
    L.popup().setLatLng(latlng).setContent(SCHtml.content(body)).openOn(this.map);
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
    if (!shown.length) rows.push(h("p", null, text(this, "noOverlays")));
    else {
      rows.push(
        h(
          "ul",
          null,
          shown.map(function (code) {
            var meta = self.overlays[code].meta;
            var st = pathStyle(meta.style, meta.geometry_kind, meta.code);
            var swatch = h("span", { class: "sc-swatch sc-swatch-" + meta.geometry_kind });
            swatch.style.background = st.fillColor || st.color;
            swatch.style.borderColor = st.color;
            return h("li", { "data-layer": code }, swatch, layerName(self, meta));
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
