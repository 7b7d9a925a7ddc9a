// Video files from frames computed in Node (record-zoom, merge): Node has no WebCodecs,
// so the frames are encoded by the system's headless Chromium, in a blank page that
// loads mediabunny's browser bundle from a localhost server (a secure context). Each
// frame's RGBA bytes are fetched by the page from that server, one frame at a time, so
// memory holds one frame, not the video's; the finished file leaves the page as a
// download, written to disk as it streams.

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, saveBlob } from './browser';

/** mediabunny's browser bundle (an ES module), found through Node's resolution of the package. */
function mediabunnyBundle(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('mediabunny'));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'dist/bundles/mediabunny.mjs');
    if (existsSync(file)) return file;
    dir = dirname(dir);
  }
  throw new Error("mediabunny's browser bundle (dist/bundles/mediabunny.mjs) is missing");
}

// The page's side: start an encoder, add the frame the server holds, finish into a Blob;
// and decode a file back (frame count and a hash of each frame's pixels, for tests).
const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as mb from './mediabunny.mjs';
let enc = null;
window.zoomVideo = {
  async start(o) {
    const output = new mb.Output({
      format: o.container === 'mp4' ? new mb.Mp4OutputFormat() : new mb.WebMOutputFormat(),
      target: new mb.BufferTarget(),
    });
    const source = new mb.VideoSampleSource({ codec: o.codec, quality: mb.QUALITY_HIGH, keyFrameInterval: 2, latencyMode: 'quality' });
    output.addVideoTrack(source, { frameRate: o.fps });
    if (!(await mb.canEncodeVideo(o.codec, { width: o.width, height: o.height, frameRate: o.fps })))
      throw new Error('this Chromium cannot encode ' + o.codec + ' at ' + o.width + 'x' + o.height);
    await output.start();
    enc = { output, source, o };
  },
  async add(k) {
    const { source, o } = enc;
    const data = new Uint8Array(await (await fetch('/frame')).arrayBuffer());
    const sample = new mb.VideoSample(data, { format: 'RGBX', codedWidth: o.width, codedHeight: o.height, timestamp: k / o.fps, duration: 1 / o.fps });
    try { await source.add(sample); } finally { sample.close(); }
  },
  async finish() {
    await enc.output.finalize();
    const bytes = enc.output.target.buffer;
    window.zoomVideoBlob = new Blob([bytes]);
    enc = null;
    return bytes.byteLength;
  },
  async decode(url) {
    const blob = await (await fetch(url)).blob();
    const input = new mb.Input({ source: new mb.BlobSource(blob), formats: mb.ALL_FORMATS });
    const track = await input.getPrimaryVideoTrack();
    const w = track.displayWidth, h = track.displayHeight;
    const ctx = new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true });
    const hashes = [];
    for await (const s of new mb.VideoSampleSink(track).samples()) {
      ctx.clearRect(0, 0, w, h);
      s.draw(ctx, 0, 0, w, h);
      s.close();
      const px = ctx.getImageData(0, 0, w, h).data;
      let x = 0x811c9dc5;
      for (let i = 0; i < px.length; i++) x = Math.imul(x ^ px[i], 0x01000193);
      hashes.push((x >>> 0).toString(16).padStart(8, '0'));
    }
    input.dispose();
    return { width: w, height: h, codec: track.codec, frames: hashes.length, hashes };
  },
};
window.zoomVideoReady = true;
</script>`;

interface VideoPage {
  zoomVideoReady?: boolean;
  zoomVideoBlob?: Blob;
  zoomVideo: {
    start(o: object): Promise<void>;
    add(k: number): Promise<void>;
    finish(): Promise<number>;
    decode(url: string): Promise<DecodedVideo>;
  };
}

export interface DecodedVideo {
  width: number;
  height: number;
  codec: string | null;
  frames: number;
  /** FNV-1a of each decoded frame's RGBA pixels. */
  hashes: string[];
}

/** The blank page with mediabunny, and the server it fetches frames (and files to decode) from. */
class VideoPageHost {
  private frame: Uint8Array = new Uint8Array(0);
  private file = '';

  private constructor(
    private readonly server: Server,
    private readonly browser: Browser,
    readonly page: Page,
  ) {}

  static async open(): Promise<VideoPageHost> {
    const bundle = readFileSync(mediabunnyBundle());
    let host: VideoPageHost | null = null;
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      else if (path === '/mediabunny.mjs') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      else if (path === '/frame' && host) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(host.frame);
      else if (path === '/file' && host?.file) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(host.file));
      else res.writeHead(404).end();
    });
    await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', () => ok()));
    let browser: Browser | null = null;
    try {
      browser = await launchChromium({ webgpu: false, pixels: false });
      const page = await browser.newPage({ acceptDownloads: true });
      host = new VideoPageHost(server, browser, page);
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => (window as unknown as VideoPage).zoomVideoReady === true, null, { timeout: 60_000 });
      return host;
    } catch (e) {
      await browser?.close().catch(() => {});
      await new Promise((ok) => server.close(ok));
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => {});
    await new Promise((ok) => this.server.close(ok));
  }

  /** Serves `rgba` to the page and encodes it as frame k. */
  async add(k: number, rgba: Uint8Array): Promise<void> {
    this.frame = rgba;
    await this.page.evaluate((i) => (window as unknown as VideoPage).zoomVideo.add(i), k);
  }

  async decode(path: string): Promise<DecodedVideo> {
    this.file = path;
    return this.page.evaluate(() => (window as unknown as VideoPage).zoomVideo.decode('/file'));
  }
}

export interface VideoSpec {
  width: number;
  height: number;
  fps: number;
  container: 'mp4' | 'webm';
}

/** An open video file: frames go in one at a time, in order; finish() writes the file whole. */
export class VideoWriter {
  private frames = 0;

  private constructor(
    private readonly host: VideoPageHost,
    private readonly spec: VideoSpec,
  ) {}

  static async open(spec: VideoSpec): Promise<VideoWriter> {
    const host = await VideoPageHost.open();
    try {
      const codec = spec.container === 'mp4' ? 'avc' : 'vp9';
      await host.page.evaluate((o) => (window as unknown as VideoPage).zoomVideo.start(o), { ...spec, codec });
    } catch (e) {
      await host.close();
      throw new Error(`the video encoder did not start: ${(e as Error).message.replace(/^page\.evaluate: (\w*Error: )?/, '').split('\n')[0]}`, {
        cause: e,
      });
    }
    return new VideoWriter(host, spec);
  }

  /** Frame k's pixels: W x H RGBA bytes (alpha ignored). */
  async add(rgba: Uint8Array): Promise<void> {
    const { width, height } = this.spec;
    if (rgba.length !== 4 * width * height) throw new Error(`a frame of ${rgba.length} bytes, the video's are ${4 * width * height}`);
    await this.host.add(this.frames++, rgba);
  }

  /** Finishes the file and writes it to `path` (under a temporary name, renamed whole); returns its size. */
  async finish(path: string): Promise<number> {
    try {
      const size = await this.host.page.evaluate(() => (window as unknown as VideoPage).zoomVideo.finish());
      await saveBlob(this.host.page, 'zoomVideoBlob', path);
      return size;
    } finally {
      await this.host.close();
    }
  }

  async abandon(): Promise<void> {
    await this.host.close();
  }
}

/** Decodes video files in Chromium: each one's size, codec, frame count and each frame's pixel hash. */
export async function decodeVideos(paths: string[]): Promise<DecodedVideo[]> {
  const host = await VideoPageHost.open();
  try {
    const out: DecodedVideo[] = [];
    for (const p of paths) out.push(await host.decode(p));
    return out;
  } finally {
    await host.close();
  }
}
