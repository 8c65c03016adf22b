import { MIMEType } from 'node:util';
import type { OutboundMediaType } from '../../shared/commands.js';
import { ValidationError } from '../../shared/errors.js';
import { assertPublicTarget, type Lookup, type TargetPolicy } from '../../shared/net/target-guard.js';

/**
 * Downloads a tenant's media URL for sending: only public targets (SSRF guard, re-checked on every
 * redirect), a size cap enforced while streaming, and a content type that matches the media type.
 */

const MAX_REDIRECTS = 3;

export interface FetchedMedia {
  data: Buffer;
  mimeType: string;
}

/** The content types each media type accepts; a voice note and a sticker are one format each. */
const ACCEPTS: Record<OutboundMediaType, (type: MIMEType) => boolean> = {
  image: (t) => t.type === 'image',
  video: (t) => t.type === 'video',
  audio: (t) => t.type === 'audio',
  voice: (t) => t.essence === 'audio/ogg' && [null, 'opus'].includes(t.params.get('codecs')),
  document: () => true,
  sticker: (t) => t.essence === 'image/webp',
};

/** The file's own signature, where a type needs one format (servers label files loosely). */
const SIGNATURES: Partial<Record<OutboundMediaType, { format: string; matches: (data: Buffer) => boolean }>> =
  {
    // RIFF container, WEBP form type.
    sticker: {
      format: 'WebP',
      matches: (d) => d.toString('latin1', 0, 4) === 'RIFF' && d.toString('latin1', 8, 12) === 'WEBP',
    },
    // An Ogg page whose first packet (after the page's segment table) is Opus's identification header.
    voice: {
      format: 'Ogg Opus',
      matches: (d) =>
        d.toString('latin1', 0, 4) === 'OggS' && d.length > 27 && opusHeadAt(d, 27 + (d[26] ?? 0)),
    },
  };

const opusHeadAt = (d: Buffer, offset: number) => d.toString('latin1', offset, offset + 8) === 'OpusHead';

export async function fetchMedia(
  url: string,
  type: OutboundMediaType,
  options: { policy: TargetPolicy; maxBytes: number; timeoutMs?: number; lookup?: Lookup },
): Promise<FetchedMedia> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  let target = url;
  for (let hop = 0; ; hop++) {
    await assertPublicTarget(target, options.policy, options.lookup);
    const res = await fetch(target, { redirect: 'manual', signal });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new ValidationError({ message: 'Media URL redirects too many times' });
      target = new URL(location, target).toString();
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new ValidationError({
        message: `Media URL answered HTTP ${res.status}`,
        details: { status: res.status },
      });
    }
    const contentType = parseContentType(res.headers.get('content-type'));
    const mimeType = contentType.essence;
    if (!ACCEPTS[type](contentType)) {
      await res.body?.cancel();
      throw new ValidationError({
        message: `Media URL serves ${mimeType}, which is not ${type}`,
        details: { contentType: mimeType, type },
      });
    }
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > options.maxBytes) {
      await res.body?.cancel();
      throw tooLarge(options.maxBytes);
    }
    const data = await readCapped(res, options.maxBytes);
    const signature = SIGNATURES[type];
    if (signature && !signature.matches(data)) {
      throw new ValidationError({
        message: `Media URL serves a file that is not ${signature.format}, which a ${type} must be`,
        details: { contentType: mimeType, type },
      });
    }
    return { data, mimeType };
  }
}

/** A missing or unparsable Content-Type is arbitrary bytes (RFC 9110 §8.3). */
function parseContentType(header: string | null): MIMEType {
  try {
    return new MIMEType(header ?? '');
  } catch {
    return new MIMEType('application/octet-stream');
  }
}

async function readCapped(res: Response, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  if (!res.body) return Buffer.alloc(0);
  for await (const chunk of res.body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

const tooLarge = (maxBytes: number) =>
  new ValidationError({ message: `Media is larger than ${maxBytes} bytes`, details: { maxBytes } });
