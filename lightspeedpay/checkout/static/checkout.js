/*! LightSpeedPay checkout.js: opens the hosted checkout in a modal iframe and reports the result.
 *  new LightSpeedPay({key, order_id, handler, modal: {ondismiss}}).open()
 *  handler receives {razorpay_payment_id, razorpay_order_id, razorpay_signature}; verify the signature on your
 *  server: hex HMAC-SHA256 of "order_id|payment_id" keyed with your client salt. */
(function () {
  "use strict";
  var script = document.currentScript;
  var ORIGIN = script ? new URL(script.src, window.location.href).origin : window.location.origin;

  function LightSpeedPay(options) {
    if (!(this instanceof LightSpeedPay)) return new LightSpeedPay(options);
    if (!options || !options.key) throw new Error("LightSpeedPay: options.key (your client key) is required");
    if (!options.order_id) throw new Error("LightSpeedPay: options.order_id is required");
    this.options = options;
    this.listeners = {};
    this.frame = null;
    this.overlay = null;
    this._onMessage = this._onMessage.bind(this);
    this._onKey = this._onKey.bind(this);
  }

  LightSpeedPay.prototype.on = function (event, callback) {
    (this.listeners[event] = this.listeners[event] || []).push(callback);
    return this;
  };

  LightSpeedPay.prototype._emit = function (event, payload) {
    (this.listeners[event] || []).forEach(function (cb) { cb(payload); });
  };

  LightSpeedPay.prototype.open = function () {
    if (this.overlay) return this;
    var o = this.options;
    var overlay = document.createElement("div");
    overlay.setAttribute("data-lightspeedpay", "overlay");
    overlay.style.cssText = "position:fixed;inset:0;background:rgba(17,24,39,.55);z-index:2147483000;" +
      "display:flex;align-items:center;justify-content:center";
    var box = document.createElement("div");
    box.style.cssText = "position:relative;width:420px;max-width:96vw;height:620px;max-height:94vh;" +
      "background:#fff;border-radius:14px;overflow:hidden;box-shadow:0 20px 50px rgba(0,0,0,.35)";
    var close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", "Close checkout");
    close.setAttribute("data-lightspeedpay", "close");
    close.textContent = "\u00d7";
    close.style.cssText = "position:absolute;top:6px;right:10px;z-index:2;border:0;background:none;" +
      "font-size:26px;line-height:1;cursor:pointer;color:#6b7280";
    var self = this;
    close.addEventListener("click", function () { self._dismiss(); });
    var params = new URLSearchParams({ key: o.key, embed: "1", origin: window.location.origin });
    var prefill = o.prefill || {};
    ["name", "email", "contact"].forEach(function (k) { if (prefill[k]) params.set(k, prefill[k]); });
    var frame = document.createElement("iframe");
    frame.title = "LightSpeedPay checkout";
    frame.setAttribute("data-lightspeedpay", "frame");
    frame.src = ORIGIN + "/checkout/" + encodeURIComponent(o.order_id) + "?" + params.toString();
    frame.style.cssText = "border:0;width:100%;height:100%";
    frame.setAttribute("allow", "payment");
    box.appendChild(close);
    box.appendChild(frame);
    overlay.appendChild(box);
    document.body.appendChild(overlay);
    this.overlay = overlay;
    this.frame = frame;
    window.addEventListener("message", this._onMessage);
    document.addEventListener("keydown", this._onKey);
    return this;
  };

  LightSpeedPay.prototype.close = function () {
    window.removeEventListener("message", this._onMessage);
    document.removeEventListener("keydown", this._onKey);
    if (this.overlay && this.overlay.parentNode) this.overlay.parentNode.removeChild(this.overlay);
    this.overlay = null;
    this.frame = null;
  };

  LightSpeedPay.prototype._dismiss = function () {
    this.close();
    var modal = this.options.modal || {};
    if (typeof modal.ondismiss === "function") modal.ondismiss();
  };

  LightSpeedPay.prototype._onKey = function (event) {
    if (event.key === "Escape") this._dismiss();
  };

  LightSpeedPay.prototype._onMessage = function (event) {
    // only the platform's own checkout, in our own frame, may speak
    if (event.origin !== ORIGIN || !this.frame || event.source !== this.frame.contentWindow) return;
    var data = event.data || {};
    if (data.source !== "lightspeedpay") return;
    if (data.type === "payment.success") {
      this.close();
      if (typeof this.options.handler === "function") {
        this.options.handler({
          razorpay_payment_id: data.payment_id,
          razorpay_order_id: data.order_id,
          razorpay_signature: data.signature
        });
      }
    } else if (data.type === "payment.failed") {
      this._emit("payment.failed", { error: data.error || {} });
    } else if (data.type === "dismiss") {
      this._dismiss();
    }
  };

  window.LightSpeedPay = LightSpeedPay;
})();
