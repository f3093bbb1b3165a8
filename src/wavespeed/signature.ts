// WaveSpeed's webhook signature, checked with Web Crypto only, so it runs anywhere `fetch` does
// (Node.js, edge functions, Deno, Bun, workers): no import beyond the runtime's own crypto.
// What WaveSpeed's "Verifying Webhooks" page says, and what this checks:
//   headers webhook-id, webhook-timestamp (Unix seconds), webhook-signature: v3,<hex>
//   hex = HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<raw body>`, keyed with the webhook
//   secret without its `whsec_` prefix, as text (not base64-decoded); a 5-minute tolerance.
// Several space-separated entries are accepted (one must match), as during a secret rotation,
// at most `maxSignatureEntries` of them: a header with more is a bad signature, refused before
// any HMAC. The HMAC is computed once and compared with each entry in constant time.

export type WebhookRejection = 'missing_headers' | 'invalid_timestamp' | 'stale_timestamp' | 'bad_signature';

export type WebhookVerification = { ok: true; id: string; timestamp: number } | { ok: false; reason: WebhookRejection };

export interface WebhookSignatureInput {
  /** The webhook secret, with or without its `whsec_` prefix. */
  secret: string;
  id: string | null | undefined;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
  /** The raw body exactly as received: bytes, or the text they decode to. Never re-serialised JSON. */
  body: string | Uint8Array;
  /** Tolerance for the timestamp, either way, in seconds (default 300). */
  toleranceSeconds?: number;
  /** The current time in milliseconds (default Date.now()). */
  now?: number;
}

/** The most entries a signature header may carry: a rotation needs two. */
export const maxSignatureEntries = 8;

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  const raw = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  let key = keys.get(raw);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(raw), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    if (keys.size > 16) keys.clear(); // a handful of secrets at most (rotation); never grow unbounded
    keys.set(raw, key);
  }
  return key;
}

function signedContent(id: string, timestamp: string, body: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  const content = new Uint8Array(prefix.length + bytes.length);
  content.set(prefix);
  content.set(bytes, prefix.length);
  return content;
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return undefined;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** Equal bytes, in a time that depends on their length only. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/** Checks a webhook's headers and raw body; says why when it refuses. Reads nothing else. */
export async function verifyWebhookSignature(input: WebhookSignatureInput): Promise<WebhookVerification> {
  const { id, timestamp, signature } = input;
  if (!id || !timestamp || !signature || !input.secret) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'invalid_timestamp' };
  const seconds = Number(timestamp);
  const tolerance = input.toleranceSeconds ?? 300;
  if (Math.abs((input.now ?? Date.now()) / 1000 - seconds) > tolerance) return { ok: false, reason: 'stale_timestamp' };

  // One more than allowed is enough to refuse: a long header is never split whole.
  const entries = signature.trim().split(/\s+/, maxSignatureEntries + 1);
  if (entries.length > maxSignatureEntries) return { ok: false, reason: 'bad_signature' };
  const key = await hmacKey(input.secret);
  const computed = new Uint8Array(await crypto.subtle.sign('HMAC', key, signedContent(id, timestamp, input.body)));
  let matched = false;
  for (const entry of entries) {
    const [version, hex] = entry.split(',', 2);
    const given = version === 'v3' && hex ? fromHex(hex) : undefined;
    if (given && sameBytes(given, computed)) matched = true;
  }
  return matched ? { ok: true, id, timestamp: seconds } : { ok: false, reason: 'bad_signature' };
}

/** The three headers from a Fetch-API Headers object (or anything with get()). */
export function webhookHeaders(headers: { get(name: string): string | null }) {
  return { id: headers.get('webhook-id'), timestamp: headers.get('webhook-timestamp'), signature: headers.get('webhook-signature') };
}
