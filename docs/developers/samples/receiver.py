"""Receive LightSpeedPay webhooks: verify each one before trusting it, and handle each event once.
LSP_WEBHOOK_SECRET=whsec_… PORT=4242 python receiver.py"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from webhook_verify import WebhookVerificationError, verify_webhook

SECRET = os.environ["LSP_WEBHOOK_SECRET"]
handled: set[str] = set()  # in production: a table, with a unique index on the webhook-id


class Webhooks(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            verify_webhook(SECRET, self.headers, body)
        except WebhookVerificationError as refused:
            self.send_response(400)
            self.end_headers()
            self.wfile.write(str(refused).encode())
            return
        event = json.loads(body)
        # a retry carries the same webhook-id: do the work once, but answer 2xx every time
        if self.headers["webhook-id"] not in handled:
            handled.add(self.headers["webhook-id"])
            print(
                f"verified {event['type']} {self.headers['webhook-id']}: {json.dumps(event['data'])}",
                flush=True,
            )
        self.send_response(204)
        self.end_headers()


port = int(os.environ.get("PORT", "4242"))
print(f"listening on http://127.0.0.1:{port}/webhooks", flush=True)
ThreadingHTTPServer(("127.0.0.1", port), Webhooks).serve_forever()
