import type { S3Client } from '@aws-sdk/client-s3';
import type { WAMessage } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { EventPublisher } from '../../shared/aws/event-publisher.js';
import type { Config } from '../../shared/config.js';
import type { Metrics } from '../../shared/metrics.js';
import type { MessageStore } from '../../shared/stores/messages.js';
import type { SessionStore } from '../../shared/stores/sessions.js';
import type { WhatsAppEndpoint } from '../whatsapp/socket-options.js';
import { describeInbound, describeProtocol } from './inbound.js';
import { storeInboundMedia } from './inbound-media.js';
import type { Socket } from './socket-factory.js';

export interface InboundDeps {
  config: Config;
  s3: S3Client;
  endpoint: WhatsAppEndpoint;
  messages: MessageStore;
  sessions: SessionStore;
  events: EventPublisher;
  metrics: Metrics;
}

/**
 * What a contact sent, made durable and announced: media stored first, the message recorded once
 * (a redelivery is not announced again), then counted and published.
 */
export async function handleInbound(
  deps: InboundDeps,
  context: { tenantId: string; log: Logger; sock: Socket },
  message: WAMessage,
): Promise<void> {
  const { tenantId, log, sock } = context;
  // A contact's edit or deletion of an earlier message is an event of its own, not a message.
  const change = describeProtocol(message);
  if (change) {
    await deps.events.publish(tenantId, change.type, change.data);
    return;
  }
  const view = describeInbound(message);
  if (!view) return;
  const data = view.data;
  if (view.media) {
    const { kind, ...described } = view.media;
    const stored = await storeInboundMedia(
      { s3: deps.s3, bucketName: deps.config.bucketName, download: deps.endpoint.mediaDownload, log },
      sock,
      tenantId,
      message,
      { messageId: data.messageId, mimeType: described.mimeType },
    );
    data.media = { type: kind, ...described, ...stored };
  }
  const isNew = await deps.messages.recordInbound(tenantId, data);
  if (!isNew) return;
  deps.metrics.count('MessagesReceived');
  await Promise.all([
    deps.sessions.incrementCounter(tenantId, 'receivedCount'),
    deps.events.publish(tenantId, 'message.received', data),
  ]);
}
