import { z } from '@hono/zod-openapi';
import { MEDIA_TYPES, MESSAGE_STATUSES, SESSION_STATES, TENANT_ID_PATTERN } from '../domain.js';
import { RECEIVED_KINDS, RECEIVED_MEDIA_TYPES } from '../events.js';

/**
 * Request and response schemas of the HTTP API. The same objects validate requests and generate
 * the OpenAPI document, so the documentation cannot drift from the code.
 */

export const TenantId = z
  .string()
  .regex(TENANT_ID_PATTERN, 'letters, digits, _ and -, at most 64')
  .openapi({ example: '962302' });

/** Raw phone input: normalized to digits by `normalizePhone` in the route. */
export const PhoneInput = z.string().min(1).max(32).openapi({ example: '79001234567' });

export const ErrorBody = z
  .object({
    success: z.literal(false),
    error: z.object({
      code: z.string().openapi({
        example: 'VALIDATION_ERROR',
        description:
          'Stable code: VALIDATION_ERROR, AUTHENTICATION_ERROR, FORBIDDEN, NOT_FOUND, CONFLICT, IDEMPOTENCY_IN_PROGRESS (409, retryable: a request with the same Idempotency-Key is still running), SESSION_ERROR, QR_CODE_ERROR, PAIRING_CODE_ERROR, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, REQUEST_ABORTED (499, logged only: the client closed the connection before its body arrived), RATE_LIMIT, MESSAGE_SEND_ERROR, PROVIDER_ERROR, CONNECTION_ERROR, DATABASE_ERROR, TIMEOUT_ERROR, CONFIGURATION_ERROR, INTERNAL_ERROR.',
      }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
      isRetryable: z.boolean(),
      retryAfter: z.number().nullable(),
    }),
  })
  .openapi('Error');

export const ok = <T extends z.ZodType>(data: T) => z.object({ success: z.literal(true), data });

// Messages

/**
 * WhatsApp carries any Unicode text, but a lone surrogate has no UTF-8 form (it would arrive as
 * U+FFFD), U+FFFE/U+FFFF are noncharacters SQS refuses, and NUL cuts text short in many systems.
 * Other control characters are carried as they are.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NONCHARACTER = /[\uFFFE\uFFFF]/;
export const carriable = <T extends z.ZodString | z.ZodURL>(schema: T) =>
  schema.refine((text) => !LONE_SURROGATE.test(text) && !NONCHARACTER.test(text) && !text.includes('\0'), {
    message: 'contains a lone surrogate, U+FFFE, U+FFFF or NUL, which WhatsApp cannot carry',
  });

export const SendRequest = z
  .object({
    phone: PhoneInput,
    message: carriable(
      z.string().min(1, 'message must not be empty').max(4096, 'message is limited to 4,096 characters'),
    ),
    companyId: TenantId.optional(),
  })
  .openapi('SendRequest');

export const SendMediaRequest = z
  .object({
    phone: PhoneInput,
    mediaUrl: carriable(z.url().max(2048)),
    type: z.enum(MEDIA_TYPES),
    caption: carriable(z.string().max(1024)).optional(),
    fileName: carriable(z.string().max(255)).optional(),
    mimeType: carriable(z.string().max(127)).optional(),
    companyId: TenantId.optional(),
  })
  .openapi('SendMediaRequest');

export const SendAccepted = ok(
  z.object({
    messageId: z.string().openapi({ example: '3EB0A1B2C3D4E5F6A7B8C9' }),
    status: z.enum(MESSAGE_STATUSES),
    companyId: TenantId,
  }),
).openapi('SendAccepted');

export const MessageView = ok(
  z.object({
    messageId: z.string(),
    companyId: TenantId,
    direction: z.enum(['outbound', 'inbound']),
    to: z.string().optional(),
    from: z.string().optional(),
    status: z.enum(MESSAGE_STATUSES),
    statusHistory: z.array(z.object({ status: z.enum(MESSAGE_STATUSES), at: z.string() })),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    possibleDuplicate: z.boolean().optional().openapi({
      description:
        'Outbound only: sent again with the same id after an earlier send may have left (a host crashed mid-send); the recipient may see it twice.',
    }),
    kind: z.enum(RECEIVED_KINDS),
    text: z.string().optional(),
    media: z
      .object({
        type: z.enum(RECEIVED_MEDIA_TYPES),
        mimeType: z.string().optional(),
        fileName: z.string().optional(),
        size: z.number().optional(),
        caption: z.string().optional(),
        /** Received media only: why it could not be fetched from WhatsApp. */
        error: z.string().optional(),
        /** Received media only: the file is stored; `GET /messages/{id}/media` links to it. */
        downloadable: z.boolean(),
      })
      .optional(),
    location: z
      .object({
        latitude: z.number(),
        longitude: z.number(),
        name: z.string().optional(),
        address: z.string().optional(),
      })
      .optional(),
    contacts: z
      .array(z.object({ name: z.string().optional(), phones: z.array(z.string()) }))
      .optional()
      .openapi({ description: 'Each card’s name and phone numbers.' }),
    poll: z
      .object({ question: z.string(), options: z.array(z.string()), selectableCount: z.number() })
      .optional(),
    reaction: z.object({ emoji: z.string(), messageId: z.string() }).optional(),
    replyTo: z.string().optional().openapi({ description: 'The id of the message this one quotes.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  }),
).openapi('Message');

export const MediaLinkView = ok(
  z.object({
    url: z.url().openapi({ description: 'Presigned HTTPS link to the file; fetch it without the API key.' }),
    expiresAt: z.string(),
    type: z.enum(RECEIVED_MEDIA_TYPES),
    mimeType: z.string().optional(),
    fileName: z.string().optional(),
    size: z.number().optional(),
  }),
).openapi('MediaLink');

// Sessions

const User = z.object({ id: z.string(), name: z.string().optional() });
const LastDisconnect = z.object({ code: z.number().optional(), reason: z.string(), at: z.string() });

export const SessionStatus = ok(
  z.object({
    companyId: TenantId,
    connected: z.boolean(),
    status: z.enum(SESSION_STATES),
    desired: z.enum(['running', 'stopped']),
    user: User.nullable(),
    connectedAt: z.string().nullable(),
    lastSeenAt: z.string().nullable().openapi({
      description:
        'When the socket last received anything from WhatsApp; updated at most once per HEALTH_CHECK_INTERVAL while connected.',
    }),
    lastDisconnect: LastDisconnect.nullable(),
    reconnectAttempts: z.number(),
    epoch: z.number(),
  }),
).openapi('SessionStatus');

export const SessionList = z
  .object({
    success: z.literal(true),
    data: z.record(z.string(), z.object({ connected: z.boolean(), status: z.enum(SESSION_STATES) })),
    summary: z.object({ total: z.number(), connected: z.number() }),
    cursor: z.string().optional(),
  })
  .openapi('SessionList');

export const QrView = ok(
  z.object({ qr: z.string(), attempts: z.number(), expiresAt: z.string(), expiresIn: z.number() }),
).openapi('QrCode');

export const PairingCodeRequest = z.object({ phoneNumber: PhoneInput }).openapi('PairingCodeRequest');

export const PairingCodeView = ok(
  z.object({
    code: z.string().openapi({ example: 'ABCD-EFGH' }),
    expiresIn: z.number(),
    phoneNumber: z.string(),
  }),
).openapi('PairingCode');

export const Accepted = ok(
  z.object({
    companyId: TenantId,
    commandId: z.string(),
    status: z.enum(SESSION_STATES),
    next: z.string().optional(),
  }),
).openapi('Accepted');

export const InitializeRequest = z
  .object({
    usePairingCode: z.boolean().default(false),
    phoneNumber: PhoneInput.optional(),
  })
  .openapi('InitializeRequest');

export const SessionMetrics = ok(
  z.object({
    companyId: TenantId,
    status: z.enum(SESSION_STATES),
    connected: z.boolean(),
    uptimeSeconds: z.number().nullable(),
    messagesSent: z.number(),
    messagesReceived: z.number(),
    messagesFailed: z.number(),
    reconnects: z.number(),
    reconnectAttempts: z.number(),
    lastDisconnect: LastDisconnect.nullable(),
  }),
).openapi('SessionMetrics');

// Health and diagnostics

export const Health = ok(
  z.object({
    status: z.enum(['ok', 'degraded']),
    provider: z.literal('baileys'),
    uptime: z.number(),
    memoryUsage: z.string(),
    totalSessions: z.number().optional(),
    connectedSessions: z.number().optional(),
    sessionsByStatus: z.record(z.string(), z.number()).optional(),
  }),
).openapi('Health');

export const DiagnoseRequest = z
  .object({ phone: PhoneInput.optional(), companyId: TenantId.optional() })
  .openapi('DiagnoseRequest');

export const Diagnosis = ok(
  z.object({
    companyId: TenantId,
    session: z.object({
      exists: z.boolean(),
      status: z.enum(SESSION_STATES),
      connected: z.boolean(),
      lastDisconnect: LastDisconnect.nullable(),
      reconnectAttempts: z.number(),
    }),
    rateLimit: z.object({ limit: z.number(), windowMs: z.number() }),
    contact: z
      .object({
        phone: z.string(),
        checked: z.boolean(),
        exists: z.boolean().nullable(),
        jid: z.string().nullable(),
      })
      .nullable(),
    issues: z.array(z.string()),
    recommendations: z.array(z.string()),
  }),
).openapi('Diagnosis');

// Tenants (admin)

const RateLimitSettings = z.object({
  maxRequests: z.number().int().min(1).max(100_000),
  windowMs: z.number().int().min(1000).max(86_400_000),
});

export const CreateTenantRequest = z
  .object({
    tenantId: TenantId,
    name: z.string().min(1).max(200),
    webhookUrl: z.url().max(2048).optional(),
    rateLimit: RateLimitSettings.optional(),
  })
  .openapi('CreateTenantRequest');

export const UpdateTenantRequest = z
  .object({
    name: z.string().min(1).max(200).optional(),
    status: z.enum(['active', 'disabled']).optional(),
    webhookUrl: z.url().max(2048).nullable().optional(),
    rateLimit: RateLimitSettings.nullable().optional(),
  })
  .openapi('UpdateTenantRequest');

const WebhookEndpointHealth = z
  .object({
    breaker: z.enum(['closed', 'open', 'half-open']).openapi({
      description:
        '`open`: events wait (they keep their attempts) until openUntil; `half-open`: one attempt probes the endpoint; `closed`: every event is attempted.',
    }),
    consecutiveFailures: z.number().int(),
    failingSince: z.string().nullable().openapi({
      description: 'First failure since the last success; failing too long disables the endpoint.',
    }),
    lastFailureAt: z.string().nullable(),
    openUntil: z.string().nullable(),
  })
  .openapi('WebhookEndpointHealth');

/** A tenant's webhook endpoint as the tenant and the admin see it: never its secrets. */
export const WebhookEndpoint = z
  .object({
    url: z.string(),
    enabled: z.boolean(),
    disabledReason: z.string().optional().openapi({
      description:
        'Why delivery stopped (410 Gone, or failing too long); setting the URL again re-enables it.',
    }),
    health: WebhookEndpointHealth,
  })
  .openapi('WebhookEndpoint');

const TenantFields = z.object({
  tenantId: TenantId,
  name: z.string(),
  status: z.enum(['active', 'disabled']),
  createdAt: z.string(),
  updatedAt: z.string(),
  rateLimit: RateLimitSettings.nullable(),
  webhook: WebhookEndpoint.nullable(),
});

export const TenantView = ok(TenantFields).openapi('Tenant');
export const TenantList = ok(
  z.object({ items: z.array(TenantFields), cursor: z.string().optional() }),
).openapi('TenantList');
export const TenantCreated = ok(
  TenantFields.extend({
    apiKey: z.string().openapi({ description: 'Shown once; only its hash is stored.' }),
    webhookSecret: z
      .string()
      .openapi({ description: 'Shown once; signs every webhook (Standard Webhooks).' }),
  }),
).openapi('TenantCreated');
export const ApiKeyRotated = ok(z.object({ apiKey: z.string(), previousKeyValidUntil: z.string() })).openapi(
  'ApiKeyRotated',
);
export const WebhookSecretRotated = ok(
  z.object({ webhookSecret: z.string(), previousSecretValidUntil: z.string().nullable() }),
).openapi('WebhookSecretRotated');
