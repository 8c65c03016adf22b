import {
  type BinaryNode,
  getBinaryNodeChild,
  getBinaryNodeChildBuffer,
  getBinaryNodeChildren,
  S_WHATSAPP_NET,
} from '@whiskeysockets/baileys';

/** Small node builders and readers shared by the handlers. */

export function iqResult(request: BinaryNode, content?: BinaryNode[]): BinaryNode {
  return {
    tag: 'iq',
    attrs: { id: request.attrs.id ?? '', type: 'result', from: S_WHATSAPP_NET },
    ...(content ? { content } : {}),
  };
}

export function iqError(request: BinaryNode, code: number, text: string): BinaryNode {
  return iqResult(request, [{ tag: 'error', attrs: { code: String(code), text } }]);
}

export function childBuffer(node: BinaryNode | undefined, tag: string): Buffer | undefined {
  const value = getBinaryNodeChildBuffer(node, tag);
  return value ? Buffer.from(value) : undefined;
}

export function children(node: BinaryNode | undefined, tag: string): BinaryNode[] {
  return getBinaryNodeChildren(node, tag);
}

export function child(node: BinaryNode | undefined, tag: string): BinaryNode | undefined {
  return getBinaryNodeChild(node, tag);
}

export function firstChildTag(node: BinaryNode): string | undefined {
  return Array.isArray(node.content) ? node.content[0]?.tag : undefined;
}

export function uintBE(value: number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  out.writeUIntBE(value, 0, bytes);
  return out;
}

export function readUintBE(buffer: Buffer | undefined): number {
  if (!buffer || buffer.length === 0) return 0;
  return buffer.readUIntBE(0, Math.min(buffer.length, 6));
}

export function contentText(node: BinaryNode | undefined): string | undefined {
  const content = node?.content;
  if (typeof content === 'string') return content;
  if (content instanceof Uint8Array) return Buffer.from(content).toString('utf8');
  return undefined;
}
