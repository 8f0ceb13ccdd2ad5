/*
 * A component's history (from the API) and retiring it (with a changeset comment).
 */
(function (S) {
  "use strict";

  var Editor = S.Editor;
  var $ = S.util.$;
  var fmt = SCForm.fmt, el = SCForm.el;

  Editor.prototype.openHistory = function (id) {
    var self = this;
    var t = this.t;
    var f = this.shown[id];
    if (!f || SCOutbox.isTemp(id)) return;
    this.show("history");
    this._historyOf = id;
    $("sv-history-title").textContent = fmt(t.historyOf, { name: this._label(f) });
    $("sv-history-title").focus();
    var list = $("sv-history-list");
    list.textContent = "";
    this.busy(true);
    fetch("/api/v1/components/" + id + "/history/", { credentials: "same-origin", headers: { Accept: "application/json", "Accept-Language": this.language } })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (rows) {
        rows.slice().reverse().forEach(function (row) {
          var li = el("li", { class: "sv-history-row", "data-version": row.version });
          li.appendChild(el("strong", {}, fmt(t.historyHead, { version: row.version, action: t["action_" + row.action] || row.action })));
          li.appendChild(el("span", { class: "sv-item-meta sv-history-who" }, (row.actor_name || row.actor) + " · " + new Date(row.time).toLocaleString(self.locale)));
          if (row.comment) li.appendChild(el("span", { class: "sv-history-comment" }, row.comment));
          if (row.action !== "create") {
            var changes = self._changeRows(row.changes || {});
            if (changes.length) {
              var dl = el("dl", { class: "sv-history-changes", "aria-label": t.changesLabel });
              changes.forEach(function (c) {
                dl.appendChild(el("dt", {}, c.label));
                var dd = el("dd", { "data-field": c.key });
                dd.appendChild(el("span", { class: "sv-old" }, c.before));
                dd.appendChild(el("span", { class: "sv-arrow", "aria-label": t.changedTo }, " → "));
                dd.appendChild(el("span", { class: "sv-new" }, c.after));
                dl.appendChild(dd);
              });
              li.appendChild(dl);
            }
          }
          list.appendChild(li);
        });
        if (!rows.length) list.appendChild(el("li", { class: "hint" }, t.historyEmpty));
      })
      .catch(function () {
        list.appendChild(el("li", { class: "hint" }, t.historyOffline));
      })
      .then(function () {
        self.busy(false);
      });
  };

  Editor.prototype._fieldLabel = function (key) {
    return this.t["field_" + key] || key;
  };

  // Fields a history row lists (derived ones such as community and grid cell follow from
  // the position and are left out), in the form's order.
  var HISTORY_FIELDS = ["name", "address", "status", "data_source", "geometry", "gnss", "competent_department", "owner", "maintainer", "notes", "currency", "initial_date", "change_date", "needs_review", "deleted"];

  /* One row per changed field of a history entry: {key, label, before, after} as text,
     attributes one by one with their labels from the class schema. */
  Editor.prototype._changeRows = function (changes) {
    var self = this;
    var rows = [];
    var organizations = {};
    (this.cfg.organizations || []).forEach(function (o) {
      organizations[o.code] = o.name;
    });
    function text(key, value) {
      if ((key === "owner" || key === "maintainer" || key === "competent_department") && organizations[value]) return organizations[value];
      if (key === "deleted") return value ? self.t.yes : self.t.no;
      return self._display(key, value);
    }
    HISTORY_FIELDS.forEach(function (key) {
      var pair = changes[key];
      if (!pair) return;
      rows.push({ key: key, label: self._fieldLabel(key), before: text(key, pair[0]), after: text(key, pair[1]) });
    });
    if (changes.attributes) {
      var before = changes.attributes[0] || {};
      var after = changes.attributes[1] || {};
      var shown = this.shown[this._historyOf];
      var klass = shown && this.classes[shown.properties["class"]];
      var specs = (klass && klass.schema && klass.schema.properties) || {};
      var keys = Object.keys(before).concat(Object.keys(after)).filter(function (k, i, all) {
        return all.indexOf(k) === i && JSON.stringify(before[k]) !== JSON.stringify(after[k]);
      });
      keys.forEach(function (k) {
        rows.push({ key: "attributes." + k, label: self._attrLabel(k, specs[k]), before: self._display(k, before[k]), after: self._display(k, after[k]) });
      });
    }
    return rows;
  };

  Editor.prototype.openRetire = function (id) {
    if (!this.shown[id] || SCOutbox.isTemp(id)) return;
    $("sv-retire-error").hidden = true;
    $("sv-retire-comment").value = "";
    $("sv-retire").showModal();
    $("sv-retire-comment").focus();
  };

  Editor.prototype.retire = function () {
    var self = this;
    var id = this.selected;
    var comment = $("sv-retire-comment").value.trim();
    if (!comment) {
      $("sv-retire-error").textContent = this.t.commentRequired;
      $("sv-retire-error").hidden = false;
      $("sv-retire-comment").setAttribute("aria-invalid", "true");
      $("sv-retire-comment").focus();
      return Promise.resolve();
    }
    $("sv-retire").close();
    var server = this.server[id];
    return this.outbox
      .add({ kind: "retire", ref: id, base: server.properties.version, body: {}, comment: comment, before: server })
      .then(function () {
        self.select(null);
        self.say(self.online ? self.t.saving : self.t.savedOffline);
        return self.sync();
      })
      .then(function () {
        if (!self.outbox.itemsFor(id).length) self.say(fmt(self.t.retired, { id: id }));
      });
  };
})(window.SCSurveyEditor);
