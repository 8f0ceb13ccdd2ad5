/*
 * SCHtml: the one way the platform's JavaScript puts data on a page.
 *
 * Data (names, codes, addresses, anything from the API or the user) never reaches HTML by
 * string concatenation: it becomes text nodes, or, where a library insists on an HTML
 * string (Leaflet's layer switcher labels, attributions), it is escaped by this module.
 * tests/test_js_escaping.py fails on any other path into innerHTML, Leaflet tooltips,
 * popups and the like.
 *
 *   SCHtml.el(tag, attrs, ...children) -> Element
 *       attrs: {class, href, title, data-*, aria-*, ...}; an href/src with a script
 *       scheme (javascript:, vbscript:, data:) is dropped. children: strings and numbers
 *       become text nodes, Nodes are appended, null/false/"" are skipped, arrays flattened.
 *   SCHtml.content(x) -> Node    content for Leaflet (bindTooltip, bindPopup, setContent):
 *       a Node as it is, anything else as text in a <span>.
 *   SCHtml.fill(parent, ...children) -> parent   replaces the children (instead of innerHTML).
 *   SCHtml.escape(value) -> string   &, <, >, " and ' escaped.
 *   SCHtml.html`<b>${value}</b>` -> string   a template whose values are all escaped.
 */
(function (global) {
  "use strict";

  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  var URL_ATTRIBUTES = { href: true, src: true, action: true, formaction: true, xlink_href: true };
  var SCRIPT_SCHEME = /^[\s\u0000-\u001f]*(javascript|vbscript|data)\s*:/i;

  function escape(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return ENTITIES[c];
    });
  }

  function html(strings) {
    var out = strings[0];
    for (var i = 1; i < strings.length; i++) out += escape(arguments[i]) + strings[i];
    return out;
  }

  function append(parent, child) {
    if (child == null || child === false || child === "") return;
    if (Array.isArray(child)) {
      child.forEach(function (c) {
        append(parent, c);
      });
    } else if (child instanceof Node) {
      parent.appendChild(child);
    } else {
      parent.appendChild(document.createTextNode(String(child)));
    }
  }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value == null || value === false) return;
      if (name.toLowerCase().indexOf("on") === 0) throw new Error("SCHtml.el: no event handler attributes (" + name + ")");
      if (URL_ATTRIBUTES[name.toLowerCase()] && SCRIPT_SCHEME.test(String(value))) return;
      node.setAttribute(name, value === true ? "" : String(value));
    });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function content(x) {
    if (x instanceof Node) return x;
    return el("span", null, x == null ? "" : String(x));
  }

  function fill(parent) {
    while (parent.firstChild) parent.removeChild(parent.firstChild);
    for (var i = 1; i < arguments.length; i++) append(parent, arguments[i]);
    return parent;
  }

  var api = { el: el, content: content, fill: fill, escape: escape };
  api.html = html; // the template tag
  global.SCHtml = api;
})(window);
