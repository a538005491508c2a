/**
 * The demo shop: a small JSON API on node:http with no protection at all, like the Flask examples
 * that motivate Rampart. Logins can be guessed forever, OTP texts sent to any number, the catalogue
 * scraped, user ids enumerated (403 for an existing user, 404 otherwise) and the limited sneakers
 * bought up by bots. `examples/shop/rampart.yaml` is the policy that protects it.
 *
 * Routes:
 *   POST /api/auth/login {username,password}  → 200 {token} | 401
 *   POST /api/auth/register {email,password}  → 201 | 400 | 409
 *   POST /api/auth/otp {phone}                → 202 | 400
 *   GET  /api/products?page=N                 → 200 (20 per page)
 *   GET  /api/products/:id                    → 200 | 404 (ids 1..5000)
 *   POST /api/cart {productId,qty}            → 200 | 400 | 401 | 409
 *   POST /api/checkout {}                     → 200 | 401 | 409
 *   POST /api/referrals/redeem {code}         → 200 | 400
 *   GET  /api/users/:id                       → 200 own id | 403 | 404
 *   GET  /api/me                              → 200 | 401
 * Authenticated calls carry `authorization: Bearer <token>` from the login.
 *
 * Run it alone: `node examples/shop/server.ts` (127.0.0.1, port `SHOP_PORT`, default 5000).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAGE_SIZE, PRODUCT_COUNT, REFERRAL_CODES, createShopState } from './shop-state.ts';
import type { Product, ShopState, User } from './shop-state.ts';

export interface ShopOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningShop {
  /** e.g. `http://127.0.0.1:5000` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: unknown;
}

interface Call {
  readonly state: ShopState;
  readonly user: User | undefined;
  readonly body: Record<string, unknown>;
  readonly query: URLSearchParams;
  readonly id: number;
}

const MAX_BODY = 64 * 1024;
const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const PHONE_RE = /^\+?[0-9][0-9 -]{5,18}[0-9]$/;

/**
 * Routes are matched leniently, the way many frameworks do: case-insensitive, `//` and `.` collapsed,
 * percent-escapes decoded, `;matrix` parameters and a trailing slash ignored. So every spelling of
 * `/api/auth/login` reaches the login handler, which is exactly why a limiter in front of it must
 * canonicalise paths the same way before it matches its rules.
 *
 * @example
 * lenientPath('//API/./auth/%6cogin;x=1/?next=/') // '/api/auth/login'
 */
export function lenientPath(target: string): string {
  const end = target.search(/[?#]/);
  const path = end < 0 ? target : target.slice(0, end);
  const out: string[] = [];
  for (const raw of path.split('/')) {
    const segment = raw.split(';', 1)[0]!;
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      // A malformed escape stays as sent.
    }
    if (decoded === '' || decoded === '.') continue;
    if (decoded === '..') out.pop();
    else out.push(decoded.toLowerCase());
  }
  return `/${out.join('/')}`;
}

const publicUser = (u: User) => ({ id: u.id, username: u.username, email: u.email });
const publicProduct = (p: Product) => ({ id: p.id, name: p.name, price_cents: p.priceCents, ...(p.stock === null ? {} : { stock: p.stock }) });
const error = (status: number, code: string, extra: object = {}): Reply => ({ status, body: { error: code, ...extra } });
const positiveInt = (v: unknown, max: number): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max ? v : null);

function login({ state, body }: Call): Reply {
  const user = typeof body['username'] === 'string' ? state.findUser(body['username']) : undefined;
  if (user === undefined || body['password'] !== user.password) return error(401, 'invalid_credentials');
  return { status: 200, body: { token: state.openSession(user) } };
}

function register({ state, body }: Call): Reply {
  const { email, password } = body;
  if (typeof email !== 'string' || !EMAIL_RE.test(email)) return error(400, 'invalid_email');
  if (typeof password !== 'string' || password.length < 8) return error(400, 'weak_password', { min_length: 8 });
  const user = state.addUser(email, password);
  if (user === null) return error(409, 'email_taken');
  return { status: 201, body: publicUser(user) };
}

function otp({ body }: Call): Reply {
  if (typeof body['phone'] !== 'string' || !PHONE_RE.test(body['phone'])) return error(400, 'invalid_phone');
  // A real shop would pay for an SMS here, on every call: the bill is what OTP bombing runs up.
  return { status: 202, body: { sent: true } };
}

function products({ state, query }: Call): Reply {
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  return { status: 200, body: { page, per_page: PAGE_SIZE, total: PRODUCT_COUNT, items: state.page(page).map(publicProduct) } };
}

function product({ state, id }: Call): Reply {
  const p = state.product(id);
  return p === undefined ? error(404, 'not_found') : { status: 200, body: publicProduct(p) };
}

function addToCart({ state, user, body }: Call): Reply {
  if (user === undefined) return error(401, 'unauthorized');
  const productId = positiveInt(body['productId'], PRODUCT_COUNT);
  const qty = positiveInt(body['qty'] ?? 1, 100);
  if (productId === null || qty === null) return error(400, 'invalid_item', { hint: 'productId 1..5000, qty 1..100' });
  const cart = state.cart(user.id);
  const wanted = (cart.get(productId) ?? 0) + qty;
  const stock = state.product(productId)!.stock;
  if (stock !== null && wanted > stock) return error(409, 'out_of_stock', { productId, available: stock });
  cart.set(productId, wanted);
  return { status: 200, body: { items: [...cart].map(([id, n]) => ({ productId: id, qty: n })) } };
}

function checkout({ state, user }: Call): Reply {
  if (user === undefined) return error(401, 'unauthorized');
  const cart = state.cart(user.id);
  if (cart.size === 0) return error(409, 'cart_empty');
  const lines = [...cart].map(([id, qty]) => ({ product: state.product(id)!, qty }));
  // All or nothing: check every line before taking any stock.
  for (const { product: p, qty } of lines) {
    if (p.stock !== null && p.stock < qty) return error(409, 'sold_out', { productId: p.id, available: p.stock });
  }
  let total = 0;
  for (const { product: p, qty } of lines) {
    if (p.stock !== null) p.stock -= qty;
    total += p.priceCents * qty;
  }
  cart.clear();
  return { status: 200, body: { order: { items: lines.map((l) => ({ productId: l.product.id, qty: l.qty })), total_cents: total } } };
}

function redeem({ body }: Call): Reply {
  const credit = typeof body['code'] === 'string' ? REFERRAL_CODES.get(body['code']) : undefined;
  return credit === undefined ? error(400, 'invalid_code') : { status: 200, body: { credit_cents: credit } };
}

function userPage({ state, user, id }: Call): Reply {
  const target = state.userById(id);
  if (target === undefined) return error(404, 'not_found');
  // 403 rather than 404 for someone else's id tells an enumerator which ids exist.
  if (user?.id !== id) return error(403, 'forbidden');
  return { status: 200, body: publicUser(target) };
}

function me({ user }: Call): Reply {
  return user === undefined ? error(401, 'unauthorized') : { status: 200, body: publicUser(user) };
}

type Handler = (call: Call) => Reply;

/** Exact paths: method → handler. */
const ROUTES: ReadonlyMap<string, Readonly<Record<string, Handler>>> = new Map([
  ['/api/auth/login', { POST: login }],
  ['/api/auth/register', { POST: register }],
  ['/api/auth/otp', { POST: otp }],
  ['/api/products', { GET: products }],
  ['/api/cart', { POST: addToCart }],
  ['/api/checkout', { POST: checkout }],
  ['/api/referrals/redeem', { POST: redeem }],
  ['/api/me', { GET: me }],
]);

/** Paths ending in an id: prefix → handler, and the largest id that can exist. */
const ID_ROUTES: ReadonlyMap<string, { handler: Handler; max: number }> = new Map([
  ['/api/products/', { handler: product, max: PRODUCT_COUNT }],
  ['/api/users/', { handler: userPage, max: Number.MAX_SAFE_INTEGER }],
]);

function route(method: string, path: string): { handler: Handler; id: number } | Reply {
  const exact = ROUTES.get(path);
  if (exact !== undefined) {
    const handler = exact[method === 'HEAD' ? 'GET' : method];
    return handler === undefined ? error(405, 'method_not_allowed') : { handler, id: 0 };
  }
  const slash = path.lastIndexOf('/');
  const byId = ID_ROUTES.get(path.slice(0, slash + 1));
  if (byId === undefined || !/^\d{1,16}$/.test(path.slice(slash + 1))) return error(404, 'not_found');
  if (method !== 'GET' && method !== 'HEAD') return error(405, 'method_not_allowed');
  const id = Number(path.slice(slash + 1));
  return id >= 1 && id <= byId.max ? { handler: byId.handler, id } : error(404, 'not_found');
}

/** Reads a JSON object body; null when it is not JSON, undefined when too large. */
async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | null | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  if (size === 0) return {};
  if (!(req.headers['content-type'] ?? '').includes('json')) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

async function handle(state: ShopState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const target = req.url ?? '/';
  const found = route(method, lenientPath(target));
  let reply: Reply;
  if ('status' in found) {
    req.resume();
    reply = found;
  } else {
    const body = await readBody(req);
    if (body === undefined) reply = error(413, 'payload_too_large');
    else if (body === null) reply = error(400, 'invalid_json', { hint: 'send a JSON object with content-type: application/json' });
    else {
      const auth = req.headers.authorization ?? '';
      const user = auth.startsWith('Bearer ') ? state.sessionUser(auth.slice(7).trim()) : undefined;
      const query = new URLSearchParams(target.includes('?') ? target.slice(target.indexOf('?') + 1) : '');
      reply = found.handler({ state, user, body, query, id: found.id });
    }
  }
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(method === 'HEAD' ? undefined : text);
}

/**
 * Starts a fresh shop (its own users, stock and sessions).
 *
 * @example
 * const shop = await startShop({ port: 0 });
 * await fetch(`${shop.url}/api/products/42`); // 200
 * await shop.close();
 */
export function startShop(options: ShopOptions = {}): Promise<RunningShop> {
  const state = createShopState();
  const server = createServer((req, res) => {
    handle(state, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end('{"error":"internal"}');
    });
  });
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolvePromise({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const shop = await startShop({ port: Number(process.env['SHOP_PORT'] ?? 5000), host: '127.0.0.1' });
  process.stderr.write(`shop: listening on ${shop.url} (unprotected; put Rampart in front of it)\n`);
  const stop = () => void shop.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
