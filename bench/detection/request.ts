// Builds simulated records the way the shop (examples/shop/server.ts) would answer them, and the
// facts about the shop the generators share.
import type { Client } from './clients.ts';
import type { Label, SimRequest } from './types.ts';

/** The shop's catalogue: ids 1..5000, 20 per page, product 1 the limited drop. */
export const PRODUCTS = 5000;
export const PAGES = 250;
export const LIMITED_PRODUCT = 1;
export const LIMITED_STOCK = 10;

export interface RequestSpec {
  readonly ts: number;
  readonly ip: string;
  readonly client: Client;
  readonly method: string;
  readonly url: string;
  readonly body?: Record<string, unknown>;
  readonly token?: string | undefined;
  readonly apiKey?: string | undefined;
  readonly status: number;
  readonly label: Label;
}

/** One record, headers from the client. */
export function request(spec: RequestSpec): SimRequest {
  const headers = spec.client.headers({ method: spec.method, json: spec.body !== undefined, token: spec.token, apiKey: spec.apiKey });
  const r: SimRequest = { ts: Math.round(spec.ts), ip: spec.ip, method: spec.method, url: spec.url, headers, status: spec.status, label: spec.label };
  if (spec.body !== undefined) r.body = spec.body;
  return r;
}

/** The shop's answer to a product page: 404 beyond the catalogue. */
export const productStatus = (id: number): number => (id >= 1 && id <= PRODUCTS ? 200 : 404);
