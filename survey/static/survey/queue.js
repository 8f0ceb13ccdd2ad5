/*
 * The offline queue (an outbox): every edit is first stored on the device, then sent to the
 * REST API in the order it was made. Edits made without a connection wait; nothing is
 * dropped. An item leaves the queue only when the server accepted it, or when the user
 * discards it.
 *
 * Items: {seq, kind: "create"|"update"|"retire"|"photo", ref (identifier, or "new-..." for a
 * component not yet created), base (the version the edit started from), body (GeoJSON
 * Feature parts), comment, before (the feature the edit started from), photo (Blob),
 * state: "pending"|"conflict"|"error", error, current (the server's feature on a 409),
 * key (the Idempotency-Key of an update or retirement)}.
 *
 * Idempotency: every request carries an Idempotency-Key that the server remembers with its
 * answer (a creation's key is its local reference). When the answer is lost (weak signal,
 * page reloaded offline) the item is sent again with the same key and the server answers
 * what it answered the first time, instead of a 409 against the surveyor's own edit. The
 * key changes only when the request itself changes (another base version).
 *
 * Versions: edits made one after the other on the same component all start from the last
 * version the device knows; when the first is accepted (version n -> n+1) the following
 * ones are moved onto n+1 ("rebased"), so a user's own chain of edits never conflicts with
 * itself. A 409 from someone else's edit stops that component's items until the user
 * chooses theirs or theirs-plus-mine.
 *
 *   var box = new SCOutbox(store, {language}); box.load(); box.add(item); box.sync();
 *   box.on(function (event, item, extra) {...}) events: changed, accepted, conflict,
 *   rejected, offline, auth, synced.
 */
(function (global) {
  "use strict";

  var API = "/api/v1/components/";

  function csrfToken() {
    var match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function isTemp(ref) {
    return typeof ref === "string" && ref.indexOf("new-") === 0;
  }

  function clone(value) {
    return value == null ? value : JSON.parse(JSON.stringify(value));
  }

  function newKey(kind) {
    var random = "";
    if (global.crypto && global.crypto.getRandomValues) {
      var bytes = new Uint8Array(12);
      global.crypto.getRandomValues(bytes);
      for (var i = 0; i < bytes.length; i++) random += (bytes[i] + 256).toString(16).slice(1);
    } else {
      random = Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
    }
    return kind + "-" + Date.now().toString(36) + "-" + random;
  }

  /* Give an update or retirement a key of its own (a creation uses its local reference). */
  function keyed(item) {
    if ((item.kind === "update" || item.kind === "retire") && !item.key) item.key = newKey(item.kind);
    return item;
  }

  /* The request changes (another base version, another kind): so does its key. */
  function rekey(item) {
    if (item.kind === "update" || item.kind === "retire") item.key = newKey(item.kind);
    return item;
  }

  function Outbox(store, options) {
    this.store = store;
    this.language = (options && options.language) || "zh-hans";
    this.items = [];
    this._listeners = [];
    this._running = null;
  }

  Outbox.prototype.on = function (fn) {
    this._listeners.push(fn);
  };

  Outbox.prototype._emit = function (event, item, extra) {
    this._listeners.forEach(function (fn) {
      try {
        fn(event, item, extra);
      } catch (err) {
        if (global.console) console.error(err);
      }
    });
  };

  Outbox.prototype.load = function () {
    var self = this;
    return this.store.all("queue").then(function (rows) {
      self.items = rows.sort(function (a, b) {
        return a.seq - b.seq;
      });
      // items queued before edits carried keys get one now, before they are sent
      var unkeyed = self.items.filter(function (item) {
        return (item.kind === "update" || item.kind === "retire") && !item.key;
      });
      unkeyed.forEach(keyed);
      return (unkeyed.length ? self.store.putMany("queue", unkeyed) : Promise.resolve()).then(function () {
        self._emit("changed");
        return self;
      });
    });
  };

  Outbox.prototype.add = function (item) {
    var self = this;
    item.state = "pending";
    item.created = new Date().toISOString();
    keyed(item);
    return this.store.put("queue", item).then(function (seq) {
      item.seq = seq;
      self.items.push(item);
      self._emit("changed", item);
      return item;
    });
  };

  Outbox.prototype.save = function (item) {
    var self = this;
    return this.store.put("queue", item).then(function () {
      self._emit("changed", item);
      return item;
    });
  };

  Outbox.prototype.remove = function (item) {
    var self = this;
    this.items = this.items.filter(function (i) {
      return i !== item;
    });
    return this.store.del("queue", item.seq).then(function () {
      self._emit("changed", item);
    });
  };

  /* Remove an item; a component never created takes its other items with it. */
  Outbox.prototype.discard = function (item) {
    var self = this;
    var doomed = [item];
    if (item.kind === "create") {
      doomed = this.items.filter(function (i) {
        return i.ref === item.ref;
      });
    }
    return Promise.all(
      doomed.map(function (i) {
        return self.remove(i);
      })
    );
  };

  Outbox.prototype.counts = function () {
    var out = { total: this.items.length, pending: 0, conflict: 0, error: 0 };
    this.items.forEach(function (i) {
      out[i.state] = (out[i.state] || 0) + 1;
    });
    return out;
  };

  Outbox.prototype.itemsFor = function (ref) {
    return this.items.filter(function (i) {
      return i.ref === ref;
    });
  };

  /* The pending create of a component not yet on the server, if any. */
  Outbox.prototype.pendingCreate = function (ref) {
    return this.items.filter(function (i) {
      return i.ref === ref && i.kind === "create";
    })[0];
  };

  Outbox.prototype._after = function (item) {
    var index = this.items.indexOf(item);
    return this.items.slice(index + 1);
  };

  /* Move the items after ``item`` on the same component from version ``from`` to ``to``. */
  Outbox.prototype._rebase = function (item, ref, from, to) {
    var changed = [];
    this._after(item).forEach(function (later) {
      if (later.ref === item.ref) {
        later.ref = ref;
        if (later.base === from || later.base == null) {
          if (later.base !== to) rekey(later);
          later.base = to;
        }
        changed.push(later);
      }
    });
    return changed.length ? this.store.putMany("queue", changed) : Promise.resolve();
  };

  Outbox.prototype._request = function (item) {
    var headers = {
      Accept: "application/json",
      "Accept-Language": this.language,
      "X-CSRFToken": csrfToken(),
    };
    var method = "POST";
    var url = API;
    var body;
    if (item.kind === "photo") {
      body = new FormData();
      body.append("image", item.photo, item.photoName || "photo.jpg");
      if (item.caption) body.append("caption", item.caption);
      url = API + item.ref + "/photos/";
    } else {
      headers["Content-Type"] = "application/json";
      if (item.kind === "create") {
        // The local reference doubles as the idempotency key: if the answer to a creation
        // is lost on a weak signal, the retry gets the component the server already made.
        headers["Idempotency-Key"] = item.ref;
        body = JSON.stringify({ type: "Feature", geometry: item.body.geometry, properties: item.body.properties, comment: item.comment });
      } else if (item.kind === "update") {
        method = "PATCH";
        url = API + item.ref + "/";
        headers["If-Match"] = '"' + item.base + '"';
        headers["Idempotency-Key"] = keyed(item).key;
        var feature = { type: "Feature", properties: item.body.properties || {}, comment: item.comment };
        if (item.body.geometry) feature.geometry = item.body.geometry;
        body = JSON.stringify(feature);
      } else if (item.kind === "retire") {
        url = API + item.ref + "/retire/";
        headers["Idempotency-Key"] = keyed(item).key;
        body = JSON.stringify({ version: item.base, comment: item.comment });
      }
    }
    return fetch(url, { method: method, headers: headers, body: body, credentials: "same-origin" }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return null;
        })
        .then(function (json) {
          return { status: response.status, body: json };
        });
    });
  };

  Outbox.prototype._accepted = function (item, body) {
    var self = this;
    var work = Promise.resolve();
    item.accepted = body; // the server's answer (a new component's identifier: body.id)
    if (item.kind === "create" && body && body.id) {
      work = this._rebase(item, body.id, null, body.properties.version);
    } else if ((item.kind === "update" || item.kind === "retire") && body && body.properties) {
      work = this._rebase(item, item.ref, item.base, body.properties.version);
    }
    return work
      .then(function () {
        if (body && body.type === "Feature") return self.store.put("features", body);
      })
      .then(function () {
        return self.remove(item);
      })
      .then(function () {
        self._emit("accepted", item, body);
      });
  };

  /* Send what can be sent, in order. Resolves to {sent, stopped?}. */
  Outbox.prototype.sync = function () {
    var self = this;
    if (this._running) return this._running;
    this._running = this._run().then(
      function (result) {
        self._running = null;
        self._emit("synced", null, result);
        return result;
      },
      function (err) {
        self._running = null;
        throw err;
      }
    );
    return this._running;
  };

  Outbox.prototype._run = function () {
    var self = this;
    var blocked = {};
    var sent = 0;
    var list = this.items.slice();
    var index = 0;
    function next() {
      if (index >= list.length) return Promise.resolve({ sent: sent });
      var item = list[index++];
      if (self.items.indexOf(item) < 0) return next();
      if (item.state !== "pending" || blocked[item.ref] || (isTemp(item.ref) && item.kind !== "create")) {
        blocked[item.ref] = true;
        return next();
      }
      return self._request(item).then(
        function (result) {
          var status = result.status;
          var body = result.body || {};
          if (status >= 200 && status < 300) {
            sent++;
            return self._accepted(item, result.body).then(next);
          }
          if (status === 401) {
            self._emit("auth", item);
            return { sent: sent, stopped: "auth" };
          }
          if (status >= 500 || status === 429) {
            return { sent: sent, stopped: "server" };
          }
          if (status === 409 && item.kind === "create" && body.field === "Idempotency-Key" && body.current) {
            // An earlier attempt created it (its answer was lost) before this creation was
            // edited further: take that component and send this version as an edit of it.
            return self._becomeEdit(item, body.current).then(function () {
              index--;
              return next();
            });
          }
          blocked[item.ref] = true;
          item.error = { status: status, detail: body.detail || "", field: body.field || null };
          if (status === 409 && body.current) {
            item.state = "conflict";
            item.current = body.current;
            return self.store
              .put("features", body.current)
              .then(function () {
                return self.save(item);
              })
              .then(function () {
                self._emit("conflict", item);
                return next();
              });
          }
          item.state = "error";
          return self.save(item).then(function () {
            self._emit("rejected", item);
            return next();
          });
        },
        function () {
          // No connection (or it dropped): everything stays queued for the next try.
          self._emit("offline", item);
          return { sent: sent, stopped: "network" };
        }
      );
    }
    return next();
  };

  /* A creation the server already made from an earlier attempt: the item becomes an edit
     of that component (later items follow it to the real identifier). */
  Outbox.prototype._becomeEdit = function (item, created) {
    var self = this;
    var version = created.properties.version;
    return this._rebase(item, created.id, null, version)
      .then(function () {
        return self.store.put("features", created);
      })
      .then(function () {
        item.kind = "update";
        item.ref = created.id;
        item.base = version;
        item.before = clone(created);
        rekey(item);
        return self.save(item);
      });
  };

  /* The server's version wins: drop my edit. */
  Outbox.prototype.keepTheirs = function (item) {
    return this.remove(item);
  };

  /* Mine on top of theirs: send my changes again, starting from their version. */
  Outbox.prototype.keepMine = function (item) {
    var from = item.base;
    var to = item.current.properties.version;
    var self = this;
    item.base = to;
    item.before = clone(item.current);
    item.state = "pending";
    item.error = null;
    rekey(item);
    delete item.current;
    var later = this._after(item).filter(function (i) {
      return i.ref === item.ref && i.base === from;
    });
    later.forEach(function (i) {
      if (i.base !== to) rekey(i);
      i.base = to;
    });
    return this.store.putMany("queue", later).then(function () {
      return self.save(item);
    });
  };

  /* Put a rejected item back after the user corrected it. */
  Outbox.prototype.retry = function (item) {
    item.state = "pending";
    item.error = null;
    rekey(item);
    return this.save(item);
  };

  function mergeAttributes(old, changes) {
    var out = clone(old || {});
    Object.keys(changes || {}).forEach(function (k) {
      if (changes[k] === null) delete out[k];
      else out[k] = changes[k];
    });
    return out;
  }

  /* The features as the user last left them: server state plus the queued edits. */
  function overlay(features, items) {
    var out = {};
    Object.keys(features).forEach(function (id) {
      out[id] = features[id];
    });
    items.forEach(function (item) {
      var f = out[item.ref];
      if (item.kind === "create") {
        out[item.ref] = {
          type: "Feature",
          id: item.ref,
          geometry: item.body.geometry,
          properties: L.extend({ identifier: null, version: 0, currency: "in_use" }, item.body.properties),
          local: item.state === "pending" ? "new" : item.state,
        };
      } else if (f && item.kind === "update") {
        var props = L.extend({}, f.properties, item.body.properties || {});
        if (item.body.properties && item.body.properties.attributes) {
          props.attributes = mergeAttributes(f.properties.attributes, item.body.properties.attributes);
        }
        out[item.ref] = {
          type: "Feature",
          id: f.id,
          geometry: item.body.geometry || f.geometry,
          properties: props,
          local: item.state === "pending" ? "changed" : item.state,
        };
      } else if (f && item.kind === "retire") {
        out[item.ref] = L.extend({}, f, { local: item.state === "pending" ? "retired" : item.state });
      }
    });
    return out;
  }

  global.SCOutbox = Outbox;
  global.SCOutbox.overlay = overlay;
  global.SCOutbox.isTemp = isTemp;
  global.SCOutbox.mergeAttributes = mergeAttributes;
})(window);
