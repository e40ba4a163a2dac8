/**
 * A typed wrapper of the platform's checkout.js for browsers: loads the script from the platform once, and opens
 * the hosted checkout in its modal with typed options and handlers. No Node APIs here: bundle it into your page,
 * or load dist/esm/checkout.js as an ES module.
 *
 *   const LightSpeedPay = await loadCheckout("https://pay.example.com");
 *   new LightSpeedPay({ key, order_id, handler: (r) => post("/verify", r) }).open();
 *
 * or, as a promise:
 *
 *   const paid = await payWithCheckout("https://pay.example.com", { key, order_id });   // post paid to your server
 */

/** What the handler gets once the payment succeeds: send it to your server, which checks the signature. */
export interface CheckoutSuccess {
  razorpay_payment_id: string;
  razorpay_order_id: string;
  /** hex HMAC-SHA256 of "order_id|payment_id" keyed with your key secret */
  razorpay_signature: string;
}

/** What a "payment.failed" listener gets; the modal stays open so the payer can try again. */
export interface CheckoutFailure {
  error: {
    code?: string;
    description?: string;
    reason?: string;
    metadata?: { order_id?: string; payment_id?: string };
  };
}

export interface CheckoutOptions {
  /** your API key id (lsp_test_… in test mode): never the secret */
  key: string;
  /** the order_… id your server made with POST /v1/orders */
  order_id: string;
  /** called once the payment succeeds; the modal has closed itself */
  handler?: (response: CheckoutSuccess) => void;
  modal?: {
    /** the payer closed the modal before paying (its ×, the checkout's Cancel, or the Escape key) */
    ondismiss?: () => void;
  };
  /**
   * Razorpay's other options are accepted and ignored (a page written for Razorpay works unchanged): the checkout
   * shows the order's amount and your business's name, and asks the payer nothing
   */
  prefill?: { name?: string; email?: string; contact?: string };
  amount?: number;
  currency?: string;
  name?: string;
  description?: string;
  image?: string;
  theme?: { color?: string };
  notes?: Record<string, string>;
}

/** A checkout made by checkout.js. */
export interface Checkout {
  /** shows the modal (again: nothing) */
  open(): Checkout;
  /** removes the modal without calling ondismiss */
  close(): void;
  on(event: "payment.failed", callback: (failure: CheckoutFailure) => void): Checkout;
}

/** checkout.js's `LightSpeedPay`, callable with or without `new`. */
export interface CheckoutConstructor {
  new (options: CheckoutOptions): Checkout;
  (options: CheckoutOptions): Checkout;
}

interface CheckoutWindow {
  LightSpeedPay?: CheckoutConstructor;
}

const loading = new Map<string, Promise<CheckoutConstructor>>();

/** The checkout.js address of a platform. */
export function checkoutScriptUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/checkout.js`;
}

/**
 * Loads `{baseUrl}/checkout.js` (once per address: later calls get the same promise) and resolves to its
 * `LightSpeedPay` constructor. Rejects when the script does not load (a Content-Security-Policy without the
 * platform in script-src, say).
 */
export function loadCheckout(baseUrl: string, { document: doc = globalThis.document }: { document?: Document } = {}): Promise<CheckoutConstructor> {
  const src = checkoutScriptUrl(baseUrl);
  const known = loading.get(src);
  if (known) return known;
  const promise = new Promise<CheckoutConstructor>((resolve, reject) => {
    if (!doc) {
      reject(new Error("loadCheckout runs in a browser (no document here)"));
      return;
    }
    const view = (doc.defaultView ?? globalThis) as unknown as CheckoutWindow;
    const script = doc.createElement("script");
    script.src = src;
    script.async = true;
    script.addEventListener("load", () => {
      if (typeof view.LightSpeedPay === "function") resolve(view.LightSpeedPay);
      else reject(new Error(`${src} loaded but did not define LightSpeedPay`));
    });
    script.addEventListener("error", () => {
      loading.delete(src); // a later call tries again
      script.remove();
      reject(new Error(`could not load ${src}`));
    });
    doc.head.appendChild(script);
  });
  loading.set(src, promise);
  return promise;
}

/** The payer closed the checkout before paying. */
export class CheckoutDismissedError extends Error {
  constructor() {
    super("the checkout was closed before the payment");
    this.name = "CheckoutDismissedError";
  }
}

export interface PayWithCheckoutOptions extends Omit<CheckoutOptions, "handler" | "modal"> {
  /** each failed attempt (the modal stays open for another) */
  onFailure?: (failure: CheckoutFailure) => void;
  /** aborting it closes the checkout and rejects with the signal's reason (the page moves on, a time limit) */
  signal?: AbortSignal;
  document?: Document;
}

/**
 * Loads checkout.js, opens the checkout, and resolves with what your server must verify once the payment
 * succeeds; rejects with CheckoutDismissedError when the payer closes it first, or with `signal`'s reason when it
 * is aborted (the checkout closes).
 */
export async function payWithCheckout(baseUrl: string, options: PayWithCheckoutOptions): Promise<CheckoutSuccess> {
  const { onFailure, signal, document: doc, ...checkoutOptions } = options;
  signal?.throwIfAborted();
  const LightSpeedPay = await loadCheckout(baseUrl, doc ? { document: doc } : {});
  signal?.throwIfAborted();
  return new Promise<CheckoutSuccess>((resolve, reject) => {
    const settle = (): void => signal?.removeEventListener("abort", abort);
    const checkout = new LightSpeedPay({
      ...checkoutOptions,
      handler: (paid) => {
        settle();
        resolve(paid);
      },
      modal: {
        ondismiss: () => {
          settle();
          reject(new CheckoutDismissedError());
        },
      },
    });
    function abort(): void {
      checkout.close();
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
    if (onFailure) checkout.on("payment.failed", onFailure);
    checkout.open();
  });
}
