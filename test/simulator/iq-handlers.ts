import { type BinaryNode, jidDecode, KEY_BUNDLE_TYPE } from '@whiskeysockets/baileys';
import type { SimConnection } from './connection.js';
import type { Hub } from './hub.js';
import type { LinkedDevice, UploadedKeys } from './model.js';
import type { Phone } from './phone.js';
import {
  child,
  childBuffer,
  children,
  contentText,
  firstChildTag,
  iqError,
  iqResult,
  readUintBE,
  uintBE,
} from './xmpp.js';

/**
 * Answers to the client's queries. Everything gets an answer, even if empty: an unanswered query
 * holds the client for `defaultQueryTimeoutMs` (60 s), and `open` waits on four of them.
 */
export function answerIq(hub: Hub, conn: SimConnection, iq: BinaryNode): BinaryNode | undefined {
  const xmlns = iq.attrs.xmlns;
  const first = firstChildTag(iq);
  switch (xmlns) {
    case 'w:p':
      return iqResult(iq);
    case 'encrypt':
      return answerEncrypt(hub, conn, iq, first);
    case 'usync':
      return answerUsync(hub, iq);
    case 'abt':
      return iqResult(iq, [{ tag: 'props', attrs: { protocol: '1', hash: 'simulator' } }]);
    case 'privacy':
      return first === 'privacy' && iq.attrs.type === 'get'
        ? iqResult(iq, [privacySettings()])
        : iqResult(iq);
    case 'blocklist':
      return iqResult(iq, [{ tag: 'list', attrs: {} }]);
    case 'md':
      return hub.onMdIq(conn, iq);
    case 'w:m':
      return first === 'media_conn' ? iqResult(iq, [mediaConn(hub)]) : iqResult(iq);
    default:
      // passive, w:stats, dirty, w:sync:app:state …: acknowledging is enough for this client.
      return iqResult(iq);
  }
}

/** Where to upload media: the simulator's one HTTPS media host, with the token it checks. */
function mediaConn(hub: Hub): BinaryNode {
  return {
    tag: 'media_conn',
    attrs: { auth: hub.media.auth, ttl: '300', auth_ttl: '21600', max_buckets: '12' },
    content: [{ tag: 'host', attrs: { hostname: hub.media.hostname, maxContentLengthBytes: '104857600' } }],
  };
}

function answerEncrypt(hub: Hub, conn: SimConnection, iq: BinaryNode, first: string | undefined): BinaryNode {
  const device = conn.device;
  if (first === 'count') {
    return iqResult(iq, [{ tag: 'count', attrs: { value: String(device?.keys?.preKeys.size ?? 0) } }]);
  }
  if (first === 'digest') {
    // Baileys only checks that a digest comes back; an empty result would make it upload again.
    return iqResult(iq, [{ tag: 'digest', attrs: {} }]);
  }
  if (first === 'key') {
    return answerKeyFetch(hub, iq);
  }
  if (first === 'rotate') {
    const skey = child(child(iq, 'rotate'), 'skey');
    if (device?.keys && skey) device.keys.signedPreKey = readSignedPreKey(skey);
    return iqResult(iq);
  }
  if (iq.attrs.type === 'set' && device && child(iq, 'identity')) {
    storeUploadedKeys(device, iq);
    hub.emitKeysUploaded(device);
    return iqResult(iq);
  }
  return iqResult(iq);
}

/** The pre-key upload: kept so a phone can start a Signal session with this device. */
function storeUploadedKeys(device: LinkedDevice, iq: BinaryNode): void {
  const preKeys = device.keys?.preKeys ?? new Map<number, Buffer>();
  for (const key of children(child(iq, 'list'), 'key')) {
    const id = readUintBE(childBuffer(key, 'id'));
    const value = childBuffer(key, 'value');
    if (value) preKeys.set(id, value);
  }
  const skey = child(iq, 'skey');
  const keys: UploadedKeys = {
    registrationId: readUintBE(childBuffer(iq, 'registration')),
    identityKey: childBuffer(iq, 'identity') ?? device.identityKey,
    signedPreKey: skey ? readSignedPreKey(skey) : (device.keys?.signedPreKey ?? emptySignedPreKey()),
    preKeys,
  };
  device.keys = keys;
}

function readSignedPreKey(skey: BinaryNode): UploadedKeys['signedPreKey'] {
  return {
    keyId: readUintBE(childBuffer(skey, 'id')),
    publicKey: childBuffer(skey, 'value') ?? Buffer.alloc(32),
    signature: childBuffer(skey, 'signature') ?? Buffer.alloc(64),
  };
}

function emptySignedPreKey(): UploadedKeys['signedPreKey'] {
  return { keyId: 0, publicKey: Buffer.alloc(32), signature: Buffer.alloc(64) };
}

/** `<key><user jid/>…</key>`: one bundle per device jid, a one-time pre-key handed out once. */
function answerKeyFetch(hub: Hub, iq: BinaryNode): BinaryNode {
  const users = children(child(iq, 'key'), 'user').map((user): BinaryNode => {
    const jid = user.attrs.jid ?? '';
    const bundle = hub.takePreKeyBundle(jid);
    if (!bundle)
      return {
        tag: 'user',
        attrs: { jid },
        content: [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }],
      };
    const content: BinaryNode[] = [
      { tag: 'registration', attrs: {}, content: uintBE(bundle.registrationId, 4) },
      { tag: 'type', attrs: {}, content: KEY_BUNDLE_TYPE },
      { tag: 'identity', attrs: {}, content: bundle.identityKey },
      {
        tag: 'skey',
        attrs: {},
        content: [
          { tag: 'id', attrs: {}, content: uintBE(bundle.signedPreKey.keyId, 3) },
          { tag: 'value', attrs: {}, content: bundle.signedPreKey.publicKey },
          { tag: 'signature', attrs: {}, content: bundle.signedPreKey.signature },
        ],
      },
    ];
    if (bundle.preKey) {
      content.push({
        tag: 'key',
        attrs: {},
        content: [
          { tag: 'id', attrs: {}, content: uintBE(bundle.preKey.keyId, 3) },
          { tag: 'value', attrs: {}, content: bundle.preKey.publicKey },
        ],
      });
    }
    return { tag: 'user', attrs: { jid }, content };
  });
  return iqResult(iq, [{ tag: 'list', attrs: {}, content: users }]);
}

/**
 * usync: the device list, the LID (Baileys 7 sends by LID and fails without it) and contact
 * existence. Only the primary device (0) is listed; other companions of an account are not
 * advertised, so a send never fans out to them.
 */
function answerUsync(hub: Hub, iq: BinaryNode): BinaryNode {
  const usync = child(iq, 'usync');
  const query = child(usync, 'query')?.content;
  const wanted = new Set(Array.isArray(query) ? query.map((node) => node.tag) : []);
  const users = children(child(usync, 'list'), 'user').map((user) => usyncUser(hub, user, wanted));
  return iqResult(iq, [
    {
      tag: 'usync',
      attrs: { ...(usync?.attrs ?? {}) },
      content: [
        { tag: 'result', attrs: {} },
        { tag: 'list', attrs: {}, content: users },
      ],
    },
  ]);
}

function usyncUser(hub: Hub, user: BinaryNode, wanted: Set<string>): BinaryNode {
  const contact = contentText(child(user, 'contact'));
  let jid = user.attrs.jid;
  let phone: Phone | undefined;
  if (jid) {
    const decoded = jidDecode(jid);
    phone = decoded ? hub.findPhone(decoded.user, decoded.server) : undefined;
  } else if (contact) {
    const number = contact.replace(/\D/g, '');
    jid = `${number}@s.whatsapp.net`;
    phone = hub.findPhone(number, 's.whatsapp.net');
  }
  const content: BinaryNode[] = [];
  if (wanted.has('devices')) {
    content.push({
      tag: 'devices',
      attrs: {},
      content: [
        { tag: 'device-list', attrs: {}, content: phone ? [{ tag: 'device', attrs: { id: '0' } }] : [] },
      ],
    });
  }
  if (wanted.has('lid') && phone && !jid?.endsWith('@lid')) {
    content.push({ tag: 'lid', attrs: { val: phone.lid } });
  }
  if (wanted.has('contact')) {
    content.push({ tag: 'contact', attrs: { type: phone ? 'in' : 'out' } });
  }
  return { tag: 'user', attrs: { jid: jid ?? '' }, content };
}

function privacySettings(): BinaryNode {
  const categories: Array<[string, string]> = [
    ['last', 'all'],
    ['online', 'all'],
    ['profile', 'all'],
    ['status', 'all'],
    ['groupadd', 'all'],
    ['readreceipts', 'all'],
    ['calladd', 'all'],
  ];
  return {
    tag: 'privacy',
    attrs: {},
    content: categories.map(([name, value]) => ({ tag: 'category', attrs: { name, value } })),
  };
}

export { iqError };
