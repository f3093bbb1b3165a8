// Serves a Fetch-API handler ((Request) => Promise<Response>) over node:http (127.0.0.1 unless
// told otherwise), for `credits dashboard --serve`, the demo and the tests: the raw body is passed
// through untouched, as a Next.js route handler gets it.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedHandler {
  url: string;
  close(): Promise<void>;
}

/** A request's body, as the bytes that arrived. */
export async function readBody(req: IncomingMessage): Promise<Buffer<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function serveFetch(handler: (request: Request) => Promise<Response>, port = 0, host = '127.0.0.1'): Promise<ServedHandler> {
  const http = createServer(async (req, res) => {
    try {
      const raw = await readBody(req);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
      const body = raw.length && req.method !== 'GET' && req.method !== 'HEAD' ? raw : undefined;
      const response = await handler(
        new Request(new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`), {
          method: req.method,
          headers,
          ...(body ? { body } : {}),
        }),
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    }
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, resolve);
  });
  const address = http.address() as AddressInfo;
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
