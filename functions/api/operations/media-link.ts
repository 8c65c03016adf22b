import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ConflictError, NotFoundError } from '../../../shared/errors.js';
import type { RECEIVED_MEDIA_TYPES } from '../../../shared/events.js';
import { bucketLayout } from '../../../shared/resources.js';
import type { MessageStore } from '../../../shared/stores/messages.js';

/** A presigned link is short-lived: it is a bearer credential for one object. */
export const MEDIA_LINK_TTL_SECONDS = 300;

export interface MediaLink {
  url: string;
  expiresAt: string;
  type: (typeof RECEIVED_MEDIA_TYPES)[number];
  mimeType?: string;
  fileName?: string;
  size?: number;
}

/**
 * A short-lived download link for the media of a message the tenant received. The bytes go from
 * S3 straight to the caller: Lambda responses stop at 6 MB, media goes up to 16 MB.
 */
export async function mediaLink(
  deps: { messages: MessageStore; s3: S3Client; bucketName: string; now: () => Date },
  tenantId: string,
  messageId: string,
): Promise<MediaLink> {
  const row = await deps.messages.get(tenantId, messageId);
  const media = row.inbound?.media;
  if (!media) {
    throw new NotFoundError({
      message: `Message ${messageId} has no received media`,
      details: { messageId },
    });
  }
  // The key is under the tenant's own prefix, or it is not this tenant's to hand out.
  if (!media.storageKey?.startsWith(bucketLayout.media(tenantId))) {
    throw new ConflictError({
      message: media.error ?? 'The media of this message was not stored',
      details: { messageId },
    });
  }
  const url = await getSignedUrl(
    deps.s3,
    new GetObjectCommand({
      Bucket: deps.bucketName,
      Key: media.storageKey,
      ResponseContentType: media.mimeType,
      ...(media.fileName ? { ResponseContentDisposition: contentDisposition(media.fileName) } : {}),
    }),
    { expiresIn: MEDIA_LINK_TTL_SECONDS },
  );
  return {
    url,
    expiresAt: new Date(deps.now().getTime() + MEDIA_LINK_TTL_SECONDS * 1000).toISOString(),
    type: media.type,
    mimeType: media.mimeType,
    fileName: media.fileName,
    size: media.size,
  };
}

/** RFC 6266 with an RFC 5987 name, so any file name survives the header. */
function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
