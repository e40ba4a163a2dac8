/**
 * Lists: a list call answers a promise of its first page that is also an async iterator over every item of every
 * page, fetching the next page (keyset cursor on the native API, count and skip on /v1) only when it is reached.
 *
 *   const page = await client.payments.list({ limit: 20 });          // one page: items, next_cursor
 *   for await (const txn of client.payments.list({ status: "paid" })) { … }   // every payment
 */

export interface Page<T> {
  items: T[];
  /** the cursor of the next page, or null on the last one */
  next_cursor: string | null;
}

/** The first page (awaited), or every item (iterated with for await). */
export type PagePromise<P, T> = Promise<P> & AsyncIterable<T>;

function pagePromise<P, T>(first: Promise<P>, rest: (first: P) => AsyncGenerator<T>): PagePromise<P, T> {
  const iterable = { [Symbol.asyncIterator]: async function* () { yield* rest(await first); } };
  return Object.assign(first, iterable);
}

/** A native list: pages follow next_cursor until it is null. */
export function cursorPages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, cursor?: string): PagePromise<Page<T>, T> {
  return pagePromise(fetchPage(cursor), async function* (page) {
    for (;;) {
      yield* page.items;
      if (!page.next_cursor) return;
      page = await fetchPage(page.next_cursor);
    }
  });
}

/** A /v1 list (Razorpay's collection): pages of `count` from `skip` until a short page. */
export function offsetPages<C extends { items: T[] }, T>(
  fetchPage: (skip: number) => Promise<C>,
  count: number,
  skip = 0,
): PagePromise<C, T> {
  return pagePromise(fetchPage(skip), async function* (page) {
    for (;;) {
      yield* page.items;
      if (page.items.length < count) return;
      skip += page.items.length;
      page = await fetchPage(skip);
    }
  });
}
