import { NOISE_WA_HEADER } from '@whiskeysockets/baileys';

/**
 * Splits the client's byte stream into frames: an optional `ED` routing prefix and the 4-byte WA
 * intro first, then 3-byte big-endian length prefixes. A WebSocket message may carry several
 * frames or part of one, so bytes are buffered until a frame is complete.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private introSeen = false;

  /** Returns the complete frames now available; throws on a malformed intro. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    if (!this.introSeen && !this.consumeIntro()) return [];
    const frames: Buffer[] = [];
    while (this.pending.length >= 3) {
      const size = (this.pending[0]! << 16) | (this.pending[1]! << 8) | this.pending[2]!;
      if (this.pending.length < size + 3) break;
      frames.push(this.pending.subarray(3, size + 3));
      this.pending = this.pending.subarray(size + 3);
    }
    return frames;
  }

  private consumeIntro(): boolean {
    let offset = 0;
    if (this.pending[0] === 0x45 && this.pending[1] === 0x44) {
      // 'ED', 0, 1, 3-byte length, routing info: sent by clients that stored edge routing info.
      if (this.pending.length < 7) return false;
      const length = (this.pending[4]! << 16) | this.pending.readUInt16BE(5);
      offset = 7 + length;
    }
    if (this.pending.length < offset + NOISE_WA_HEADER.length) return false;
    const header = this.pending.subarray(offset, offset + NOISE_WA_HEADER.length);
    if (!header.equals(NOISE_WA_HEADER)) throw new Error('bad WA intro header');
    this.pending = this.pending.subarray(offset + NOISE_WA_HEADER.length);
    this.introSeen = true;
    return true;
  }
}

export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(3 + payload.length);
  frame[0] = (payload.length >>> 16) & 0xff;
  frame[1] = (payload.length >>> 8) & 0xff;
  frame[2] = payload.length & 0xff;
  frame.set(payload, 3);
  return frame;
}
