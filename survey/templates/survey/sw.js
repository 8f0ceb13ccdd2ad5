/*
 * Service worker of the surveyors' editor (scope /survey/). It keeps the app shell (the
 * page, its scripts and styles, the map's basemap and layer lists) so that the editor opens
 * without a network, and the last answers of the data the editor reads (components, map
 * tiles, history, photos) as a fallback when the network is gone. Edits are not its
 * business: the page keeps them in its own queue (IndexedDB) and sends them itself.
 */
"use strict";

var CONFIG = {{ config|safe }};
var SHELL = "sc-survey-shell-" + CONFIG.version;
var DATA = "sc-survey-data";
var DATA_LIMIT = 4000; // cached answers kept (mostly tiles); the oldest go first
var PAGE = CONFIG.shell[0];
var DATA_PATHS = /^\/(tiles\/|api\/v1\/(components|layers|component-classes)\b|map\/basemaps\.json)/;
var puts = 0;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(SHELL)
      .then(function (cache) {
        return Promise.all(
          CONFIG.shell.map(function (url) {
            return fetch(url, { credentials: "same-origin", cache: "no-cache" }).then(function (response) {
              if (response.ok && !response.redirected) return cache.put(url, response);
            });
          })
        );
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name.indexOf("sc-survey-shell-") === 0 && name !== SHELL;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

function trim() {
  return caches.open(DATA).then(function (cache) {
    return cache.keys().then(function (keys) {
      return Promise.all(
        keys.slice(0, Math.max(0, keys.length - DATA_LIMIT)).map(function (key) {
          return cache.delete(key);
        })
      );
    });
  });
}

/* Signed out: forget the page and the data this device kept for the last user. */
function forget() {
  return Promise.all([
    caches.delete(DATA),
    caches.open(SHELL).then(function (cache) {
      return cache.delete(PAGE);
    }),
  ]);
}

function networkFirst(request, cacheName, key, isPage) {
  return fetch(request)
    .then(function (response) {
      if (isPage && (response.type === "opaqueredirect" || response.redirected || response.status === 403)) {
        return forget().then(function () {
          return response;
        });
      }
      if (response.ok && response.type === "basic") {
        var copy = response.clone();
        caches.open(cacheName).then(function (cache) {
          cache.put(key || request, copy);
          if (!isPage && ++puts % 200 === 0) trim();
        });
      }
      return response;
    })
    .catch(function (error) {
      return caches.match(key || request, { ignoreSearch: isPage }).then(function (hit) {
        if (hit) return hit;
        // A vector tile never seen: draw it empty (as the server does for empty tiles).
        if (/\.mvt$/.test(new URL(request.url).pathname)) return new Response(null, { status: 204 });
        throw error;
      });
    });
}

function cacheFirst(request) {
  return caches.match(request).then(function (hit) {
    if (hit) return hit;
    return fetch(request).then(function (response) {
      if (response.ok && response.type === "basic") {
        var copy = response.clone();
        caches.open(SHELL).then(function (cache) {
          cache.put(request, copy);
        });
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (url.pathname === PAGE) event.respondWith(networkFirst(request, SHELL, PAGE, true));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request));
  } else if (DATA_PATHS.test(url.pathname)) {
    event.respondWith(networkFirst(request, DATA, null, false));
  }
});
