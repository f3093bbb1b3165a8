// Serves a Fetch-API handler ((Request) => Promise<Response>) over node:http (127.0.0.1 unless
// told otherwise), for `credits dashboard --serve`, the demo and the tests. The body reaches the
// handler as a stream, untouched (as a Next.js route handler gets it), and nothing of it is read
// unless the handler reads it: a handler that answers without it (a 401, a 405) answers at once,
// whatever its size, and a handler that reads it bounds what it reads (the webhook's cap).
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchHeaders, leaveUnread } from './request-body.js';

export interface ServedHandler {
  url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** false: the handler is given no body at all (the dashboard answers GET and HEAD only). Default true. */
  bodies?: boolean;
}

/** A request's body, as the bytes that arrived, all of them: for test tooling only (the fake provider). */
export async function readBody(req: IncomingMessage): Promise<Buffer<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The body as a stream the handler pulls: a chunk read from the request per pull, none before. */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      pull: (controller) =>
        new Promise<void>((resolve, reject) => {
          const detach = () => {
            req.off('readable', onReadable);
            req.off('end', onEnd);
            req.off('error', onError);
          };
          const onReadable = () => {
            const chunk = req.read() as Buffer | null;
            if (chunk === null) return; // more to come, or 'end'
            detach();
            controller.enqueue(chunk);
            resolve();
          };
          const onEnd = () => {
            detach();
            controller.close();
            resolve();
          };
          const onError = (error: Error) => {
            detach();
            reject(error);
          };
          req.on('readable', onReadable);
          req.on('end', onEnd);
          req.on('error', onError);
          if (req.readableEnded) onEnd();
          else onReadable();
        }),
      // The handler wants no more (a body over its cap): read nothing further.
      cancel: () => void req.pause(),
    },
    { highWaterMark: 0 },
  );
}

export async function serveFetch(
  handler: (request: Request) => Promise<Response>,
  port = 0,
  host = '127.0.0.1',
  options: ServeOptions = {},
): Promise<ServedHandler> {
  const http = createServer(async (req, res) => {
    try {
      const withBody = options.bodies !== false && req.method !== 'GET' && req.method !== 'HEAD';
      const response = await handler(
        new Request(new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`), {
          method: req.method,
          headers: fetchHeaders(req.headers),
          ...(withBody ? { body: bodyStream(req), duplex: 'half' } : {}),
        }),
      );
      const answer = Buffer.from(await response.arrayBuffer());
      const close = leaveUnread(req) ? { connection: 'close' } : {};
      res.writeHead(response.status, { ...Object.fromEntries(response.headers), ...close });
      res.end(answer);
    } catch (error) {
      const close = leaveUnread(req) ? { connection: 'close' } : {};
      res.writeHead(500, { 'content-type': 'text/plain', ...close }).end(String(error));
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
