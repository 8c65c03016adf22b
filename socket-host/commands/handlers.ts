import type { Logger } from 'pino';
import type { EventPublisher } from '../../shared/aws/event-publisher.js';
import type { Command, CommandOf } from '../../shared/commands.js';
import { standardize, ValidationError } from '../../shared/errors.js';
import type { Metrics } from '../../shared/metrics.js';
import type { MessageStore } from '../../shared/stores/messages.js';
import type { SessionStore } from '../../shared/stores/sessions.js';
import { advanceMessage } from '../session/message-status.js';
import { LIVE_STATES, SessionNotRunningError, type TenantSession } from '../session/tenant-session.js';
import type { CommandHandler, Outcome } from './shard-consumer.js';

export interface SessionRegistry {
  /** The tenant's session in this host, created (stopped) if missing. */
  session(tenantId: string): TenantSession;
  existing(tenantId: string): TenantSession | undefined;
}

const done: Outcome = { kind: 'done' };

/**
 * What each command does (architecture §5). Transient failures are retried by the queue; permanent ones
 * (bad input, a session that is not running) mark the message failed and are not retried; on the
 * last receive before the dead-letter queue a send is marked failed too, so nothing stays `queued`.
 */
export function createCommandHandler(deps: {
  registry: SessionRegistry;
  messages: MessageStore;
  events: EventPublisher;
  sessions: SessionStore;
  maxReceiveCount: number;
  metrics: Metrics;
  log: Logger;
}): CommandHandler {
  const { registry, log } = deps;

  /**
   * The tenant's session in this host. Right after a restart or takeover a live tenant may not be
   * resumed yet: its first command starts it rather than failing.
   */
  async function liveSession(tenantId: string): Promise<TenantSession> {
    const session = registry.existing(tenantId);
    if (session?.isActive) return session;
    const row = await deps.sessions.find(tenantId);
    if (row?.desired !== 'running' || !LIVE_STATES.has(row.status)) {
      throw new SessionNotRunningError({ message: `Session is ${row?.status ?? 'stopped'}` });
    }
    const resumed = registry.session(tenantId);
    await resumed.start({ method: row.method ?? 'qr', phoneNumber: row.phoneNumber });
    return resumed;
  }

  const handlers: {
    [T in Command['type']]: (command: CommandOf<T>, receiveCount: number) => Promise<Outcome>;
  } = {
    'session.start': async ({ tenantId, payload }) => {
      await registry.session(tenantId).start({ method: payload.method, phoneNumber: payload.phoneNumber });
      return done;
    },
    'session.pairing-code': async ({ tenantId, payload }) => {
      await registry.session(tenantId).start({ method: 'pairing-code', phoneNumber: payload.phoneNumber });
      return done;
    },
    'session.stop': async ({ tenantId }) => {
      await registry.session(tenantId).stop({ logout: false, reason: 'stopped_by_api' });
      return done;
    },
    'session.logout': async ({ tenantId }) => {
      await registry.session(tenantId).stop({ logout: true, reason: 'logged_out_by_api' });
      return done;
    },
    'message.send': async ({ tenantId, payload }, receiveCount) => {
      const existing = await deps.messages.find(tenantId, payload.messageId);
      // A redelivered command whose send already happened: the same WhatsApp message, not a second.
      if (existing && existing.status !== 'queued') return done;
      try {
        const session = await liveSession(tenantId);
        // The row tells the send whether an earlier one may have left (a crashed owner's intent).
        const outcome = await session.send(payload.messageId, payload.to, payload.content, existing);
        if (outcome.kind === 'settled') return done;
        // Independent writes: one round trip on the tenant's critical path, not two.
        await Promise.all([
          session.advance(payload.messageId, 'sent'),
          deps.sessions.incrementCounter(tenantId, 'sentCount'),
        ]);
        return done;
      } catch (thrown) {
        const error = standardize(thrown);
        const permanent =
          thrown instanceof SessionNotRunningError || thrown instanceof ValidationError || !error.isRetryable;
        if (!permanent && receiveCount < deps.maxReceiveCount - 1) {
          log.warn(
            { tenantId, messageId: payload.messageId, code: error.code, err: thrown },
            'send will be retried',
          );
          return { kind: 'retry', afterSeconds: Math.min(2 ** receiveCount, 30) };
        }
        const reason = { code: error.code, message: error.message };
        await Promise.all([
          advanceMessage(deps, tenantId, payload.messageId, 'failed', reason),
          deps.sessions.incrementCounter(tenantId, 'failedCount'),
        ]);
        deps.metrics.count('MessagesFailed');
        log.warn({ tenantId, messageId: payload.messageId, code: error.code }, 'send failed');
        return done;
      }
    },
    'contact.check': async ({ tenantId, payload }) => {
      const session = registry.existing(tenantId);
      const result = session ? await session.checkContact(payload.phone).catch(() => undefined) : undefined;
      await deps.sessions.setContactCheck(tenantId, {
        requestId: payload.requestId,
        phone: payload.phone,
        exists: result?.exists ?? false,
        jid: result?.jid,
        checkedAt: new Date().toISOString(),
      });
      return done;
    },
  };

  return (command, { receiveCount }) =>
    (handlers[command.type] as (c: Command, n: number) => Promise<Outcome>)(command, receiveCount);
}
