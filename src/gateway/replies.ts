/**
 * The answers the gateway gives itself: a short, generic JSON body per status, the same style as
 * the engine's refusals (`{"error":"too_many_requests"}`). They never say more than the status does.
 */
import { STATUS_CODES } from 'node:http';

/** Statuses the gateway produces on its own (refusals by a rule come from `refusalFor`). */
export type GatewayStatus = 400 | 408 | 413 | 431 | 500 | 501 | 502 | 503 | 504;

const BODIES: Readonly<Record<GatewayStatus, string>> = {
  400: '{"error":"bad_request"}',
  408: '{"error":"request_timeout"}',
  413: '{"error":"payload_too_large"}',
  431: '{"error":"request_header_fields_too_large"}',
  500: '{"error":"internal"}',
  501: '{"error":"not_implemented"}',
  502: '{"error":"bad_gateway"}',
  503: '{"error":"unavailable"}',
  504: '{"error":"gateway_timeout"}',
};

/**
 * Headers and body for one of the gateway's own answers. `close` adds `Connection: close`, for when
 * the rest of the request will not be read.
 *
 * @example
 * const { headers, body } = gatewayReply(502, false);
 * res.writeHead(502, headers); res.end(body);
 */
export function gatewayReply(status: GatewayStatus, close: boolean): { headers: Record<string, string>; body: string } {
  const body = BODIES[status];
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': String(body.length),
  };
  if (close) headers['connection'] = 'close';
  return { headers, body };
}

/**
 * A complete HTTP/1.1 response, for sockets Node's parser gave up on (there is no response object
 * then). Always closes the connection: after a parse error the byte stream cannot be trusted.
 *
 * @example
 * socket.end(rawReply(431));
 */
export function rawReply(status: GatewayStatus): string {
  return RAW[status];
}

const RAW = Object.fromEntries(
  (Object.keys(BODIES) as unknown as GatewayStatus[]).map((s) => {
    const body = BODIES[s];
    return [s, `HTTP/1.1 ${s} ${STATUS_CODES[s]}\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`];
  }),
) as unknown as Readonly<Record<GatewayStatus, string>>;
