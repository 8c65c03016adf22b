import makeWASocket, {
  type AuthenticationState,
  makeCacheableSignalKeyStore,
  proto,
  type WAVersion,
} from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { Config } from '../../shared/config.js';
import { sessionSocketOptions, type WhatsAppEndpoint } from '../whatsapp/socket-options.js';

export type Socket = ReturnType<typeof makeWASocket>;

const BOOTSTRAP_SYNCS: ReadonlySet<proto.Message.HistorySyncType | null | undefined> = new Set([
  proto.Message.HistorySyncType.INITIAL_BOOTSTRAP,
  proto.Message.HistorySyncType.PUSH_NAME,
  proto.Message.HistorySyncType.NON_BLOCKING_DATA,
]);

/** One Baileys socket for a tenant, with the options every wafleet session shares. */
export function createSocket(deps: {
  config: Config;
  log: Logger;
  auth: AuthenticationState;
  endpoint: WhatsAppEndpoint;
}): Socket {
  const { config, log, auth } = deps;
  // Baileys is chatty below warn; never more verbose than our own level.
  const baileysLog = log.child({ component: 'baileys' }, { level: log.levelVal > 40 ? log.level : 'warn' });
  const version = config.whatsapp.version?.split('.').map(Number) as WAVersion | undefined;
  return makeWASocket({
    auth: { creds: auth.creds, keys: makeCacheableSignalKeyStore(auth.keys, baileysLog) },
    logger: baileysLog,
    ...(version ? { version } : {}),
    // A standard browser (refused device names break pairing codes) and fail-fast fenced commits.
    ...sessionSocketOptions(config),
    markOnlineOnConnect: false,
    syncFullHistory: false,
    // Only the small bootstrap syncs, which carry LID mappings Baileys needs; no chat history.
    shouldSyncHistoryMessage: ({ syncType }) => BOOTSTRAP_SYNCS.has(syncType),
    generateHighQualityLinkPreview: false,
    qrTimeout: config.qrCodeTtlMs,
    // Messages live in DynamoDB, not in memory: nothing to resend on retry requests.
    getMessage: async () => undefined,
    ...deps.endpoint.socketOptions,
  });
}
