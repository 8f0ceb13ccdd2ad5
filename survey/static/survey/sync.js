/*
 * The offline queue in the page: syncing, the queue panel (pending, refused, conflicting
 * edits), correcting a refused edit, and the "theirs vs yours" choice after a 409.
 */
(function (S) {
  "use strict";

  var Editor = S.Editor;
  var $ = S.util.$, clone = S.util.clone, same = S.util.same, positions = S.util.positions, round = S.util.round;
  var fmt = SCForm.fmt, el = SCForm.el;

  Editor.prototype.sync = function (manual) {
    var self = this;
    if (!this.outbox || !this.outbox.items.length) {
      if (manual) this.say(this.t.nothingToSync);
      return Promise.resolve({ sent: 0 });
    }
    if (!navigator.onLine) {
      if (manual) this.say(this.t.offlineWait);
      return Promise.resolve({ sent: 0, stopped: "network" });
    }
    $("sv-net").textContent = this.t.syncing;
    return this.outbox.sync().then(function (result) {
      self._network(result.stopped === "network" ? false : navigator.onLine);
      if (result.sent && !self.editing) self.say(fmt(self.t.synced, { count: result.sent }));
      if (result.stopped === "auth") self.say(self.t.sessionExpired, true);
      return result;
    });
  };

  Editor.prototype._queueEvent = function (event, item, extra) {
    if (event === "accepted") {
      if (extra && extra.type === "Feature") this.server[extra.id] = extra;
      if (item.kind === "create" && this.selected === item.ref && extra) this.selected = extra.id;
      if (item.kind === "retire") delete this.server[item.ref];
      this.render();
    } else if (event === "conflict") {
      this.server[item.ref] = item.current;
      this.render();
      this.showConflict(item);
    } else if (event === "rejected") {
      this.render();
      if (!this.editing) this.say(fmt(this.t.refused, { detail: (item.error && item.error.detail) || item.error.status }), true);
    } else if (event === "changed") {
      if (this.outbox) this._counts();
      if (this.view === "queue") this._queueList();
    } else if (event === "offline") {
      this._network(false);
    }
  };

  Editor.prototype.openQueue = function () {
    this.show("queue");
    this._queueList();
    $("sv-queue-title").focus();
  };

  Editor.prototype._queueList = function () {
    var self = this;
    var t = this.t;
    var list = $("sv-queue-list");
    list.textContent = "";
    if (!this.outbox.items.length) {
      list.appendChild(el("li", { class: "hint" }, t.queueEmpty));
      return;
    }
    this.outbox.items.forEach(function (item) {
      var f = self.shown[item.ref] || item.before;
      var li = el("li", { class: "sv-queue-item sv-state-" + item.state, "data-seq": item.seq });
      var name = f ? self._label(f) : item.ref;
      li.appendChild(el("strong", {}, t["kind_" + item.kind] + " · " + name));
      li.appendChild(el("span", { class: "sv-item-meta" }, t["state_" + item.state] + " · " + new Date(item.created).toLocaleString(self.locale) + " · " + (item.comment || "")));
      if (item.error && item.error.detail) li.appendChild(el("span", { class: "sv-queue-error" }, item.error.detail));
      var buttons = el("div", { class: "sv-buttons" });
      if (item.state === "conflict") {
        var resolve = el("button", { type: "button", class: "btn primary" }, t.resolve);
        resolve.addEventListener("click", function () {
          self.showConflict(item);
        });
        buttons.appendChild(resolve);
      }
      if (item.state === "error" && (item.kind === "create" || item.kind === "update") && self.shown[item.ref]) {
        var correct = el("button", { type: "button", class: "btn primary" }, t.correct);
        correct.addEventListener("click", function () {
          self._correct(item);
        });
        buttons.appendChild(correct);
      }
      if (item.state !== "pending") {
        var discard = el("button", { type: "button", class: "btn" }, t.discard);
        discard.addEventListener("click", function () {
          if (!window.confirm(t.discardConfirm)) return;
          self.outbox.discard(item).then(function () {
            self.render();
          });
        });
        buttons.appendChild(discard);
      }
      if (buttons.childNodes.length) li.appendChild(buttons);
      list.appendChild(li);
    });
  };

  /* Open a refused edit in the form, with the server's message next to its field. */
  Editor.prototype._correct = function (item) {
    var f = this.shown[item.ref];
    var klass = this.classes[f.properties["class"]];
    if (!klass) return;
    var error = item.error;
    if (item.kind === "create") {
      this.openForm({ kind: "create", ref: item.ref, klass: klass, geometry: clone(f.geometry), feature: f, gnss: f.properties.gnss, item: item });
    } else {
      this.openForm({ kind: "update", ref: item.ref, klass: klass, geometry: clone(f.geometry), feature: item.before, gnss: f.properties.gnss, replaces: item });
      // start from the refused values, compared with the server's state
      var p = f.properties;
      $("sv-name").value = p.name || "";
      $("sv-address").value = p.address || "";
      $("sv-status-field").value = p.status;
      $("sv-source").value = p.data_source;
      $("sv-notes").value = p.notes || "";
      this.attrs = SCForm.attributes($("sv-attrs"), klass.schema, p.attributes || {}, { english: this.english, strings: this.t });
      this.attrs.fields.forEach(function (field) {
        field.initial = ((item.before && item.before.properties.attributes) || {})[field.name];
        if (field.initial === undefined) field.initial = null;
        field.touched = true;
      });
      if (item.body.geometry) {
        this.editing.geometry = clone(item.body.geometry);
        this.editing.geometryChanged = true;
        this._showEditLayer();
      }
    }
    $("sv-comment").value = item.comment || "";
    if (error) this._fieldError(error.field, error.detail);
  };

  Editor.prototype._display = function (key, value) {
    if (value === undefined || value === null || value === "") return "—";
    if (key === "geometry") {
      return value.type === "Point" ? round(value.coordinates[1], 7) + ", " + round(value.coordinates[0], 7) : fmt(this.t.vertices, { count: positions(value).length });
    }
    if (key === "status") return this.choices.status[value] || value;
    if (key === "data_source") return this.choices.data_source[value] || value;
    if (key === "currency") return value === "retired" ? this.t.retiredValue : this.t.inUseValue;
    if (key === "gnss") return this._gnssText(value);
    if (typeof value === "object" && !Array.isArray(value)) return JSON.stringify(value);
    return String(this._value(value));
  };

  Editor.prototype.showConflict = function (item) {
    var dialog = $("sv-conflict");
    if (dialog.open) {
      if (this.conflict !== item && this.conflicts.indexOf(item) < 0) this.conflicts.push(item);
      return;
    }
    this.conflict = item;
    var t = this.t;
    var self = this;
    var theirs = item.current;
    var before = item.before || theirs;
    var mine = item.body || {};
    var rows = [];
    var klass = this.classes[theirs.properties["class"]];
    var specs = (klass && klass.schema && klass.schema.properties) || {};
    var keys = {};
    ["name", "address", "status", "data_source", "notes", "gnss", "currency"].forEach(function (k) {
      if (!same(before.properties[k], theirs.properties[k]) || (mine.properties && k in mine.properties)) keys[k] = true;
    });
    Object.keys(keys).forEach(function (k) {
      var yours = mine.properties && k in mine.properties ? mine.properties[k] : undefined;
      if (item.kind === "retire" && k === "currency") yours = "retired";
      rows.push([self._fieldLabel(k), self._display(k, before.properties[k]), self._display(k, theirs.properties[k]), yours === undefined ? t.unchanged : self._display(k, yours), k]);
    });
    if (item.kind === "retire" && !keys.currency) rows.push([this._fieldLabel("currency"), this._display("currency", "in_use"), this._display("currency", theirs.properties.currency), this._display("currency", "retired"), "currency"]);
    var attrKeys = {};
    var ba = before.properties.attributes || {};
    var ta = theirs.properties.attributes || {};
    var ma = (mine.properties && mine.properties.attributes) || {};
    Object.keys(ba).concat(Object.keys(ta), Object.keys(ma)).forEach(function (k) {
      if (!same(ba[k], ta[k]) || k in ma) attrKeys[k] = true;
    });
    Object.keys(attrKeys).forEach(function (k) {
      rows.push([self._attrLabel(k, specs[k]), self._display(k, ba[k]), self._display(k, ta[k]), k in ma ? self._display(k, ma[k]) : t.unchanged, "attributes." + k]);
    });
    if (!same(before.geometry, theirs.geometry) || mine.geometry) {
      rows.push([this._fieldLabel("geometry"), this._display("geometry", before.geometry), this._display("geometry", theirs.geometry), mine.geometry ? this._display("geometry", mine.geometry) : t.unchanged, "geometry"]);
    }
    var tbody = $("sv-conflict-table").querySelector("tbody");
    tbody.textContent = "";
    rows.forEach(function (r) {
      var tr = el("tr", { "data-field": r[4] });
      tr.appendChild(el("th", { scope: "row" }, r[0]));
      tr.appendChild(el("td", {}, r[1]));
      tr.appendChild(el("td", { class: "sv-theirs" }, r[2]));
      tr.appendChild(el("td", { class: "sv-yours" }, r[3]));
      tbody.appendChild(tr);
    });
    var when = theirs.properties.updated_at ? new Date(theirs.properties.updated_at).toLocaleString(this.locale) : "";
    $("sv-conflict-text").textContent = fmt(item.kind === "retire" ? t.conflictRetire : t.conflictText, { name: this._label(theirs), version: theirs.properties.version, time: when });
    $("sv-keep-mine").textContent = item.kind === "retire" ? t.retireAnyway : t.keepMine;
    dialog.showModal();
    $("sv-keep-mine").focus();
  };

  Editor.prototype._resolve = function (choice) {
    var self = this;
    var item = this.conflict;
    var dialog = $("sv-conflict");
    if (dialog.open) dialog.close();
    this.conflict = null;
    var work = Promise.resolve();
    if (item && choice === "theirs") {
      work = this.outbox.keepTheirs(item).then(function () {
        self.say(self.t.keptTheirs);
      });
    } else if (item && choice === "mine") {
      work = this.outbox.keepMine(item).then(function () {
        self.say(self.t.saving);
        return self.sync();
      }).then(function () {
        if (self.outbox.items.indexOf(item) < 0) {
          var f = self.server[item.ref];
          self.say(fmt(self.t.saved, { id: item.ref, version: f ? f.properties.version : "" }));
        }
      });
    }
    return work.then(function () {
      self.render();
      if (item && self.selected === item.ref && self.view === "detail") self.select(item.ref);
      var next = self.conflicts.shift();
      if (next && self.outbox.items.indexOf(next) >= 0 && next.state === "conflict") self.showConflict(next);
    });
  };
})(window.SCSurveyEditor);
