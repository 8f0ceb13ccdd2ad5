/*
 * Form fields generated from a component class's attribute schema (JSON Schema 2020-12 as
 * the catalog writes it): enumerations as selects, numbers with min/max and their unit,
 * yes/no as switches, dates, texts with their length and pattern, lists (of choices as
 * check boxes, of texts as a comma-separated field). Each field carries
 * data-field="properties.attributes.<name>" so that an API error naming that field is
 * shown next to it.
 *
 *   var f = SCForm.attributes(container, schema, values, {english, strings});
 *   f.changes()  -> {name: value|null} of what the user changed (null clears)
 *   f.values()   -> every filled attribute
 *   f.problems() -> [{field, message}] found before sending (range, type, length, pattern)
 */
(function (global) {
  "use strict";

  var UNITS = {
    mm: "mm",
    cm: "cm",
    m: "m",
    m2: "m²",
    m3: "m³",
    l: "L",
    kv: "kV",
    w: "W",
    mpa: "MPa",
    years: "a",
    persons: "",
  };
  var UNITS_ZH = { mm: "毫米", cm: "厘米", m: "米", m2: "平方米", m3: "立方米", l: "升", kv: "千伏", w: "瓦", mpa: "兆帕", years: "年" };

  function unitOf(name, english) {
    var match = /_(mm|cm|m2|m3|m|l|kv|w|mpa|years)$/.exec(name);
    if (!match) return "";
    return english ? UNITS[match[1]] : UNITS_ZH[match[1]] || UNITS[match[1]];
  }

  /* "pipe_diameter_mm" -> "Pipe diameter (mm)". */
  function humanize(name, english) {
    var unit = unitOf(name, english);
    var base = name.replace(/_(mm|cm|m2|m3|m|l|kv|w|mpa|years)$/, "").replace(/_/g, " ");
    base = base.charAt(0).toUpperCase() + base.slice(1);
    return unit ? base + " (" + unit + ")" : base;
  }

  /* A stored choice as the reader's language names it (x-enum-labels of the localized
   * schema); the value itself is what is saved. */
  function choiceLabel(spec, value) {
    var labels = (spec && spec["x-enum-labels"]) || {};
    return labels[value] || value;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined || attrs[k] === false) return;
      node.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] == null ? "" : values[key];
    });
  }

  function rangeHint(spec, t) {
    var parts = [];
    if (spec.minimum !== undefined) parts.push("≥ " + spec.minimum);
    if (spec.exclusiveMinimum !== undefined) parts.push("> " + spec.exclusiveMinimum);
    if (spec.maximum !== undefined) parts.push("≤ " + spec.maximum);
    if (spec.maxLength !== undefined && spec.type === "string" && !spec.enum) parts.push(fmt(t.maxChars, { n: spec.maxLength }));
    return parts.join(", ");
  }

  function Field(name, spec, value, opts, index) {
    this.name = name;
    this.spec = spec;
    this.initial = value === undefined ? null : value;
    this.touched = false;
    var t = opts.strings;
    var english = opts.english;
    var id = (opts.idPrefix || "sv-attr-") + name;
    var required = (opts.required || []).indexOf(name) >= 0;
    var label = spec.title || humanize(name, english); // the schema comes localized (x-i18n)
    var unit = unitOf(name, english);
    var wrap = el("div", { class: "sv-field", "data-field": "properties.attributes." + name });
    this.wrap = wrap;
    var hintId = id + "-hint";
    var errorId = id + "-error";
    var hints = [];
    if (english && spec.description) hints.push(spec.description);
    var range = rangeHint(spec, t);
    if (range) hints.push(range);
    var described = [hints.length ? hintId : null, errorId].filter(Boolean).join(" ");
    var self = this;
    var mark = function () {
      self.touched = true;
    };

    if (spec.type === "boolean") {
      var row = el("div", { class: "sv-switch" });
      var box = el("input", { type: "checkbox", role: "switch", id: id, "aria-describedby": described });
      box.checked = this.initial === true;
      box.addEventListener("change", mark);
      row.appendChild(box);
      row.appendChild(el("label", { for: id }, label));
      wrap.appendChild(row);
      this.input = box;
      this.read = function () {
        return box.checked;
      };
    } else if (spec.type === "array" && spec.items && spec.items.enum) {
      var group = el("fieldset", { class: "sv-checks", "aria-describedby": described });
      group.appendChild(el("legend", {}, label));
      var current = this.initial || [];
      var boxes = spec.items.enum.map(function (option, i) {
        var optionId = id + "-" + i;
        var line = el("div", { class: "sv-check" });
        var cb = el("input", { type: "checkbox", id: optionId, value: option });
        cb.checked = current.indexOf(option) >= 0;
        cb.addEventListener("change", mark);
        line.appendChild(cb);
        line.appendChild(el("label", { for: optionId }, choiceLabel(spec.items, option)));
        group.appendChild(line);
        return cb;
      });
      wrap.appendChild(group);
      this.input = boxes[0];
      this.read = function () {
        var chosen = boxes
          .filter(function (b) {
            return b.checked;
          })
          .map(function (b) {
            return b.value;
          });
        return chosen.length ? chosen : null;
      };
    } else {
      wrap.appendChild(el("label", { for: id }, label + (required ? " *" : "")));
      var input;
      if (spec.enum) {
        input = el("select", { id: id, "aria-describedby": described, required: required });
        input.appendChild(el("option", { value: "" }, t.choose));
        spec.enum.forEach(function (option) {
          var o = el("option", { value: option }, choiceLabel(spec, option));
          if (option === self.initial) o.selected = true;
          input.appendChild(o);
        });
      } else if (spec.type === "integer" || spec.type === "number") {
        input = el("input", {
          id: id,
          type: "number",
          inputmode: spec.type === "integer" ? "numeric" : "decimal",
          step: spec.type === "integer" ? "1" : "any",
          min: spec.minimum !== undefined ? spec.minimum : spec.exclusiveMinimum,
          max: spec.maximum,
          "aria-describedby": described,
          required: required,
        });
        if (this.initial !== null) input.value = this.initial;
      } else if (spec.type === "array") {
        input = el("input", { id: id, type: "text", "aria-describedby": described, autocomplete: "off" });
        hints.push(t.listHint);
        if (this.initial) input.value = this.initial.join(", ");
      } else {
        input = el("input", {
          id: id,
          type: spec.format === "date" ? "date" : "text",
          maxlength: spec.maxLength,
          "aria-describedby": described,
          autocomplete: "off",
          required: required,
        });
        if (this.initial !== null) input.value = this.initial;
      }
      input.addEventListener("input", mark);
      input.addEventListener("change", mark);
      if (unit) {
        var line2 = el("div", { class: "sv-unit-row" });
        line2.appendChild(input);
        line2.appendChild(el("span", { class: "sv-unit", "aria-hidden": "true" }, unit));
        wrap.appendChild(line2);
      } else {
        wrap.appendChild(input);
      }
      this.input = input;
      this.read = function () {
        var raw = input.value.trim();
        if (raw === "") return null;
        if (spec.type === "integer" || spec.type === "number") {
          // Send what was typed; the server names the field if it is not a valid number.
          var n = Number(raw);
          return isNaN(n) ? raw : n;
        }
        if (spec.type === "array") {
          return raw
            .split(/[,，、;；]/)
            .map(function (s) {
              return s.trim();
            })
            .filter(Boolean);
        }
        return raw;
      };
    }
    this.validate = function () {
      var value = self.read();
      if (value === null || value === false) return required && value === null ? t.required : null;
      if (spec.type === "integer" || spec.type === "number") {
        if (typeof value !== "number") return t.notNumber;
        if (spec.type === "integer" && Math.floor(value) !== value) return t.wholeNumber;
        if (spec.minimum !== undefined && value < spec.minimum) return fmt(t.atLeast, { n: spec.minimum });
        if (spec.exclusiveMinimum !== undefined && value <= spec.exclusiveMinimum) return fmt(t.moreThan, { n: spec.exclusiveMinimum });
        if (spec.maximum !== undefined && value > spec.maximum) return fmt(t.atMost, { n: spec.maximum });
      } else if (spec.type === "string" && !spec.enum) {
        if (spec.maxLength !== undefined && value.length > spec.maxLength) return fmt(t.maxChars, { n: spec.maxLength });
        if (spec.pattern && !new RegExp(spec.pattern, "u").test(value)) return t.badFormat;
      } else if (spec.type === "array" && spec.maxItems !== undefined && value.length > spec.maxItems) {
        return fmt(t.tooMany, { n: spec.maxItems });
      }
      return null;
    };
    if (hints.length) wrap.appendChild(el("p", { class: "sv-hint", id: hintId }, hints.join(" · ")));
    wrap.appendChild(el("p", { class: "sv-field-error", id: errorId, role: "alert", hidden: true }));
    if (index === 0) this.first = true;
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function AttributeForm(container, schema, values, opts) {
    var props = (schema && schema.properties) || {};
    var required = (schema && schema.required) || [];
    var o = { english: opts.english, strings: opts.strings, required: required, idPrefix: opts.idPrefix };
    container.textContent = "";
    this.fields = Object.keys(props).map(function (name, i) {
      var field = new Field(name, props[name], (values || {})[name], o, i);
      container.appendChild(field.wrap);
      return field;
    });
    container.hidden = this.fields.length === 0;
  }

  /* Attributes the user changed (null: cleared). */
  AttributeForm.prototype.changes = function () {
    var out = {};
    this.fields.forEach(function (f) {
      var value = f.read();
      if (f.spec.type === "boolean" && !f.touched) return; // an untouched switch says nothing
      if (!same(value, f.initial)) out[f.name] = value;
    });
    return out;
  };

  /* Problems the browser can see before sending: [{field, message}] (the server checks
   * everything again and names the field of anything else). */
  AttributeForm.prototype.problems = function () {
    var out = [];
    this.fields.forEach(function (f) {
      var message = f.validate();
      if (message) out.push({ field: "properties.attributes." + f.name, message: message });
    });
    return out;
  };

  /* Every attribute with a value (for a new component). */
  AttributeForm.prototype.values = function () {
    var out = {};
    this.fields.forEach(function (f) {
      var value = f.read();
      if (f.spec.type === "boolean" && !f.touched && f.initial === null) return;
      if (value !== null) out[f.name] = value;
    });
    return out;
  };

  global.SCForm = {
    attributes: function (container, schema, values, opts) {
      return new AttributeForm(container, schema, values, opts);
    },
    humanize: humanize,
    choiceLabel: choiceLabel,
    unitOf: unitOf,
    fmt: fmt,
    el: el,
  };
})(window);
