// Frames of one client connection are handled one after another, in arrival order (order per
// conversation follows from it), each in its own turn of the event loop so that one busy
// connection does not hold up the others (SQLite answers without leaving the current turn). A
// client that sends faster than the server handles is closed once MAX_QUEUED_FRAMES wait: memory
// per connection stays bounded whatever it sends.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { RawData, WebSocket } from 'ws';

export const MAX_QUEUED_FRAMES = 2048;
/** WebSocket close codes used by the client endpoints (RFC 6455 §7.4.1; 4xxx are ours). */
export const CLOSE = {
  unsupportedData: 1003,
  invalidPayload: 1007,
  policy: 1008,
  tooBig: 1009,
  internal: 1011,
  sessionEnded: 4001,
} as const;

export interface SerialFrames {
  /** Resolves once every frame received so far has been handled. */
  idle(): Promise<void>;
}

export function serialFrames(socket: WebSocket, handle: (data: RawData, isBinary: boolean) => Promise<void>, onError: (err: unknown) => void): SerialFrames {
  let chain: Promise<void> = Promise.resolve();
  let queued = 0;
  socket.on('message', (data, isBinary) => {
    if (++queued > MAX_QUEUED_FRAMES) {
      if (socket.readyState === socket.OPEN) socket.close(CLOSE.policy, 'too many frames waiting');
      return;
    }
    chain = chain
      .then(() => nextTurn())
      .then(() => (socket.readyState === socket.OPEN ? handle(data, isBinary) : undefined))
      .catch(onError)
      .finally(() => {
        queued--;
      });
  });
  return { idle: () => chain };
}
