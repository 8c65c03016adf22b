import { type BinaryNode, jidDecode, proto, unpadRandomMax16 } from '@whiskeysockets/baileys';
import type { SimConnection } from './connection.js';
import type { Hub } from './hub.js';
import { unixNow } from './pairing.js';
import type { EncType } from './signal-party.js';
import { children } from './xmpp.js';

/**
 * A message from a linked device: ack it as the server, then hand each `<to>` addressed to a
 * simulated phone's primary device to that phone, which decrypts with its own Signal state.
 * Copies for other companions are dropped (usync never lists them, so Baileys does not make any).
 */
export async function onClientMessage(hub: Hub, conn: SimConnection, node: BinaryNode): Promise<void> {
  const id = node.attrs.id ?? '';
  const to = node.attrs.to ?? '';
  conn.send({ tag: 'ack', attrs: { id, class: 'message', from: to, t: unixNow() } });
  const sender = conn.device;
  if (!sender) return;
  const deliveries: Array<{ jid: string; enc: BinaryNode }> = [];
  for (const target of children(children(node, 'participants')[0], 'to')) {
    const enc = children(target, 'enc')[0];
    if (enc) deliveries.push({ jid: target.attrs.jid ?? '', enc });
  }
  const direct = children(node, 'enc')[0];
  if (direct) deliveries.push({ jid: to, enc: direct });
  for (const { jid, enc } of deliveries) {
    const recipient = hub.resolveJid(jid);
    if (recipient?.device !== 0 || !(enc.content instanceof Uint8Array)) continue;
    const type = enc.attrs.type as EncType;
    try {
      const plaintext = await recipient.phone.decryptFrom(sender, type, Buffer.from(enc.content));
      const message = proto.Message.decode(unpadRandomMax16(plaintext));
      recipient.phone.accept({ id, from: sender, chatJid: to, message });
    } catch (error) {
      recipient.phone.recordDecryptionFailure(id, error);
    }
  }
}

/** A device's receipt for a message a phone sent it: the phone learns it was delivered or read. */
export function onClientReceipt(hub: Hub, conn: SimConnection, node: BinaryNode): void {
  const to = node.attrs.to;
  if (!to || !conn.device) return;
  const decoded = jidDecode(to);
  const phone = decoded ? hub.findPhone(decoded.user, decoded.server) : undefined;
  if (!phone) return;
  const type = node.attrs.type ?? 'delivery';
  const ids = [
    node.attrs.id ?? '',
    ...children(children(node, 'list')[0], 'item').map((i) => i.attrs.id ?? ''),
  ];
  for (const messageId of ids.filter(Boolean)) {
    hub.events.emit('device-receipt', { phoneNumber: phone.number, messageId, type });
  }
}
