/*
 * The editor's storage on the device (IndexedDB), one database per user:
 *   queue    - edits not yet accepted by the server (key: seq, in the order they were made)
 *   features - the last known server state of components seen on the map (key: id)
 *   meta     - small values (last map view, last changeset comment)
 *
 *   SCStore.open(user) -> Promise<Store>; store.all(name), get(name, key), put(name, value),
 *   del(name, key) -> Promises.
 */
(function (global) {
  "use strict";

  var VERSION = 1;

  function promised(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  function Store(db) {
    this.db = db;
  }

  Store.prototype._tx = function (name, mode) {
    return this.db.transaction(name, mode).objectStore(name);
  };

  Store.prototype.all = function (name) {
    return promised(this._tx(name, "readonly").getAll());
  };

  Store.prototype.get = function (name, key) {
    return promised(this._tx(name, "readonly").get(key));
  };

  /* Resolves to the key (the new seq for queue items). */
  Store.prototype.put = function (name, value) {
    return promised(this._tx(name, "readwrite").put(value));
  };

  Store.prototype.putMany = function (name, values) {
    var tx = this.db.transaction(name, "readwrite");
    var store = tx.objectStore(name);
    values.forEach(function (v) {
      store.put(v);
    });
    return new Promise(function (resolve, reject) {
      tx.oncomplete = function () {
        resolve();
      };
      tx.onerror = function () {
        reject(tx.error);
      };
    });
  };

  Store.prototype.del = function (name, key) {
    return promised(this._tx(name, "readwrite").delete(key));
  };

  function open(user) {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open("sc-survey-" + user, VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("queue")) db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
        if (!db.objectStoreNames.contains("features")) db.createObjectStore("features", { keyPath: "id" });
        if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "key" });
      };
      request.onsuccess = function () {
        resolve(new Store(request.result));
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  global.SCStore = { open: open };
})(window);
