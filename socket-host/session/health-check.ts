import { performance } from 'node:perf_hooks';
import { DisconnectReason, S_WHATSAPP_NET } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { Socket } from './socket-factory.js';

/** A healthy socket answers a ping in well under a second; never wait longer than this. */
const MAX_PROBE_TIMEOUT_MS = 10_000;

export interface HealthWatch {
  stop(): void;
}

export interface HealthWatchOptions {
  /** `HEALTH_CHECK_INTERVAL`: how often the socket is looked at. */
  intervalMs: number;
  log: Logger;
  /**
   * The socket received something since the last call: `at` is when it last did. Called at most
   * once per interval, so a busy socket costs one write per interval, not one per frame.
   */
  onSeen(at: Date): Promise<void>;
}

/**
 * Watches one open socket. Anything it receives counts as a sign of life (Baileys' own keep-alive
 * answers included). A socket that has received nothing for two intervals is probed with a ping;
 * if the ping goes unanswered too, the socket is ended as `connectionLost`, and the reconnect
 * policy takes over as for any lost connection. Baileys' keep-alive would notice too, but only
 * after 35 s and only by its own timer; this uses the configured interval.
 */
export function watchHealth(sock: Socket, options: HealthWatchOptions): HealthWatch {
  const { intervalMs, log, onSeen } = options;
  const probeTimeoutMs = Math.min(intervalMs, MAX_PROBE_TIMEOUT_MS);
  // Silence is judged on the monotonic clock; the reported time is wall time.
  let receivedAt = performance.now();
  let receivedAtWall = Date.now();
  let reportedAtWall = 0;
  let checking = false;
  let stopped = false;

  const onFrame = () => {
    receivedAt = performance.now();
    receivedAtWall = Date.now();
  };
  sock.ws.on('message', onFrame);

  async function check(): Promise<void> {
    if (receivedAtWall > reportedAtWall) {
      reportedAtWall = receivedAtWall;
      // A failed write must not keep the probe from running.
      await onSeen(new Date(receivedAtWall)).catch((error) =>
        log.warn({ err: error }, 'lastSeenAt not written'),
      );
    }
    const silentMs = performance.now() - receivedAt;
    if (stopped || silentMs < 2 * intervalMs) return;
    try {
      await sock.query(
        {
          tag: 'iq',
          attrs: { to: S_WHATSAPP_NET, type: 'get', xmlns: 'w:p' },
          content: [{ tag: 'ping', attrs: {} }],
        },
        probeTimeoutMs,
      );
      log.info({ silentMs: Math.round(silentMs) }, 'silent socket answered a ping');
    } catch (error) {
      if (stopped) return;
      log.warn(
        { silentMs: Math.round(silentMs), err: error },
        'socket silent and ping unanswered: reconnecting',
      );
      watch.stop();
      await sock.end(connectionLost(`no frame for ${Math.round(silentMs)} ms and no answer to a ping`));
    }
  }

  const timer = setInterval(() => {
    if (checking || stopped) return;
    checking = true;
    check()
      .catch((error) => log.error({ err: error }, 'socket health check failed'))
      .finally(() => {
        checking = false;
      });
  }, intervalMs);
  timer.unref();

  const watch: HealthWatch = {
    stop() {
      stopped = true;
      clearInterval(timer);
      sock.ws.off('message', onFrame);
    },
  };
  return watch;
}

/** The error Baileys itself ends a lost connection with: the reconnect policy reads the status code. */
function connectionLost(message: string): Error {
  return Object.assign(new Error(`Connection was lost: ${message}`), {
    output: { statusCode: DisconnectReason.connectionLost },
  });
}
