/*
 * The admin's map widget for geometry fields (gis_app.admin_widgets.LeafletGeometryWidget):
 * Leaflet + leaflet-draw on the platform's offline basemap (the common map module,
 * SCMap). Each .sc-geometry-widget carries its configuration in data-config
 * ({geomType, basemapsUrl, layersUrl, tilesBase, tilejsonUrl, strings, readOnly}); the geometry lives
 * as GeoJSON in the widget's textarea, which the form posts. Drawing, editing or deleting
 * on the map rewrites the textarea; editing the textarea redraws the map.
 */
(function () {
  "use strict";

  var FIT_MAX_ZOOM = 17; // closer than this, a lone point shows no street to place it by

  var KINDS = {
    Point: ["marker"],
    LineString: ["polyline"],
    Polygon: ["polygon", "rectangle"],
  };

  function kinds(geomType) {
    var base = geomType.replace(/^Multi/, "");
    return KINDS[base] || ["polygon", "rectangle", "polyline", "marker"];
  }

  function translateDraw(t) {
    var buttons = L.drawLocal.draw.toolbar.buttons;
    buttons.polygon = t.drawPolygon;
    buttons.rectangle = t.drawRectangle;
    buttons.polyline = t.drawLine;
    buttons.marker = t.drawPoint;
    L.drawLocal.draw.toolbar.finish = { title: t.finish, text: t.finish };
    L.drawLocal.draw.toolbar.actions = { title: t.cancel, text: t.cancel };
    L.drawLocal.draw.toolbar.undo = { title: t.cancel, text: t.cancel };
    L.drawLocal.edit.toolbar.buttons.edit = t.edit;
    L.drawLocal.edit.toolbar.buttons.remove = t.remove;
    L.drawLocal.edit.toolbar.actions.save = { title: t.save, text: t.save };
    L.drawLocal.edit.toolbar.actions.cancel = { title: t.cancel, text: t.cancel };
  }

  /* The single geometries of a GeoJSON geometry (Multi* and collections split). */
  function parts(geometry) {
    if (!geometry) return [];
    if (geometry.type === "GeometryCollection") return [].concat.apply([], geometry.geometries.map(parts));
    if (geometry.type.indexOf("Multi") === 0) {
      var single = geometry.type.slice(5);
      return geometry.coordinates.map(function (c) {
        return { type: single, coordinates: c };
      });
    }
    return [geometry];
  }

  /* The field's geometry from the drawn layers (null when none). */
  function combine(geomType, geometries) {
    if (!geometries.length) return null;
    if (geomType.indexOf("Multi") === 0) {
      return {
        type: geomType,
        coordinates: geometries.map(function (g) {
          return g.coordinates;
        }),
      };
    }
    if (geomType === "GeometryCollection" || (geomType === "Geometry" && geometries.length > 1)) {
      return { type: "GeometryCollection", geometries: geometries };
    }
    return geometries[geometries.length - 1];
  }

  function Widget(box) {
    this.box = box;
    this.cfg = JSON.parse(box.getAttribute("data-config"));
    this.t = this.cfg.strings;
    this.textarea = document.getElementById(box.getAttribute("data-for"));
    this.error = box.querySelector(".sc-geometry-error");
    this.multiple = this.cfg.geomType.indexOf("Multi") === 0 || this.cfg.geomType.indexOf("Geometry") === 0;
  }

  Widget.prototype.start = function () {
    var self = this;
    var mapEl = this.box.querySelector(".sc-geometry-map");
    var map = (this.map = L.map(mapEl, { center: [30.2741, 120.1551], zoom: 14, maxZoom: 22 }));
    window.SCMap.init(map, {
      basemapsUrl: this.cfg.basemapsUrl,
      layersUrl: this.cfg.layersUrl,
      tilesBase: this.cfg.tilesBase,
      overlays: [],
      legend: false,
      layerSwitcher: false,
      strings: this.t,
      extra: {},
    });
    this.drawn = new L.FeatureGroup().addTo(map);
    if (this.cfg.readOnly) {
      // A page of someone who may view but not change: the geometry, no drawing tools.
      if (!this.load(true)) this.centreOnCity();
      this.box.setAttribute("data-ready", "true");
      return;
    }
    var draw = {};
    ["polygon", "rectangle", "polyline", "marker", "circle", "circlemarker"].forEach(function (k) {
      draw[k] = kinds(self.cfg.geomType).indexOf(k) >= 0 ? {} : false;
    });
    map.addControl(new L.Control.Draw({ draw: draw, edit: { featureGroup: this.drawn } }));
    map.on(L.Draw.Event.CREATED, function (e) {
      if (!self.multiple) self.drawn.clearLayers();
      self.drawn.addLayer(e.layer);
      self.save();
    });
    map.on(L.Draw.Event.EDITED + " " + L.Draw.Event.DELETED, function () {
      self.save();
    });
    this.textarea.addEventListener("change", function () {
      self.load(true);
    });
    if (!this.load(true)) this.centreOnCity();
    this.box.setAttribute("data-ready", "true");
  };

  /* Draw the textarea's geometry; false when it is empty or not valid. */
  Widget.prototype.load = function (fit) {
    var self = this;
    var text = this.textarea.value.trim();
    this.drawn.clearLayers();
    this.error.hidden = true;
    if (!text) return false;
    var geometry;
    try {
      geometry = JSON.parse(text);
      parts(geometry).forEach(function (g) {
        L.geoJSON(g).eachLayer(function (layer) {
          self.drawn.addLayer(layer);
        });
      });
    } catch (err) {
      this.error.textContent = this.t.invalid;
      this.error.hidden = false;
      return false;
    }
    if (fit && this.drawn.getLayers().length) this.fit();
    return true;
  };

  /* Show the whole geometry; a point (or a tiny shape) with its streets around it. */
  Widget.prototype.fit = function () {
    var bounds = this.drawn.getBounds();
    var zoom = Math.min(this.map.getBoundsZoom(bounds.pad(0.1)), FIT_MAX_ZOOM);
    this.map.setView(bounds.getCenter(), zoom, { animate: false });
  };

  Widget.prototype.save = function () {
    var geometries = this.drawn.getLayers().map(function (layer) {
      return layer.toGeoJSON(9).geometry;
    });
    var geometry = combine(this.cfg.geomType, [].concat.apply([], geometries.map(parts)));
    this.textarea.value = geometry ? JSON.stringify(geometry) : "";
    this.error.hidden = true;
  };

  Widget.prototype.centreOnCity = function () {
    var map = this.map;
    fetch(this.cfg.tilejsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (tj) {
        if (tj && tj.center) map.setView([tj.center[1], tj.center[0]], Math.max(tj.center[2], 14));
      })
      .catch(function () {});
  };

  var translated = false;

  function start() {
    var boxes = document.querySelectorAll(".sc-geometry-widget");
    boxes.forEach(function (box) {
      // Skip started widgets and the hidden template row of an inline formset.
      if (box.getAttribute("data-ready") || box.getAttribute("data-for").indexOf("__prefix__") >= 0) return;
      if (!translated && L.drawLocal) translateDraw(JSON.parse(box.getAttribute("data-config")).strings);
      translated = true;
      var widget = new Widget(box);
      box.scGeometry = widget;
      widget.start();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  document.addEventListener("formset:added", start); // a row added to an inline formset
})();
