/** Domain vocabulary both sides share: session states, message statuses, tenant ids. */

export const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const SESSION_STATES = [
  'stopped',
  'starting',
  'qr',
  'pairing',
  'connecting',
  'connected',
  'reconnecting',
  'logged_out',
  'failed',
] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/** `played`: a voice note or video the recipient played (WhatsApp reports it after `read`). */
export const MESSAGE_STATUSES = ['queued', 'sent', 'delivered', 'read', 'played', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/**
 * Status only moves forward (a late `delivered` receipt never undoes `read`), and each step implies
 * the ones before it (`read` means delivered and sent); `failed` is final.
 */
export const MESSAGE_STATUS_RANK: Record<MessageStatus, number> = {
  queued: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  played: 4,
  failed: 5,
};

export const MEDIA_TYPES = ['image', 'video', 'audio', 'document'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

export const LINK_METHODS = ['qr', 'pairing-code'] as const;
export type LinkMethod = (typeof LINK_METHODS)[number];
