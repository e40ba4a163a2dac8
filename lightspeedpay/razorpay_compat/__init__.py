"""The Razorpay-compatible face of the payments domain (`/v1/...`): Razorpay's paths, entities, statuses, ids,
auth and error body, over the same services as the native `/api/v1/...` API."""
