/*
 * Names on the offline basemap: roads, rivers, areas, parks and public facilities.
 *
 *   SCLabels.layer({url: "/tiles/labels/{z}/{x}/{y}.json", language: "zh-hans"}) -> L.Layer
 *
 * The server's label tiles (tiles/labels.py) list anchors: text, kind, rank, position and,
 * for lines, an angle. This layer fetches the tiles of the view at the map's zoom and
 * places their labels together, across tile edges: most important first (rank, then the
 * size of the feature), each kept only if its box (rotated labels: the box around the
 * rotated text) lies inside the map, clear of the map's controls and of every label placed
 * before, and a repeated name only far from its other copies. Chinese names along steep
 * lines stand upright, one character under the other. Placement runs again after every
 * move and zoom.
 * Text is set with textContent, with a halo (labels.css) so it reads on any background.
 *
 * The container carries data-state="placed" and data-zoom once the labels of the current
 * view are placed (tests wait for it); the map fires "sc:labelsplaced" ({count}).
 */
(function (global) {
  "use strict";

  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif';
  // kind -> font size (px) and weight; the colours are in labels.css (.sc-label-<kind>).
  var KINDS = {
    district: { size: 16, weight: 700 },
    street: { size: 15, weight: 700 },
    community: { size: 14, weight: 700 },
    "road-major": { size: 13, weight: 600 },
    "road-secondary": { size: 12, weight: 600 },
    "road-minor": { size: 12, weight: 400 },
    river: { size: 12, weight: 400, italic: true },
    water: { size: 12, weight: 400, italic: true },
    park: { size: 12, weight: 400 },
    poi: { size: 11, weight: 400, dot: true },
  };
  var PADDING = 3; // px kept free around each label
  var HALO = 2; // px of halo around the text
  var DOT = 8; // px: a facility's dot (its centre is the anchor), text after it
  var REPEAT_PX = 360; // the same name again only this far away (|dx| + |dy|)
  var MAX_TILES = 256; // label tiles kept in memory

  var CJK = /^[\u3000-\u303f\u3400-\u9fff\uff00-\uffef0-9]+$/; // Chinese (and digits) only
  var measurer = null;

  function font(style) {
    return (style.italic ? "italic " : "") + style.weight + " " + style.size + "px " + FONT;
  }

  function textWidth(text, style) {
    if (!measurer) measurer = document.createElement("canvas").getContext("2d");
    measurer.font = font(style);
    return measurer.measureText(text).width;
  }

  /* The box a label covers on the screen around point p (container pixels). */
  function box(label, style, p) {
    var w = textWidth(label.text, style) + 2 * HALO;
    var h = Math.ceil(style.size * 1.3) + 2 * HALO;
    if (style.dot) {
      var left = p.x - DOT / 2 - HALO; // the dot's centre is the anchor
      return { x0: left, y0: p.y - h / 2, x1: left + DOT + 3 + w, y1: p.y + h / 2, w: w, h: h };
    }
    if (upright(label)) {
      // Chinese along a steep line: characters stacked top to bottom (line height 1.05)
      var tall = Array.from(label.text).length * Math.ceil(style.size * 1.1) + 2 * HALO;
      return { x0: p.x - h / 2, y0: p.y - tall / 2, x1: p.x + h / 2, y1: p.y + tall / 2, w: h, h: tall };
    }
    var a = ((label.angle || 0) * Math.PI) / 180;
    var bw = w * Math.abs(Math.cos(a)) + h * Math.abs(Math.sin(a));
    var bh = w * Math.abs(Math.sin(a)) + h * Math.abs(Math.cos(a));
    return { x0: p.x - bw / 2, y0: p.y - bh / 2, x1: p.x + bw / 2, y1: p.y + bh / 2, w: w, h: h };
  }

  /* Chinese names along steep lines read top to bottom, unrotated (as on Chinese maps). */
  function upright(label) {
    return label.angle !== undefined && Math.abs(label.angle) > 60 && CJK.test(label.text);
  }

  function overlaps(a, b) {
    return a.x0 - PADDING < b.x1 && b.x0 - PADDING < a.x1 && a.y0 - PADDING < b.y1 && b.y0 - PADDING < a.y1;
  }

  function byImportance(a, b) {
    return a.rank - b.rank || (b.weight || 0) - (a.weight || 0) || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
  }

  /* Greedy placement: labels sorted by importance, each kept when it fits (inside the
     width x height map, clear of the obstacles' boxes and of the labels kept before). */
  function place(labels, project, width, height, obstacles) {
    var kept = (obstacles || []).map(function (b) {
      return { box: b };
    });
    var blocked = kept.length;
    var seen = {}; // text -> points where it is shown
    labels.slice().sort(byImportance).forEach(function (label) {
      var style = KINDS[label.kind];
      if (!style || !label.text) return;
      var p = project(label);
      var b = box(label, style, p);
      if (b.x0 < 0 || b.y0 < 0 || b.x1 > width || b.y1 > height) return;
      var copies = seen[label.text] || [];
      for (var i = 0; i < copies.length; i++) {
        if (Math.abs(copies[i].x - p.x) + Math.abs(copies[i].y - p.y) < REPEAT_PX) return;
      }
      for (var j = 0; j < kept.length; j++) {
        if (overlaps(b, kept[j].box)) return;
      }
      kept.push({ label: label, style: style, point: p, box: b });
      seen[label.text] = copies.concat([p]);
    });
    return kept.slice(blocked);
  }

  /* The boxes of the map's controls (zoom buttons, layer switcher, legend ...), in
     container pixels: no label goes under them. */
  function controlBoxes(map) {
    var frame = map.getContainer().getBoundingClientRect();
    var found = [];
    map
      .getContainer()
      .querySelectorAll(".leaflet-control")
      .forEach(function (el) {
        var r = el.getBoundingClientRect();
        if (!r.width || !r.height) return;
        found.push({ x0: r.left - frame.left, y0: r.top - frame.top, x1: r.right - frame.left, y1: r.bottom - frame.top });
      });
    return found;
  }

  function element(item, layerPoint) {
    var label = item.label;
    var el = document.createElement("div");
    el.className = "sc-label sc-label-" + label.kind;
    el.setAttribute("data-kind", label.kind);
    // not the ``font`` shorthand: it would reset the line height labels.css sets
    el.style.fontFamily = FONT;
    el.style.fontSize = item.style.size + "px";
    el.style.fontWeight = String(item.style.weight);
    if (item.style.italic) el.style.fontStyle = "italic";
    el.style.left = layerPoint.x + "px";
    el.style.top = layerPoint.y + "px";
    if (item.style.dot) {
      var dot = document.createElement("span");
      dot.className = "sc-label-dot";
      el.appendChild(dot);
      el.style.marginLeft = -(DOT / 2 + HALO) + "px";
    }
    var text = document.createElement("span");
    text.className = "sc-label-text";
    if (upright(label)) {
      Array.from(label.text).forEach(function (ch) {
        var one = document.createElement("span");
        one.className = "sc-label-char";
        one.textContent = ch;
        text.appendChild(one);
      });
    } else {
      text.textContent = label.text;
    }
    el.appendChild(text);
    if (upright(label)) {
      el.classList.add("sc-label-vertical");
      el.style.transform = "translate(-50%, -50%)";
    } else if (!item.style.dot) {
      el.style.transform = "translate(-50%, -50%) rotate(" + (label.angle || 0) + "deg)";
    }
    return el;
  }

  var LabelLayer = L.Layer.extend({
    options: {
      url: "",
      language: "",
      pane: "scLabels",
      minZoom: 9,
      maxZoom: 22,
      tileSize: 256,
    },

    initialize: function (options) {
      L.setOptions(this, options);
      this._tiles = new Map(); // "z/x/y" -> Promise of the tile's labels
      this._run = 0;
    },

    onAdd: function (map) {
      if (!map.getPane(this.options.pane)) {
        var pane = map.createPane(this.options.pane);
        pane.style.zIndex = 450; // above the basemap and overlays, below markers and popups
        pane.style.pointerEvents = "none";
      }
      this._container = L.DomUtil.create("div", "sc-labels", map.getPane(this.options.pane));
      this._container.setAttribute("aria-hidden", "true");
      map.on("zoomstart", this._hide, this);
      map.on("moveend", this._update, this);
      this._update();
    },

    onRemove: function (map) {
      map.off("zoomstart", this._hide, this);
      map.off("moveend", this._update, this);
      this._run++;
      L.DomUtil.remove(this._container);
      this._container = null;
    },

    _hide: function () {
      if (!this._container) return;
      this._container.style.display = "none";
      this._container.setAttribute("data-state", "moving");
    },

    _tileUrl: function (z, x, y) {
      var url = this.options.url.replace("{z}", z).replace("{x}", x).replace("{y}", y);
      if (this.options.language) url += (url.indexOf("?") < 0 ? "?" : "&") + "lang=" + encodeURIComponent(this.options.language);
      return url;
    },

    _fetch: function (z, x, y) {
      var key = z + "/" + x + "/" + y;
      var tiles = this._tiles;
      if (tiles.has(key)) return tiles.get(key);
      var promise = fetch(this._tileUrl(z, x, y), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.status === 204) return [];
          if (!response.ok) throw new Error("label tile " + key + ": " + response.status);
          return response.json().then(function (body) {
            return body.labels || [];
          });
        })
        .catch(function () {
          tiles.delete(key); // asked again next time
          return [];
        });
      if (tiles.size >= MAX_TILES) tiles.delete(tiles.keys().next().value);
      tiles.set(key, promise);
      return promise;
    },

    /* The tiles (at the label zoom) covering the view. */
    _wanted: function (z) {
      var map = this._map;
      var bounds = map.getBounds();
      var size = this.options.tileSize;
      var nw = map.project(bounds.getNorthWest(), z).divideBy(size).floor();
      var se = map.project(bounds.getSouthEast(), z).divideBy(size).floor();
      var n = Math.pow(2, z);
      var found = [];
      for (var x = Math.max(nw.x, 0); x <= Math.min(se.x, n - 1); x++) {
        for (var y = Math.max(nw.y, 0); y <= Math.min(se.y, n - 1); y++) found.push([z, x, y]);
      }
      return found;
    },

    _update: function () {
      var map = this._map;
      if (!map || !this._container) return;
      var run = ++this._run;
      var z = Math.round(map.getZoom());
      var container = this._container;
      if (z < this.options.minZoom || z > this.options.maxZoom) {
        container.replaceChildren();
        container.style.display = "";
        container.setAttribute("data-state", "placed");
        container.setAttribute("data-zoom", String(z));
        return;
      }
      var self = this;
      Promise.all(
        this._wanted(z).map(function (t) {
          return self._fetch(t[0], t[1], t[2]);
        })
      ).then(function (lists) {
        if (run !== self._run || !self._map) return;
        self._draw([].concat.apply([], lists), z);
      });
    },

    _draw: function (labels, z) {
      var map = this._map;
      var size = map.getSize();
      var project = function (label) {
        return map.latLngToContainerPoint([label.lat, label.lon]);
      };
      var kept = place(labels, project, size.x, size.y, controlBoxes(map));
      var nodes = kept.map(function (item) {
        return element(item, map.latLngToLayerPoint([item.label.lat, item.label.lon]));
      });
      var container = this._container;
      container.replaceChildren.apply(container, nodes);
      container.style.display = "";
      container.setAttribute("data-state", "placed");
      container.setAttribute("data-zoom", String(z));
      map.fire("sc:labelsplaced", { count: nodes.length });
    },
  });

  global.SCLabels = {
    layer: function (options) {
      return new LabelLayer(options);
    },
  };
})(window);
