// Receive LightSpeedPay webhooks: verify each one before trusting it, and handle each event once.
// LSP_WEBHOOK_SECRET=whsec_… PORT=4242 node receiver.mjs
import { createServer } from "node:http";
import { verifyWebhook } from "./webhook_verify.mjs";

const secret = process.env.LSP_WEBHOOK_SECRET;
const handled = new Set(); // in production: a table, with a unique index on the webhook-id

const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  try {
    verifyWebhook(secret, req.headers, body);
  } catch (refused) {
    res.writeHead(400).end(String(refused.message));
    return;
  }
  const event = JSON.parse(body);
  // a retry carries the same webhook-id: do the work once, but answer 2xx every time
  const id = req.headers["webhook-id"];
  if (!handled.has(id)) {
    handled.add(id);
    console.log(`verified ${event.type} ${id}: ${JSON.stringify(event.data)}`);
  }
  res.writeHead(204).end();
});

const port = Number(process.env.PORT ?? 4242);
server.listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}/webhooks`));
