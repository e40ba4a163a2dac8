// A merchant's page script written against the SDK's types (compiled by the test with the SDK's pinned tsc,
// strict): both styles of @lightspeedpay/sdk/checkout, each outcome noted in window.events for the test.
import { CheckoutDismissedError, loadCheckout, payWithCheckout } from "@lightspeedpay/sdk/checkout";
import type { Checkout, CheckoutFailure, CheckoutSuccess } from "@lightspeedpay/sdk/checkout";

interface Shop {
  platform: string;
  key: string;
  order_id: string;
}

type Noted =
  | { kind: "paid"; paid: CheckoutSuccess; verified: boolean }
  | { kind: "failed"; failure: CheckoutFailure }
  | { kind: "dismissed"; name: string }
  | { kind: "aborted"; name: string }
  | { kind: "handler"; paid: CheckoutSuccess; verified: boolean }
  | { kind: "ondismiss" }
  | { kind: "loaded"; same: boolean; scripts: number }
  | { kind: "load-refused"; message: string; left: number }
  | { kind: "error"; message: string };

declare global {
  interface Window {
    events: Noted[];
  }
}

const shop = JSON.parse(document.getElementById("shop")?.textContent ?? "{}") as Shop;
const result = document.getElementById("result") as HTMLElement;
window.events = [];

function note(event: Noted): void {
  window.events.push(event);
  result.textContent = event.kind;
}

async function verify(paid: CheckoutSuccess): Promise<boolean> {
  const answer = await fetch("/verify", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(paid),
  });
  return ((await answer.json()) as { verified: boolean }).verified;
}

// the promise style: resolves once paid, rejects when the payer closes the checkout
document.getElementById("pay")?.addEventListener("click", async () => {
  try {
    const paid = await payWithCheckout(shop.platform, {
      key: shop.key,
      order_id: shop.order_id,
      prefill: { name: "Asha Verma", email: "asha@example.com" },
      onFailure: (failure) => note({ kind: "failed", failure }),
    });
    note({ kind: "paid", paid, verified: await verify(paid) });
  } catch (error) {
    if (error instanceof CheckoutDismissedError) note({ kind: "dismissed", name: error.name });
    else note({ kind: "error", message: String(error) });
  }
});

// the callback style, one checkout opened as often as the payer asks
let checkout: Checkout | undefined;
document.getElementById("callback")?.addEventListener("click", async () => {
  if (!checkout) {
    const LightSpeedPay = await loadCheckout(shop.platform);
    const again = await loadCheckout(`${shop.platform}/`);
    const scripts = document.querySelectorAll(`script[src="${shop.platform}/checkout.js"]`).length;
    note({ kind: "loaded", same: again === LightSpeedPay, scripts });
    // checkout.js's constructor works without `new`, as Razorpay's does
    checkout = LightSpeedPay({
      key: shop.key,
      order_id: shop.order_id,
      handler: async (paid) => note({ kind: "handler", paid, verified: await verify(paid) }),
      modal: { ondismiss: () => note({ kind: "ondismiss" }) },
    }).on("payment.failed", (failure) => note({ kind: "failed", failure }));
  }
  checkout.open();
});

// the page gives up on a payment (it moves on, say): aborting closes the checkout and rejects
const controls = window as unknown as { payThenAbort: () => void; abortPayment: () => void };
let controller = new AbortController();
controls.payThenAbort = () => {
  controller = new AbortController();
  payWithCheckout(shop.platform, { key: shop.key, order_id: shop.order_id, signal: controller.signal }).then(
    (paid) => note({ kind: "error", message: `paid after all: ${paid.razorpay_payment_id}` }),
    (error: Error) => note({ kind: "aborted", name: error.name }),
  );
};
controls.abortPayment = () => controller.abort();

// a platform address that serves no checkout.js: the promise rejects
(window as unknown as { loadNowhere: () => Promise<void> }).loadNowhere = async () => {
  try {
    await loadCheckout(`${location.origin}/nowhere`);
    note({ kind: "error", message: "loaded a script that is not there" });
  } catch (error) {
    const left = document.querySelectorAll('script[src$="/nowhere/checkout.js"]').length;
    note({ kind: "load-refused", message: (error as Error).message, left });
  }
};
