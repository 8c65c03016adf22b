import type { MediaType } from '../../shared/domain.js';
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

const ACCEPTS: Record<MediaType, (mime: string) => boolean> = {
  image: (m) => m.startsWith('image/'),
  video: (m) => m.startsWith('video/'),
  audio: (m) => m.startsWith('audio/'),
  document: () => true,
};

export async function fetchMedia(
  url: string,
  type: MediaType,
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
    const mimeType =
      (res.headers.get('content-type') ?? 'application/octet-stream').split(';')[0]?.trim() ?? '';
    if (!ACCEPTS[type](mimeType)) {
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
    return { data: await readCapped(res, options.maxBytes), mimeType };
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
