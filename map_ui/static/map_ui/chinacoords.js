/*
 * GCJ-02 (Amap) and BD-09 (Baidu) conversions for the browser, the same published formula
 * and the same iterative inverses as gis_app/coords.py (tested against it in a browser).
 * Coordinates are (lon, lat); every function returns [lon, lat].
 */
(function (global) {
  "use strict";

  var A = 6378245.0; // Krasovsky 1940 semi-major axis
  var EE = 0.00669342162296594323; // first eccentricity squared
  var X_PI = (Math.PI * 3000.0) / 180.0;
  var TOL = 1e-12;
  var MAX_STEPS = 50;

  function inChina(lon, lat) {
    return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
  }

  // GCJ-02 minus WGS 84 (degrees) at a WGS 84 position, ignoring the China box.
  function offset(lon, lat) {
    var x = lon - 105.0;
    var y = lat - 35.0;
    var sqrtAbsX = Math.sqrt(Math.abs(x));
    var common = ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
    var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrtAbsX;
    dLat += common;
    dLat += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
    dLat += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320.0 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
    var dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrtAbsX;
    dLon += common;
    dLon += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
    dLon += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
    var radLat = (lat * Math.PI) / 180.0;
    var w = 1.0 - EE * Math.sin(radLat) * Math.sin(radLat);
    var sqrtW = Math.sqrt(w);
    var meridianRadius = (A * (1.0 - EE)) / (w * sqrtW);
    var normalRadius = A / sqrtW;
    return [
      (dLon * 180.0) / (normalRadius * Math.cos(radLat) * Math.PI),
      (dLat * 180.0) / (meridianRadius * Math.PI),
    ];
  }

  function wgs84ToGcj02(lon, lat) {
    if (!inChina(lon, lat)) return [lon, lat];
    var d = offset(lon, lat);
    return [lon + d[0], lat + d[1]];
  }

  function gcj02ToWgs84(gLon, gLat) {
    var lon = gLon;
    var lat = gLat;
    for (var i = 0; i < MAX_STEPS; i++) {
      var d = offset(lon, lat);
      var newLon = gLon - d[0];
      var newLat = gLat - d[1];
      var step = Math.max(Math.abs(newLon - lon), Math.abs(newLat - lat));
      lon = newLon;
      lat = newLat;
      if (step < TOL) break;
    }
    return inChina(lon, lat) ? [lon, lat] : [gLon, gLat];
  }

  function gcj02ToBd09(lon, lat) {
    var z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * X_PI);
    var theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI);
    return [z * Math.cos(theta) + 0.0065, z * Math.sin(theta) + 0.006];
  }

  function wgs84ToBd09(lon, lat) {
    var g = wgs84ToGcj02(lon, lat);
    return gcj02ToBd09(g[0], g[1]);
  }

  global.ChinaCoords = {
    wgs84ToGcj02: wgs84ToGcj02,
    gcj02ToWgs84: gcj02ToWgs84,
    gcj02ToBd09: gcj02ToBd09,
    wgs84ToBd09: wgs84ToBd09,
  };
})(window);
