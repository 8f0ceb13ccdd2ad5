/*
 * A car park's facility page (map_ui's facility page, section parking/facility_live.html):
 * its free spaces, fetched again while the page is open and shown
 * (config: extra.parking = {url, refreshSeconds, strings}).
 */
(function () {
  "use strict";

  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] == null ? "" : values[key];
    });
  }

  function LiveParking(cfg, locale) {
    this.cfg = cfg;
    this.t = cfg.strings;
    this.locale = locale;
    this.el = {
      box: document.getElementById("parking-free"),
      status: document.getElementById("parking-status"),
      updated: document.getElementById("parking-updated"),
    };
  }

  LiveParking.prototype.start = function () {
    var self = this;
    window.setInterval(function () {
      if (document.visibilityState === "visible") self.refresh();
    }, this.cfg.refreshSeconds * 1000);
  };

  LiveParking.prototype.refresh = function () {
    var self = this;
    return fetch(this.cfg.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (lot) {
        self.show(lot);
      })
      .catch(function () {
        /* keep the last known state; the time under it says how old it is */
      });
  };

  LiveParking.prototype.show = function (lot) {
    var known = lot.status !== "unknown";
    var summary = known ? fmt(this.t.free, { free: lot.free.total, capacity: lot.capacity.total }) : this.t.status_unknown;
    this.el.box.querySelector("strong").textContent = summary;
    this.el.box.className = "live-free status-" + lot.status;
    this.el.status.textContent = this.t["status_" + lot.status] || "";
    this.el.updated.textContent = lot.last_update
      ? fmt(this.t.updated, { time: new Date(lot.last_update).toLocaleString(this.locale, { dateStyle: "medium", timeStyle: "short" }) })
      : "";
    document.body.dataset.parkingRefreshed = String(Number(document.body.dataset.parkingRefreshed || 0) + 1);
  };

  SCMap.onReady(function (ctl) {
    var extra = ctl.config.extra || {};
    if (extra.parking && extra.parking.url && document.getElementById("parking-free")) {
      window.SCFacilityParking = new LiveParking(extra.parking, ctl.config.language === "en" ? "en" : "zh-CN");
      window.SCFacilityParking.start();
    }
  });
})();
