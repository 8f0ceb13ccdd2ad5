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
          li.appendChild(el("span", { class: "sv-item-meta" }, row.actor + " · " + new Date(row.time).toLocaleString(self.locale)));
          li.appendChild(el("span", { class: "sv-history-comment" }, row.comment));
          var fields = Object.keys(row.changes || {}).map(function (k) {
            return self._fieldLabel(k);
          });
          if (fields.length && row.action !== "create") li.appendChild(el("span", { class: "sv-item-meta" }, fmt(t.changedFields, { fields: fields.join(", ") })));
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
