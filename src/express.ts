// The one Express adapter of the package's Fetch handlers (the dashboard, the WaveSpeed webhook):
// an Express (or Connect-style) request becomes a Fetch Request and the handler's Response goes
// back through `res`. The body is handed over as it stands, never read here: the bytes a raw
// parser read, the request stream itself when no parser touched it (the handler reads it up to
// its cap, or not at all), or 'parsed' when a parser turned it into something else. No import of
// Node's modules: the subpaths that use it also run on edge runtimes.
import { fetchHeaders, leaveUnread, type ReadableLike, type RequestBody } from './request-body.js';

export interface ExpressLikeRequest extends Partial<ReadableLike> {
  method?: string;
  /** The router's mount point ('' at the root). */
  baseUrl?: string;
  originalUrl?: string;
  url?: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: unknown;
}

export interface ExpressLikeResponse {
  status(code: number): ExpressLikeResponse;
  set(name: string, value: string): ExpressLikeResponse;
  send(body: Uint8Array): unknown;
  end(): unknown;
}

/** The body as the adapter found it: bytes or a stream to read, 'parsed' by a body parser, or none. */
export type ExpressBody = RequestBody | 'parsed' | null;

/** A Fetch handler that also takes the body as found, and the router's mount point. */
export type ExpressableHandler = (request: Request, body: ExpressBody, mountPath: string) => Promise<Response>;

function isUnreadStream(req: ExpressLikeRequest): boolean {
  return Boolean(req.on && req.off && req.pause) && req.readableEnded === false;
}

function bodyOf(req: ExpressLikeRequest): ExpressBody {
  if (req.body instanceof Uint8Array) return req.body;
  if (typeof req.body === 'string') return new TextEncoder().encode(req.body);
  if (isUnreadStream(req)) return req as ReadableLike;
  // express.json() and the like leave an object; without any parser Express 5 leaves undefined
  return req.body === undefined ? null : 'parsed';
}

function requestOf(req: ExpressLikeRequest): Request {
  return new Request(new URL(req.originalUrl ?? req.url ?? '/', 'http://localhost'), {
    method: req.method ?? 'GET',
    headers: fetchHeaders(req.headers ?? {}),
  });
}

/** The Express middleware of a handler: errors go to `next`, a body left unread closes the connection. */
export function toExpress(handle: ExpressableHandler) {
  return async (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (error?: unknown) => void) => {
    try {
      const body = bodyOf(req);
      const response = await handle(requestOf(req), body, req.baseUrl ?? '');
      // unread bytes would stand in front of the next request on a kept connection
      if (body !== null && body !== 'parsed' && !(body instanceof Uint8Array) && !('getReader' in body) && leaveUnread(body)) {
        res.set('connection', 'close');
      }
      res.status(response.status);
      for (const [name, value] of response.headers) res.set(name, value);
      if (response.body) res.send(Buffer.from(await response.arrayBuffer()));
      else res.end();
    } catch (error) {
      next(error);
    }
  };
}
