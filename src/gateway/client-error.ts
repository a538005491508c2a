/**
 * Connections Node's HTTP parser gave up on (oversized or malformed head, head or request timeout):
 * there is no request object, so the answer is written to the socket directly.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../logger.ts';
import { rawReply } from './replies.ts';

/** How long a connection Node's parser gave up on is still read (and discarded) after the error reply. */
const LINGER_MS = 2000;

/**
 * The server's `clientError` handler: answers 431 (head too large or too many fields), 408 (head or
 * request timeout) or 400 (anything else) once, if nothing has been written on the connection yet,
 * then closes it.
 * The rest of what the client sends is read and dropped for a moment, so the answer is not lost to a
 * TCP reset caused by unread data (a client still sending a 64 KB head, say).
 *
 * @example
 * server.on('clientError', (err, socket) => onClientError(err, socket, logger));
 */
export function onClientError(err: Error & { code?: string }, socket: Socket, logger: Logger): void {
  const code = err.code ?? '';
  logger.debug({ code, peer: socket.remoteAddress }, 'client error');
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (code === 'ECONNRESET' || !socket.writable || (inFlight != null && inFlight.headersSent === true)) {
    socket.destroy();
    return;
  }
  const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  socket.removeAllListeners('data');
  socket.on('data', discard);
  socket.on('error', discard);
  socket.end(rawReply(status));
  const timer = setTimeout(destroySocket, LINGER_MS, socket);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

function discard(): void {}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

