/*
 * The bottom sheet of the phone map pages (resident finder, find my car): three heights,
 * "peek" (the sheet's head: the page's primary actions), "half" and "full", chosen by
 * dragging the head (touch, pen or mouse: pointer events), or with the grip button
 * (Enter/Space: next height; arrow keys: up/down; Home/End). The head never scrolls, the
 * body (results) scrolls inside the sheet, so the page itself is never taller than the
 * screen. From 768 px the sheet is a side panel and does not resize.
 *
 *   var sheet = SCSheet.attach(sectionElement);
 *   sheet.set("half"); sheet.state; sheet.raise("half")  // raise: never lowers
 *   sheet.target()  // its height in px, also while it is still moving there
 *
 * The sheet's height is published as the CSS variable --sheet-h on its parent (the map's
 * bottom controls sit above it) and the state as data-state on the sheet; a "sc:sheet"
 * event ({detail: {state}}) is dispatched on the sheet after each change.
 */
(function (global) {
  "use strict";

  var STATES = ["peek", "half", "full"];
  var WIDE = "(min-width: 768px)";
  var DRAG_THRESHOLD = 6; // px before a press on the head becomes a drag
  var FLICK = 0.5; // px per ms: a quick flick goes on to the next height
  // Presses on these start no drag (they keep their own meaning: typing, scrolling chips).
  var INTERACTIVE = "input, select, textarea, a, button:not(.sheet-grip), .chips";

  function Sheet(el) {
    this.el = el;
    this.shell = el.parentElement;
    this.head = el.querySelector(".sheet-head");
    this.grip = el.querySelector(".sheet-grip");
    this.state = el.getAttribute("data-state") || "peek";
    this.drag = null;
    this.suppressClick = false;
    this.wide = global.matchMedia(WIDE);
  }

  /* Pixel heights of the three states for the current screen. */
  Sheet.prototype.heights = function () {
    var total = this.shell.clientHeight;
    var full = Math.max(0, total - 48);
    var peek = Math.min(full, Math.ceil(this.head.offsetTop + this.head.offsetHeight + 6));
    // Half: at least room for three results under the head, and never less than peek.
    var half = Math.max(Math.round(total * 0.55), peek + 200);
    return { peek: peek, half: Math.min(half, full), full: full };
  };

  Sheet.prototype.apply = function (height) {
    this.el.style.height = height + "px";
    this.shell.style.setProperty("--sheet-h", height + "px");
  };

  Sheet.prototype.set = function (state) {
    if (STATES.indexOf(state) < 0) return;
    this.state = state;
    this.el.setAttribute("data-state", state);
    if (this.wide.matches) {
      this.el.style.height = "";
      this.shell.style.removeProperty("--sheet-h");
    } else {
      this.apply(this.heights()[state]);
    }
    this.label();
    this.el.dispatchEvent(new CustomEvent("sc:sheet", { detail: { state: state } }));
  };

  /* The height the sheet has, or is moving to, in px (0 when it is a side panel). */
  Sheet.prototype.target = function () {
    return this.wide.matches ? 0 : this.heights()[this.state];
  };

  /* At least ``state`` (results arriving open the sheet, never close it). */
  Sheet.prototype.raise = function (state) {
    if (STATES.indexOf(this.state) < STATES.indexOf(state)) this.set(state);
  };

  Sheet.prototype.step = function (delta) {
    var i = Math.max(0, Math.min(STATES.length - 1, STATES.indexOf(this.state) + delta));
    this.set(STATES[i]);
  };

  Sheet.prototype.label = function () {
    if (!this.grip) return;
    var name = this.grip.getAttribute("data-label-" + this.state) || this.state;
    this.grip.setAttribute("aria-label", (this.grip.getAttribute("data-label") || "") + " " + name);
    this.grip.setAttribute("aria-expanded", this.state === "peek" ? "false" : "true");
  };

  Sheet.prototype.onDown = function (e) {
    if (this.wide.matches || (e.pointerType === "mouse" && e.button !== 0)) return;
    if (e.target.closest(INTERACTIVE)) return;
    this.drag = { id: e.pointerId, y: e.clientY, start: this.el.offsetHeight, moved: false, t: e.timeStamp, lastY: e.clientY, lastT: e.timeStamp, v: 0 };
  };

  Sheet.prototype.onMove = function (e) {
    var d = this.drag;
    if (!d || e.pointerId !== d.id) return;
    var dy = e.clientY - d.y;
    if (!d.moved) {
      if (Math.abs(dy) < DRAG_THRESHOLD) return;
      d.moved = true;
      this.el.classList.add("dragging");
    }
    e.preventDefault();
    var h = this.heights();
    this.apply(Math.max(h.peek, Math.min(h.full, d.start - dy)));
    if (e.timeStamp > d.lastT) d.v = (e.clientY - d.lastY) / (e.timeStamp - d.lastT);
    d.lastY = e.clientY;
    d.lastT = e.timeStamp;
  };

  Sheet.prototype.onUp = function (e) {
    var d = this.drag;
    if (!d || e.pointerId !== d.id) return;
    this.drag = null;
    if (!d.moved) return;
    this.el.classList.remove("dragging");
    // The click that a mouse drag ends with (same input event) is not a press of the grip;
    // a touch drag ends without one, so the flag lasts only until this event is done.
    var self = this;
    this.suppressClick = true;
    global.setTimeout(function () {
      self.suppressClick = false;
    }, 0);
    var h = this.heights();
    var now = this.el.offsetHeight;
    var target;
    if (Math.abs(d.v) >= FLICK) {
      // a flick: the next height in its direction from where the drag started
      var from = STATES.indexOf(this.state);
      target = STATES[Math.max(0, Math.min(2, from + (d.v < 0 ? 1 : -1)))];
    } else {
      target = STATES.reduce(function (best, s) {
        return Math.abs(h[s] - now) < Math.abs(h[best] - now) ? s : best;
      }, "peek");
    }
    this.set(target);
  };

  Sheet.prototype.onKey = function (e) {
    var keys = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1 };
    if (e.key in keys) this.step(keys[e.key]);
    else if (e.key === "Home") this.set("peek");
    else if (e.key === "End") this.set("full");
    else return;
    e.preventDefault();
  };

  Sheet.prototype.start = function () {
    var self = this;
    var head = this.head;
    // A drag starts on the head and follows the pointer anywhere (a mouse soon leaves the
    // head; a touch stays with the element it began on).
    head.addEventListener("pointerdown", this.onDown.bind(this));
    global.addEventListener("pointermove", this.onMove.bind(this), { passive: false });
    global.addEventListener("pointerup", this.onUp.bind(this));
    global.addEventListener("pointercancel", this.onUp.bind(this));
    if (this.grip) {
      this.grip.addEventListener("click", function () {
        if (self.suppressClick) {
          self.suppressClick = false;
          return;
        }
        // Enter, Space or a tap: the next height, and from full back down to peek.
        self.set(self.state === "full" ? "peek" : STATES[STATES.indexOf(self.state) + 1]);
      });
      this.grip.addEventListener("keydown", this.onKey.bind(this));
    }
    var resize = function () {
      self.set(self.state);
    };
    global.addEventListener("resize", resize);
    if (this.wide.addEventListener) this.wide.addEventListener("change", resize);
    this.set(this.state);
    this.el.classList.add("sheet-ready");
    return this;
  };

  global.SCSheet = {
    attach: function (el) {
      if (!el._scSheet) el._scSheet = new Sheet(el).start();
      return el._scSheet;
    },
  };
})(window);
