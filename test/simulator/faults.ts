import type { SimConnection } from './connection.js';

/**
 * Stream errors the simulator can inject, by the DisconnectReason Baileys reports for them:
 * 515 restartRequired, 401 loggedOut, 440 connectionReplaced, 503 unavailableService, 500 badSession.
 */
export type FaultCode = 401 | 440 | 500 | 503 | 515;

export function applyStreamError(conn: SimConnection, code: FaultCode): void {
  if (code === 401 && conn.device) {
    // Logged out from the phone: the device is gone, so its next login fails with 401 too.
    conn.device.phone.devices.delete(conn.device.deviceId);
  }
  conn.sendStreamError(code);
}
