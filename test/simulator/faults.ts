import type { SimConnection } from './connection.js';

/**
 * Stream errors the simulator can inject, by the DisconnectReason Baileys reports for them:
 * 515 restartRequired, 401 loggedOut, 440 connectionReplaced, 503 unavailableService, 500 badSession.
 */
export type FaultCode = 401 | 440 | 500 | 503 | 515;

export interface StreamErrorOptions {
  /**
   * 401 only: keep the device linked. WhatsApp has been seen to send a spurious 401 in the first
   * login after pairing (architecture §12); the device is still linked and the next login succeeds.
   */
  keepDevice?: boolean;
}

export function applyStreamError(
  conn: SimConnection,
  code: FaultCode,
  options: StreamErrorOptions = {},
): void {
  if (code === 401 && conn.device && !options.keepDevice) {
    // Logged out from the phone: the device is gone, so its next login fails with 401 too.
    conn.device.phone.devices.delete(conn.device.deviceId);
  }
  conn.sendStreamError(code);
}
