import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { bucketLayout } from '../../shared/resources.js';
import type { AuthStateRepository } from './dynamo-auth-state.js';
import type { Fence } from './fence.js';

/**
 * Snapshots of one tenant's whole auth state in S3 (the seed's "backup sessions"): written before
 * any erase so a wrong logout can be undone, and on demand. Objects are encrypted at rest with the
 * bucket's KMS key (SSE-KMS, set by the CDK app); they never leave the bucket through the API.
 */
export interface SnapshotStore {
  save(tenantId: string, label: string): Promise<string>;
  /** Restores the newest snapshot under the given fence; returns the key restored, if any. */
  restoreLatest(fence: Fence): Promise<string | undefined>;
  list(tenantId: string): Promise<string[]>;
}

export function createSnapshotStore(deps: {
  s3: S3Client;
  bucketName: string;
  authState: AuthStateRepository;
}): SnapshotStore {
  const { s3, bucketName: Bucket, authState } = deps;
  const list = async (tenantId: string) => {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket, Prefix: bucketLayout.snapshots(tenantId) }),
    );
    // Keys start with an ISO timestamp, so lexical order is time order.
    return (listed.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])).sort();
  };
  return {
    list,
    async save(tenantId, label) {
      const Key = `${bucketLayout.snapshots(tenantId)}${new Date().toISOString()}-${label.replace(/[^\w-]/g, '_')}.json`;
      const Body = await authState.export(tenantId);
      await s3.send(new PutObjectCommand({ Bucket, Key, Body, ContentType: 'application/json' }));
      return Key;
    },
    async restoreLatest(fence) {
      const key = (await list(fence.tenantId)).at(-1);
      if (!key) return undefined;
      const object = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
      await authState.import(
        fence,
        await (object.Body as { transformToString(): Promise<string> }).transformToString(),
      );
      return key;
    },
  };
}
