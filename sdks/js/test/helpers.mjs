// What the tests share: a loopback HTTP server whose answers a test scripts (a real server on 127.0.0.1, so the
// SDK's fetch, headers, timeouts and retries run as they do against the platform), and the platform's variables.
import { createServer } from "node:http";

// A server that records every request and answers each with the next scripted answer (the last one repeats). An
// answer is {status, headers, body} or "drop" (the connection is destroyed before any answer).
export async function scriptedServer(answers) {
  const requests = [];
  let next = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
      const answer = answers[Math.min(next++, answers.length - 1)];
      if (answer === "drop") {
        req.socket.destroy();
        return;
      }
      const body = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? {});
      res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...(answer.headers ?? {}) });
      setTimeout(() => res.end(body), answer.delayMs ?? 0);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

export const env = process.env;
export const platformAnswers = Boolean(env.LSP_API);
export const SKIP_WITHOUT_PLATFORM = platformAnswers ? false : "LSP_API is not set (run by tests/sdks/test_js_sdk.py)";
