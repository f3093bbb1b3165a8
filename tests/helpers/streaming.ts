// Bodies made as they are read, to see where a server stops reading (or that it never starts):
// a stream that counts the bytes taken from it, and a chunked POST to 127.0.0.1 that sends a
// chunk at a time and says how much it had sent when the answer came. Both bounded in size;
// the POST in time too.
import http from 'node:http';

/** A body of `total` bytes made as it is read; `pulled()` is how many bytes were taken so far. */
export function lazyBody(total: number, chunkBytes = 64 * 1024): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled >= total) return controller.close();
        const size = Math.min(chunkBytes, total - pulled);
        pulled += size;
        controller.enqueue(new Uint8Array(size).fill(0x78));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled };
}

export interface StreamedRequest {
  /** The answer's status; undefined when none came (the time ran out, or the connection was reset first). */
  status: number | undefined;
  /** The bytes of body written when the answer came (written to the socket: what the server got is at most this). */
  sentBeforeAnswer: number | undefined;
  /** Whether the whole body (`limit` bytes) was written before the answer: the server waited for all of it. */
  sentAll: boolean;
  /** The answer's Connection header: 'close' when the server will not take another request on it. */
  connection: string | undefined;
}

export interface StreamOptions {
  method?: string;
  headers?: Record<string, string>;
  /** The body's length: written whole, then the request ended, if no answer came meanwhile. */
  limit: number;
  chunkBytes?: number;
  /** The pause after each chunk, so that the server can answer between two. */
  pauseMs?: number;
  /** Pauses while fewer bytes than this were sent (default: all along); then as fast as the server reads. */
  paceBytes?: number;
  timeoutMs?: number;
}

/**
 * Sends a chunked body of at most `limit` bytes to `url` (127.0.0.1 only), a chunk at a time,
 * and stops at the answer: an answer that came while the body was still being sent was given
 * without waiting for it.
 */
export function streamUntilAnswered(url: string, options: StreamOptions): Promise<StreamedRequest> {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1') throw new Error(`streamUntilAnswered sends to 127.0.0.1 only, not ${target.hostname}`);
  const { limit, chunkBytes = 16 * 1024, pauseMs = 2, paceBytes = limit, timeoutMs = 30_000 } = options;
  return new Promise((resolve) => {
    let sent = 0;
    let sentAll = false;
    let answer: { status: number; sent: number; connection: string | undefined } | undefined;
    let done = false;
    let wake: () => void = () => {};
    const request = http.request({
      host: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      method: options.method ?? 'POST',
      // keep-alive, as a pooling proxy sends it: the answer says whether the connection is reused
      headers: { connection: 'keep-alive', ...options.headers, 'transfer-encoding': 'chunked' },
      agent: false,
    });
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      wake();
      request.destroy();
      resolve({ status: answer?.status, sentBeforeAnswer: answer?.sent, sentAll, connection: answer?.connection });
    };
    const timer = setTimeout(finish, timeoutMs);
    request.on('response', (response) => {
      answer = { status: response.statusCode!, sent, connection: response.headers.connection };
      response.resume();
      finish();
    });
    request.on('error', finish); // reset: after the answer, or instead of it (status undefined)
    request.on('drain', () => wake());
    request.flushHeaders();
    void (async () => {
      const chunk = Buffer.alloc(chunkBytes, 0x78);
      while (!done && sent < limit) {
        const flowing = request.write(chunk);
        sent += chunk.length;
        // a full buffer waits for 'drain' (or the end), then the pause
        if (!flowing) await new Promise<void>((resume) => (wake = resume));
        await new Promise((resume) => setTimeout(resume, sent < paceBytes ? pauseMs : 0));
      }
      if (!done) {
        sentAll = true;
        request.end();
      }
    })();
  });
}
