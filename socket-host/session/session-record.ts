import type { Logger } from 'pino';
import type { EventPublisher } from '../../shared/aws/event-publisher.js';
import type { SessionState } from '../../shared/domain.js';
import type { SessionStore, StatusUpdate } from '../../shared/stores/sessions.js';
import type { AuthStateRepository } from '../auth-state/dynamo-auth-state.js';
import type { Fence } from '../auth-state/fence.js';
import type { SnapshotStore } from '../auth-state/snapshots.js';

export type StatusDetails = Omit<StatusUpdate, 'status' | 'epoch'> & { reason?: string };

export interface SessionRecordDeps {
  sessions: SessionStore;
  events: EventPublisher;
  authState: AuthStateRepository;
  snapshots: SnapshotStore;
}

/** What the record needs of its session. */
export interface RecordOwner {
  readonly tenantId: string;
  readonly log: Logger;
  fence(): Fence | undefined;
  /** A write was refused for a newer epoch: another host owns the tenant now. */
  onStale(): Promise<void>;
}

/**
 * What a session writes about itself: its status on the row and as `session.status` events, the
 * health check's `lastSeenAt`, and the erase of its auth state. Every row write carries the fence
 * generation as the session epoch, so a former owner's late writes are refused.
 */
export class SessionRecord {
  status: SessionState = 'stopped';

  constructor(
    private readonly deps: SessionRecordDeps,
    private readonly owner: RecordOwner,
  ) {}

  private get epoch(): number {
    return this.owner.fence()?.generation ?? 0;
  }

  async setStatus(status: SessionState, details: StatusDetails = {}): Promise<void> {
    const previous = this.status;
    this.status = status;
    const { reason, ...update } = details;
    const { tenantId } = this.owner;
    const result = await this.deps.sessions.updateStatus(tenantId, {
      status,
      epoch: this.epoch,
      owner: this.owner.fence()?.owner,
      ...update,
    });
    if (!result.written) return this.owner.onStale();
    if (previous === status && !reason) return;
    await this.deps.events.publish(tenantId, 'session.status', {
      status,
      previousStatus: previous,
      reason: reason ?? update.lastDisconnect?.reason,
      epoch: this.epoch,
      user: update.user,
    });
  }

  /** The health check's sign of life from the socket. */
  async setLastSeen(at: Date): Promise<void> {
    const seen = { lastSeenAt: at.toISOString(), epoch: this.epoch };
    const result = await this.deps.sessions.setLastSeen(this.owner.tenantId, seen);
    if (!result.written) await this.owner.onStale();
  }

  /**
   * Snapshot first, so a wrong logout can be undone, then erase. `pending` is a
   * write still under way, which would otherwise put an item back after the erase.
   */
  async eraseAuthState(reason: string, pending: Promise<void>): Promise<void> {
    const fence = this.owner.fence();
    if (!fence) return;
    const { tenantId, log } = this.owner;
    try {
      await this.deps.snapshots.save(tenantId, `before-erase-${reason}`);
    } catch (error) {
      log.error({ err: error }, 'auth snapshot before erase failed');
    }
    await pending;
    const erased = await this.deps.authState.erase(fence);
    log.info({ erased, reason }, 'auth state erased');
  }
}
