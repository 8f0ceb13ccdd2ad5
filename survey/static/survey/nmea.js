/*
 * NMEA 0183 sentences from a GNSS receiver (e.g. a Bluetooth RTK receiver's app that
 * shows or shares its output): GGA (position, fix quality, satellites, HDOP) and GST
 * (error estimates, from which the horizontal accuracy comes). Any talker (GP, GN, BD,
 * GB, GL, GA ...). Hand-written: the format is a few comma-separated fields and no small
 * browser library covers GGA + GST with checksums.
 *
 *   SCNmea.parse(text, now) -> {gga, gst, errors}   (the last valid GGA and GST of text)
 *   SCNmea.parseSentence(line) -> {type: "GGA"|"GST", ...}; throws Error with .code
 *   SCNmea.fixOf(quality) -> "none" | "autonomous" | "dgps" | "rtk_float" | "rtk_fixed"
 *   SCNmea.timeOf(gga, now) -> ISO 8601 UTC time of the fix (date from ``now``)
 *
 * Works in the browser (window.SCNmea) and in Node (module.exports) for tests.
 */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.SCNmea = api;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // GGA fix quality -> the platform's GNSS fix types (component gnss.fix).
  var FIX = {
    0: "none", // invalid
    1: "autonomous", // GPS/GNSS single point
    2: "dgps", // differential
    3: "autonomous", // PPS
    4: "rtk_fixed",
    5: "rtk_float",
    6: "none", // dead reckoning: not a measured position
    7: "none", // manual input
    8: "none", // simulation
    9: "dgps", // SBAS on some receivers
  };

  function fail(code, detail) {
    var err = new Error(code + (detail ? ": " + detail : ""));
    err.code = code;
    return err;
  }

  function checksum(body) {
    var sum = 0;
    for (var i = 0; i < body.length; i++) sum ^= body.charCodeAt(i);
    return sum;
  }

  function number(text) {
    if (text === undefined || text === "") return null;
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw fail("bad_number", text);
    return parseFloat(text);
  }

  /* "ddmm.mmmm" (or "dddmm.mmmm") with hemisphere -> signed decimal degrees. */
  function angle(text, hemisphere, degreeDigits) {
    if (!text) return null;
    var match = new RegExp("^(\\d{" + degreeDigits + "})(\\d{2}(?:\\.\\d+)?)$").exec(text);
    if (!match) throw fail("bad_coordinate", text);
    var minutes = parseFloat(match[2]);
    if (minutes >= 60) throw fail("bad_coordinate", text);
    var value = parseInt(match[1], 10) + minutes / 60;
    if (hemisphere === "S" || hemisphere === "W") value = -value;
    else if (hemisphere !== "N" && hemisphere !== "E") throw fail("bad_hemisphere", hemisphere);
    return value;
  }

  function clock(text) {
    var match = /^(\d{2})(\d{2})(\d{2}(?:\.\d+)?)$/.exec(text || "");
    if (!match) return null;
    return { h: parseInt(match[1], 10), m: parseInt(match[2], 10), s: parseFloat(match[3]) };
  }

  function parseSentence(line) {
    var text = String(line || "").trim();
    var match = /^\$([A-Z0-9]{2})([A-Z]{3}),([^*]*)(?:\*([0-9A-Fa-f]{2}))?$/.exec(text);
    if (!match) throw fail("not_nmea", text.slice(0, 20));
    var body = text.slice(1, match[4] === undefined ? text.length : text.lastIndexOf("*"));
    if (match[4] !== undefined && checksum(body) !== parseInt(match[4], 16)) {
      throw fail("checksum", text.slice(0, 20));
    }
    var type = match[2];
    var f = match[3].split(",");
    if (type === "GGA") {
      var quality = f[5] === "" ? 0 : parseInt(f[5], 10);
      if (isNaN(quality)) throw fail("bad_number", f[5]);
      var lat = angle(f[1], f[2], 2);
      var lon = angle(f[3], f[4], 3);
      return {
        type: "GGA",
        talker: match[1],
        time: clock(f[0]),
        lat: lat,
        lon: lon,
        quality: quality,
        fix: FIX.hasOwnProperty(quality) ? FIX[quality] : "none",
        satellites: f[6] === "" || f[6] === undefined ? null : parseInt(f[6], 10),
        hdop: number(f[7]),
        altitude: number(f[8]),
        valid: quality > 0 && lat !== null && lon !== null,
      };
    }
    if (type === "GST") {
      var latSigma = number(f[5]);
      var lonSigma = number(f[6]);
      return {
        type: "GST",
        talker: match[1],
        time: clock(f[0]),
        rms: number(f[1]),
        latSigma: latSigma,
        lonSigma: lonSigma,
        altSigma: number(f[7]),
        // horizontal accuracy: the root-sum-square of the 1-sigma lat and lon errors
        accuracy:
          latSigma === null || lonSigma === null ? null : Math.sqrt(latSigma * latSigma + lonSigma * lonSigma),
      };
    }
    throw fail("unsupported", type);
  }

  function parse(text) {
    var result = { gga: null, gst: null, errors: [] };
    String(text || "")
      .split(/[\r\n]+/)
      .forEach(function (line, index) {
        if (!line.trim()) return;
        try {
          var s = parseSentence(line);
          if (s.type === "GGA") result.gga = s;
          else result.gst = s;
        } catch (err) {
          result.errors.push({ line: index + 1, code: err.code || "not_nmea" });
        }
      });
    // A GST of another epoch does not describe this GGA's position.
    if (result.gga && result.gst && result.gga.time && result.gst.time) {
      var a = result.gga.time;
      var b = result.gst.time;
      if (a.h !== b.h || a.m !== b.m || Math.abs(a.s - b.s) > 1.0) result.gst = null;
    }
    return result;
  }

  function timeOf(gga, now) {
    if (!gga || !gga.time) return null;
    var ref = now ? new Date(now) : new Date();
    var t = new Date(
      Date.UTC(ref.getUTCFullYear(), ref.getUTCMonth(), ref.getUTCDate(), gga.time.h, gga.time.m, 0, 0) +
        Math.round(gga.time.s * 1000)
    );
    // A fix from just before midnight UTC, read just after it, is from the day before.
    if (t.getTime() - ref.getTime() > 12 * 3600 * 1000) t = new Date(t.getTime() - 24 * 3600 * 1000);
    return t.toISOString();
  }

  function fixOf(quality) {
    return FIX.hasOwnProperty(quality) ? FIX[quality] : "none";
  }

  return { parse: parse, parseSentence: parseSentence, timeOf: timeOf, fixOf: fixOf, checksum: checksum };
});
