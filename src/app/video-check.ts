// Reads a recorded video back (mediabunny): its size, frame count, duration, and what
// every decoded frame looks like. For automation and tests (is the file what was asked,
// are two recordings the same).

import { ALL_FORMATS, BlobSource, Input, VideoSampleSink } from 'mediabunny';
import { hashPixels } from './pixel-hash';

export interface VideoFacts {
  width: number;
  height: number;
  codec: string | null;
  frames: number;
  /** Seconds, from the container. */
  duration: number;
  /** Presentation timestamps in seconds. */
  timestamps: number[];
  /** FNV-1a of each decoded frame's RGBA pixels. */
  hashes: string[];
}

/** Decodes every frame, calling `each` with its pixels (a frame's pixels live only during the call). */
async function decodeFrames(
  blob: Blob,
  each: (k: number, pixels: Uint8ClampedArray, timestamp: number) => void,
): Promise<Omit<VideoFacts, 'timestamps' | 'hashes'>> {
  const input = new Input({ source: new BlobSource(blob), formats: ALL_FORMATS });
  try {
    const track = await input.getPrimaryVideoTrack();
    if (!track) throw new Error('the file has no video track');
    const width = track.displayWidth;
    const height = track.displayHeight;
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    let k = 0;
    for await (const sample of new VideoSampleSink(track).samples()) {
      try {
        ctx.clearRect(0, 0, width, height);
        sample.draw(ctx, 0, 0, width, height);
        each(k++, ctx.getImageData(0, 0, width, height).data, sample.timestamp);
      } finally {
        sample.close();
      }
    }
    return { width, height, codec: track.codec, frames: k, duration: await input.computeDuration() };
  } finally {
    input.dispose();
  }
}

export async function inspectVideo(blob: Blob): Promise<VideoFacts> {
  const timestamps: number[] = [];
  const hashes: string[] = [];
  const facts = await decodeFrames(blob, (_, px, t) => {
    timestamps.push(t);
    hashes.push(hashPixels(px));
  });
  return { ...facts, timestamps, hashes };
}

/** Largest and mean absolute difference of the decoded pixels (RGB) of two videos of the same size and length. */
export async function compareVideos(a: Blob, b: Blob): Promise<{ frames: number; maxDiff: number; meanDiff: number }> {
  const first: Uint8ClampedArray[] = [];
  await decodeFrames(a, (_, px) => first.push(px.slice()));
  let maxDiff = 0;
  let sum = 0;
  let count = 0;
  const facts = await decodeFrames(b, (k, px) => {
    const ref = first[k];
    if (!ref || ref.length !== px.length) throw new Error(`frame ${k} differs in size or is missing in the first video`);
    for (let i = 0; i < px.length; i++) {
      if ((i & 3) === 3) continue;
      const d = Math.abs(px[i] - ref[i]);
      if (d > maxDiff) maxDiff = d;
      sum += d;
      count++;
    }
  });
  if (facts.frames !== first.length) throw new Error(`the videos have ${first.length} and ${facts.frames} frames`);
  return { frames: facts.frames, maxDiff, meanDiff: count ? sum / count : 0 };
}

/** The decoded pixels of frame k. */
export async function videoFrame(blob: Blob, k: number): Promise<ImageData> {
  let found: Uint8ClampedArray<ArrayBuffer> | null = null;
  const facts = await decodeFrames(blob, (i, px) => {
    if (i === k) found = px.slice();
  });
  if (!found) throw new Error(`the video has ${facts.frames} frames, not a frame ${k}`);
  return new ImageData(found, facts.width, facts.height);
}
