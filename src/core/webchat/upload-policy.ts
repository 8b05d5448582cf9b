/**
 * What a customer may upload in a web chat: a few kinds of files, each at most `MAX_UPLOAD_BYTES`,
 * at most `MAX_UPLOAD_FILES` per message. The declared type must match the file's first bytes for
 * the kinds that have a signature, so a page cannot be uploaded "as an image" and served back.
 */
export const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;
export const MAX_UPLOAD_FILES = 5;

const SIGNATURES: Readonly<Record<string, readonly number[][]>> = {
  'image/png': [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  'image/jpeg': [[0xff, 0xd8, 0xff]],
  'image/gif': [[0x47, 0x49, 0x46, 0x38]],
  'application/pdf': [[0x25, 0x50, 0x44, 0x46, 0x2d]],
};
/** Types without a signature, accepted as declared and always served as downloads. */
const PLAIN = new Set(['text/plain', 'image/webp']);

export const ALLOWED_UPLOAD_TYPES: readonly string[] = [...Object.keys(SIGNATURES), ...PLAIN];

export type UploadCheck = { readonly ok: true } | { readonly ok: false; readonly reason: 'type' | 'size' | 'mismatch' };

export function checkUpload(contentType: string, content: Uint8Array): UploadCheck {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (!ALLOWED_UPLOAD_TYPES.includes(type)) return { ok: false, reason: 'type' };
  if (content.length === 0 || content.length > MAX_UPLOAD_BYTES) return { ok: false, reason: 'size' };
  const signatures = SIGNATURES[type];
  if (signatures && !signatures.some((sig) => sig.every((byte, i) => content[i] === byte))) return { ok: false, reason: 'mismatch' };
  if (type === 'image/webp' && !(ascii(content, 0, 4) === 'RIFF' && ascii(content, 8, 12) === 'WEBP')) return { ok: false, reason: 'mismatch' };
  return { ok: true };
}

/** Whether a browser may show the type inline (images); everything else is served as a download. */
export function showsInline(contentType: string): boolean {
  return contentType.startsWith('image/');
}

/** A file name safe to store and to put in a Content-Disposition header. */
export function safeFileName(name: string | undefined): string {
  const cleaned = (name ?? '').replace(/[\u0000-\u001f\u007f"\\/]/g, '_').trim().slice(0, 200);
  return cleaned === '' ? 'file' : cleaned;
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}
