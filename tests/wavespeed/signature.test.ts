// The webhook signature check against a vector computed outside the package's code, with
// openssl (so the verifier and the fake provider cannot share a mistake):
//   printf '%s' 'msg_2Qm6vZ.1764547200.<body>' | openssl dgst -sha256 -hmac 'c2VjcmV0LWtleS1mb3ItdGVzdHM=' -hex
// and the mistake it must not make: the same secret base64-decoded gives another signature:
//   ... | openssl dgst -sha256 -mac HMAC -macopt hexkey:<the decoded secret in hex> -hex
import { describe, expect, it, vi } from 'vitest';
import { verifyWebhookSignature } from '../../src/wavespeed/signature.js';

const secret = 'whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM=';
const id = 'msg_2Qm6vZ';
const timestamp = '1764547200';
const body =
  '{"id":"pred_abc123","model":"google/nano-banana/edit","outputs":["https://cdn.example/out.png"],"status":"completed","error":""}';
const opensslSignature = 'eda0051ddd9c8e81f75ce683fa326d630764cf76ba30b0b8be762919c44d33b0';
const base64DecodedKeySignature = 'a8db2ba27314f706c785e530ed490daf1e4c7e677e7a616adb18bb36014bbced';
const now = 1764547200 * 1000 + 42_000; // 42 s after signing

const verify = (overrides: Partial<Parameters<typeof verifyWebhookSignature>[0]> = {}) =>
  verifyWebhookSignature({ secret, id, timestamp, signature: `v3,${opensslSignature}`, body, now, ...overrides });

describe('verifyWebhookSignature', () => {
  it('accepts the vector openssl computed, from text or from raw bytes, with or without the whsec_ prefix', async () => {
    expect(await verify()).toEqual({ ok: true, id, timestamp: 1764547200 });
    expect((await verify({ body: new TextEncoder().encode(body) })).ok).toBe(true);
    expect((await verify({ secret: secret.slice('whsec_'.length) })).ok).toBe(true);
    expect((await verify({ signature: `v3,${opensslSignature.toUpperCase()}` })).ok).toBe(true);
  });

  it('accepts one matching entry among several (a secret rotation)', async () => {
    expect((await verify({ signature: `v3,${'0'.repeat(64)} v3,${opensslSignature}` })).ok).toBe(true);
  });

  it('computes the HMAC once whatever the number of entries, and refuses more than 8 unread', async () => {
    const wrong = `v3,${'0'.repeat(64)}`;
    const right = `v3,${opensslSignature}`;
    const sign = vi.spyOn(crypto.subtle, 'sign');
    const check = vi.spyOn(crypto.subtle, 'verify');
    try {
      // 8 entries, the matching one last: one HMAC over the body, compared with each entry
      expect(await verify({ signature: [...Array(7).fill(wrong), right].join(' ') })).toEqual({ ok: true, id, timestamp: 1764547200 });
      expect(await verify({ signature: Array(8).fill(wrong).join(' ') })).toEqual({ ok: false, reason: 'bad_signature' });
      expect(sign.mock.calls.length + check.mock.calls.length).toBe(2);
      // more than 8 (a rotation needs two): refused before any HMAC, even with the right one among them
      sign.mockClear();
      check.mockClear();
      expect(await verify({ signature: [right, ...Array(8).fill(wrong)].join(' ') })).toEqual({ ok: false, reason: 'bad_signature' });
      expect(await verify({ signature: [...Array(239).fill(wrong), right].join(' ') })).toEqual({ ok: false, reason: 'bad_signature' });
      expect(await verify({ signature: `${right}${' x'.repeat(100_000)}` })).toEqual({ ok: false, reason: 'bad_signature' });
      expect(sign.mock.calls.length + check.mock.calls.length).toBe(0);
    } finally {
      sign.mockRestore();
      check.mockRestore();
    }
  });

  it('refuses a key taken base64-decoded, an altered body, another id or timestamp, another version', async () => {
    expect(await verify({ signature: `v3,${base64DecodedKeySignature}` })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verify({ body: body.replace('completed', 'failed') })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verify({ body: JSON.stringify(JSON.parse(body), null, 1) })).toEqual({ ok: false, reason: 'bad_signature' }); // re-serialised
    expect(await verify({ id: 'msg_other' })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verify({ timestamp: '1764547201', now: 1764547201 * 1000 })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verify({ signature: `v1,${opensslSignature}` })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verify({ signature: 'v3,not-hex' })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verify({ secret: 'whsec_another' })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a timestamp outside 5 minutes either way, and missing headers', async () => {
    expect((await verify({ now: (1764547200 + 300) * 1000 })).ok).toBe(true);
    expect(await verify({ now: (1764547200 + 301) * 1000 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(await verify({ now: (1764547200 - 301) * 1000 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(await verify({ timestamp: '17645.47200' })).toEqual({ ok: false, reason: 'invalid_timestamp' });
    expect(await verify({ id: null })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(await verify({ signature: '' })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(await verify({ secret: '' })).toEqual({ ok: false, reason: 'missing_headers' });
  });
});
