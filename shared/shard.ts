import { createHash } from 'node:crypto';

/** Stable across processes and releases: shard = first 4 bytes of SHA-256(tenantId) mod shardCount. */
export function shardOf(tenantId: string, shardCount: number): number {
  const digest = createHash('sha256').update(tenantId).digest();
  return digest.readUInt32BE(0) % shardCount;
}
