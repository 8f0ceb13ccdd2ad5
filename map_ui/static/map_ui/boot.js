/*
 * Creates the common map of a page from its element (no inline script: the page's
 * Content-Security-Policy forbids it). The folium-built element carries Leaflet's options
 * in data-sc-map ({center, crs, options, locate, config}); "config" names the JSON data
 * block with the map module's configuration. Runs at DOMContentLoaded, before the page's
 * own modules (they are loaded after this file), so SCMap.current exists when they start.
 */
(function () {
  "use strict";

  function start() {
    document.querySelectorAll("[data-sc-map]").forEach(function (el) {
      if (el._leaflet_id) return;
      var boot = JSON.parse(el.getAttribute("data-sc-map"));
      var config = JSON.parse(document.getElementById(boot.config).textContent);
      var options = L.extend({ center: boot.center, crs: L.CRS[boot.crs] || L.CRS.EPSG3857 }, boot.options);
      var map = L.map(el, options);
      window.SCMap.init(map, config);
      if (boot.locate && L.control.locate) L.control.locate(boot.locate).addTo(map);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
