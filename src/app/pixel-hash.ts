// A short hash of frame pixels (FNV-1a): equal frames, equal hashes. Kept apart from the
// video decoder so the page can load it without mediabunny.
export function hashPixels(bytes: Uint8ClampedArray): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
