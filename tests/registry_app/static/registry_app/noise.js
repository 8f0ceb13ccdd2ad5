/*
 * The made-up noise app's panel and layer on the residents' map (tests/registry_app):
 * a panel listing the readings of its config (extra.noise) and a page overlay "Noise
 * sensors" in the layer switcher. Text reaches the page only through SCHtml.
 */
(function () {
  "use strict";

  SCMap.onReady(function (ctl) {
    var cfg = ctl.config.extra && ctl.config.extra.noise;
    if (!cfg) return;
    var h = SCHtml.el;
    var Panel = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var items = cfg.readings.map(function (r) {
          return h("li", { class: "noise-reading" }, h("span", null, r.name), " ", h("strong", null, r.db + " dB"));
        });
        return h("section", { class: "noise-panel", "aria-label": cfg.title }, h("h2", null, cfg.title), h("ul", null, items));
      },
    });
    new Panel().addTo(ctl.map);
    var layer = L.layerGroup();
    cfg.readings.forEach(function (r, i) {
      var marker = L.circleMarker([0, 0], { radius: 8, color: "#ffffff", weight: 2, fillColor: "#8250df", fillOpacity: 0.9 });
      marker.bindTooltip(SCHtml.content(r.name + " · " + r.db + " dB"));
      layer.addLayer(marker);
      ctl.manage(marker, L.latLng(cfg.center[0] + i * 0.002, cfg.center[1]));
    });
    ctl.addPageOverlay(layer, { name: cfg.layer, color: "#8250df", legend: [["#8250df", cfg.layer]] });
    document.body.setAttribute("data-noise", "ready");
  });
})();
