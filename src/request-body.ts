// Request bodies read with a cap, and bodies left unread, for the servers and handlers the package
// ships (serve-fetch.ts, the WaveSpeed webhook). The cap counts the bytes as they arrive, whatever
// the headers say: a chunked body says no length, and is never read past the cap. No import: the
// webhook runs on edge runtimes too, where the body is a ReadableStream.

/** What is needed of a Node.js readable stream (node:http's IncomingMessage, Express's request). */
export interface ReadableLike {
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  off(event: 'end', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  pause(): unknown;
  read?(size?: number): unknown;
  destroy?(): unknown;
  readonly readableEnded?: boolean;
  /** node:http: the whole message arrived (read or not). */
  readonly complete?: boolean;
}

/** A body as it arrived (bytes), or as it arrives (a Web stream, a Node.js stream). */
export type RequestBody = Uint8Array | ReadableStream<Uint8Array> | ReadableLike;

/** How long a connection whose body is left unread stays open after the answer. */
const graceMs = 1000;

function concat(chunks: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/**
 * The body's bytes, or undefined when it is longer than `maxBytes`: reading stops as soon as the
 * count passes the cap (at most one chunk past it is read), and the rest is left unread.
 */
export async function readAtMost(body: RequestBody, maxBytes: number): Promise<Uint8Array | undefined> {
  if (body instanceof Uint8Array) return body.length > maxBytes ? undefined : body;
  if ('getReader' in body) return readWebStream(body, maxBytes);
  return readNodeStream(body, maxBytes);
}

async function readWebStream(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array | undefined> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concat(chunks, size);
    size += value.length;
    if (size > maxBytes) {
      void reader.cancel().catch(() => {}); // the rest is not wanted; a failure to stop reading it changes nothing here
      return undefined;
    }
    chunks.push(value);
  }
}

function readNodeStream(stream: ReadableLike, maxBytes: number): Promise<Uint8Array | undefined> {
  if (stream.readableEnded) return Promise.resolve(new Uint8Array(0));
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const detach = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Uint8Array) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      detach();
      leaveUnread(stream);
      resolve(undefined);
    };
    const onEnd = () => {
      detach();
      resolve(concat(chunks, size));
    };
    const onError = (error: Error) => {
      detach();
      reject(error);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

const finished = (stream: ReadableLike) => (stream.complete ?? false) || (stream.readableEnded ?? false);

/**
 * For a request answered before its body arrived whole (refused, or nothing to read): reads
 * nothing more of it, and closes the connection after a grace if the client is still sending.
 * Not at once: a reset while the client sends could reach it before it reads the answer.
 * Returns whether the body was left unfinished: the answer must then say `Connection: close`, or
 * a client that keeps its connections (a pooling proxy) would send its next request on one whose
 * unread bytes stand in front of it, and be reset.
 */
export function leaveUnread(stream: ReadableLike): boolean {
  if (finished(stream)) return false;
  stream.pause();
  // Takes it as being read (a chunk is buffered at most): node:http would otherwise drain the
  // rest of it after the answer, however long it is, to keep the connection for another request.
  stream.read?.(0);
  const timer = setTimeout(() => {
    if (!finished(stream)) stream.destroy?.();
  }, graceMs);
  (timer as { unref?: () => void }).unref?.();
  return true;
}

/** A Node.js request's headers (node:http's, Express's) as Fetch Headers, every value kept. */
export function fetchHeaders(headers: Record<string, string | string[] | undefined>): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      try {
        out.append(name, one);
      } catch {
        // a header the Fetch API refuses to carry says nothing the handlers read
      }
    }
  }
  return out;
}
