// `credits dashboard --serve` with a token: every request must carry it, as
// `Authorization: Bearer <token>`, the cookie the first visit sets, or `?token=` (the link to open;
// answered with the cookie and a redirect to the same page without it). Anything else gets 401.
import { timingSafeEqual } from 'node:crypto';

const COOKIE = 'credits_dashboard_token';

function same(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

export function requireToken(token: string, handler: (request: Request) => Promise<Response>): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const bearer = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
    if (same(bearer, token) || same(cookie(request, COOKIE), token)) return handler(request);
    if (same(url.searchParams.get('token') ?? undefined, token)) {
      url.searchParams.delete('token');
      // Relative to the page (its last segment): a path such as //elsewhere cannot send it away.
      const location = `./${url.pathname.slice(url.pathname.lastIndexOf('/') + 1)}${url.search}`;
      return new Response(null, {
        status: 303,
        headers: {
          location,
          // Lax: a link opened from another site (a chat, a mail) carries it on the redirect; every route is a GET that reads
          'set-cookie': `${COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax`,
          'referrer-policy': 'no-referrer',
        },
      });
    }
    return new Response('401: this dashboard needs its token (open the link credits dashboard --serve printed)\n', {
      status: 401,
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        'x-content-type-options': 'nosniff',
        'www-authenticate': 'Bearer realm="credits dashboard"',
      },
    });
  };
}
