import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { downloadMediaMessage, type MediaDownloadOptions, type WAMessage } from '@whiskeysockets/baileys';
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import { bucketLayout } from '../../shared/resources.js';
import type { Socket } from './socket-factory.js';

/** Further tries of an inbound media download after a server or network error. */
const MEDIA_DOWNLOAD_RETRIES = 2;

/** An HTTP 4xx from the media host (Baileys reports it as a Boom error). */
function isClientError(error: unknown): boolean {
  const status = (error as { output?: { statusCode?: number } }).output?.statusCode;
  return status !== undefined && status >= 400 && status < 500;
}

/**
 * Downloads a received message's media from WhatsApp and stores it under the tenant's media
 * prefix. A failure is a value: the message still goes out, saying why its media is missing.
 */
export async function storeInboundMedia(
  deps: { s3: S3Client; bucketName: string; download: MediaDownloadOptions; log: Logger },
  sock: Socket,
  tenantId: string,
  message: WAMessage,
  media: { messageId: string; mimeType?: string },
): Promise<{ storageKey?: string; error?: string }> {
  try {
    // A media host's 5xx or a dropped connection is worth another try; a 4xx is not.
    const buffer = await pRetry(
      () =>
        downloadMediaMessage(message, 'buffer', deps.download, {
          logger: deps.log,
          reuploadRequest: sock.updateMediaMessage,
        }),
      { retries: MEDIA_DOWNLOAD_RETRIES, minTimeout: 500, shouldRetry: ({ error }) => !isClientError(error) },
    );
    const key = `${bucketLayout.media(tenantId)}inbound/${media.messageId}`;
    await deps.s3.send(
      new PutObjectCommand({ Bucket: deps.bucketName, Key: key, Body: buffer, ContentType: media.mimeType }),
    );
    return { storageKey: key };
  } catch (thrown) {
    deps.log.warn({ messageId: media.messageId, err: thrown }, 'inbound media not stored');
    return { error: 'The media could not be downloaded from WhatsApp' };
  }
}
