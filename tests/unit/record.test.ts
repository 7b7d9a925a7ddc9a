// The pure parts of recording and export: what a recording request means (frames,
// checks with the option named), the Blob list a video streams into (writes that go
// back), the views' CSV, the time-left text, and a frame's composition (layout and annotations).

import { createCanvas } from '@napi-rs/canvas';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { fitRect, layoutRegions, orbitCamera, parseLayout, parseResolution, planRecording, RecordOptionError } from '../../src/model/record-options';
import { formatDuration } from '../../src/app/record-panel';
import { BlobChunks } from '../../src/app/recorder';
import { composeFrame } from '../../src/app/frame-overlay';
import type { AnnotationInput, Box } from '../../src/display/annotations';
import { chartCsv, figureCsv } from '../../src/views/export';

describe('planRecording', () => {
  test('seconds x fps frames; steps: frames for steps 0, S, 2S, ... up to N', () => {
    expect(planRecording({ width: 640, height: 360, fps: 30, seconds: 2 }, 1)).toEqual({
      width: 640,
      height: 360,
      fps: 30,
      frames: 60,
      stepsPerFrame: 1,
      format: 'mp4',
      layout: { scene: true, view: null },
      orbit: 0,
    });
    expect(planRecording({ fps: 24, seconds: 1.5 }, 3)).toMatchObject({ width: 1280, height: 720, frames: 36, stepsPerFrame: 3 });
    expect(planRecording({ steps: 10, stepsPerFrame: 2 }, 1).frames).toBe(6);
    expect(planRecording({ steps: 11, stepsPerFrame: 2 }, 1).frames).toBe(6);
    expect(planRecording({ steps: 0 }, 5).frames).toBe(1);
    // The explorer's steps per frame by default; 0 (paused) still moves one step per frame.
    // Ten seconds by default (the default scene's story).
    expect(planRecording({}, 0)).toMatchObject({ frames: 300, stepsPerFrame: 1, fps: 30 });
    expect(planRecording({ format: 'webm-av1', width: 3840, height: 2160, fps: 60 }, 1)).toMatchObject({ format: 'webm-av1', frames: 600 });
    expect(planRecording({ layout: '3d+sweep', orbit: 90 }, 1)).toMatchObject({ layout: { scene: true, view: 'sweep' }, orbit: 90 });
  });

  test('bad values: one message naming the option', () => {
    const msg = (req: object) => {
      try {
        planRecording(req, 1);
        return 'accepted';
      } catch (e) {
        expect(e).toBeInstanceOf(RecordOptionError);
        return (e as Error).message;
      }
    };
    expect(msg({ width: 1279 })).toBe('width must be an even whole number of pixels from 16 to 7680, got 1279');
    expect(msg({ height: 8000 })).toMatch(/^height must be an even whole number/);
    expect(msg({ width: 640.5 })).toMatch(/^width /);
    expect(msg({ fps: 0 })).toMatch(/^fps must be a whole number from 1 to 120/);
    expect(msg({ fps: 121 })).toMatch(/^fps /);
    expect(msg({ format: 'mov' })).toBe('format must be one of mp4, webm, mp4-av1, webm-av1, got "mov"');
    expect(msg({ seconds: 0 })).toMatch(/^seconds must be a number > 0/);
    expect(msg({ seconds: 0.01 })).toMatch(/^seconds must give at least one frame/);
    expect(msg({ steps: -1 })).toMatch(/^steps must be a whole number >= 0/);
    expect(msg({ steps: 5, seconds: 1 })).toBe('give seconds or steps, not both');
    expect(msg({ stepsPerFrame: 0 })).toMatch(/^stepsPerFrame must be a whole number from 1/);
    expect(msg({ seconds: 4000, fps: 60 })).toMatch(/^a recording has at most 216000 frames/);
    expect(msg({ layout: '3d+plot' })).toMatch(/^layout must be one of 3d, 3d\+loss, 3d\+sweep, .*, got "3d\+plot"$/);
    expect(msg({ orbit: Number.NaN })).toMatch(/^orbit must be a number of degrees/);
    expect(msg({ layout: 'map', orbit: 30 })).toBe('orbit turns the 3-D view, which the layout "map" does not show');
  });

  test('layouts: the 3-D view alone, beside a view (even width on the left), or the view alone', () => {
    expect(parseLayout('3d')).toEqual({ scene: true, view: null });
    expect(parseLayout('3d+bifurcation')).toEqual({ scene: true, view: 'bifurcation' });
    expect(parseLayout('map')).toEqual({ scene: false, view: 'map' });
    expect(layoutRegions(1280, 720, parseLayout('3d'))).toEqual({ scene: { x: 0, y: 0, width: 1280, height: 720 }, view: null });
    expect(layoutRegions(640, 360, parseLayout('3d+sweep'))).toEqual({
      scene: { x: 0, y: 0, width: 372, height: 360 },
      view: { x: 372, y: 0, width: 268, height: 360 },
    });
    expect(layoutRegions(1280, 720, parseLayout('sweep'))).toEqual({ scene: null, view: { x: 0, y: 0, width: 1280, height: 720 } });
    // A 2:1 picture in a 268x360 region: full width, centred vertically.
    expect(fitRect({ x: 372, y: 0, width: 268, height: 360 }, 820, 410)).toEqual({ x: 372, y: 113, width: 268, height: 134 });
  });

  test('orbit: frame k of n turns the camera by orbit x k / (n - 1) about the vertical through the target', () => {
    const cam = { position: [1, 2, 0] as [number, number, number], target: [0, 0.5, 0] as [number, number, number] };
    expect(orbitCamera(cam, 90, 0, 5)).toEqual(cam);
    const end = orbitCamera(cam, 90, 4, 5).position;
    expect(end[0]).toBeCloseTo(0, 12);
    expect(end[1]).toBe(2);
    expect(end[2]).toBeCloseTo(-1, 12);
    const mid = orbitCamera(cam, 90, 2, 5).position;
    expect(Math.hypot(mid[0], mid[2])).toBeCloseTo(1, 12);
    expect(Math.atan2(-mid[2], mid[0])).toBeCloseTo(Math.PI / 4, 12);
    expect(orbitCamera(cam, 90, 0, 1)).toEqual(cam);
  });

  test('parseResolution: WxH, even for video, any size for PNG', () => {
    expect(parseResolution('1920x1080')).toEqual([1920, 1080]);
    expect(parseResolution(' 640 × 360 ')).toEqual([640, 360]);
    expect(parseResolution('333x211', false)).toEqual([333, 211]);
    expect(() => parseResolution('333x211')).toThrow(/^width must be an even/);
    expect(() => parseResolution('1920 by 1080')).toThrow(/^resolution must be WIDTHxHEIGHT such as 1920x1080, got "1920 by 1080"$/);
  });
});

describe('BlobChunks', () => {
  const bytes = async (b: Blob) => Array.from(new Uint8Array(await b.arrayBuffer()));

  test('appends, and a write that goes back replaces those bytes (a container patching a size)', async () => {
    const c = new BlobChunks();
    c.write(0, Uint8Array.of(1, 2, 3, 4));
    c.write(4, Uint8Array.of(5, 6, 7, 8));
    c.write(2, Uint8Array.of(9, 9, 9));
    c.write(10, Uint8Array.of(1));
    const blob = c.toBlob('video/mp4');
    expect(blob.type).toBe('video/mp4');
    expect(await bytes(blob)).toEqual([1, 2, 9, 9, 9, 6, 7, 8, 0, 0, 1]);
  });

  test('any sequence of writes gives the bytes of writing into one array', async () => {
    const write = fc.record({ pos: fc.integer({ min: 0, max: 60 }), data: fc.uint8Array({ minLength: 1, maxLength: 20 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 30 }), async (writes) => {
        const c = new BlobChunks();
        const end = Math.max(...writes.map((w) => w.pos + w.data.length));
        const flat = new Uint8Array(end);
        for (const w of writes) {
          c.write(w.pos, w.data);
          flat.set(w.data, w.pos);
        }
        expect(await bytes(c.toBlob(''))).toEqual(Array.from(flat));
      }),
      { numRuns: 200 },
    );
  });
});

describe('view CSV', () => {
  test('a chart: x then one column per series, gaps empty, non-finite as numpy writes them', () => {
    const csv = chartCsv(
      {
        x: [0.1, 0.2, 0.3],
        series: [
          { label: 'median loss', values: [1, null, NaN], color: '#fff' },
          { label: 'diverged, fraction', values: [0, 0.5, Infinity], color: '#f00' },
        ],
      },
      'learning rate η',
    );
    expect(csv).toBe('learning rate η,median loss,"diverged, fraction"\n0.1,1,0\n0.2,,0.5\n0.3,nan,inf\n');
  });

  test('a map figure: one row per pixel with its axis values and colour, row 0 at the y minimum', () => {
    // Packed RGBA little-endian: 0xAABBGGRR.
    const rgba = Uint32Array.of(0xff0000ff, 0xff00ff00, 0xffff0000, 0xff123456);
    const csv = figureCsv({ param: 'lr', min: 0.01, max: 1, n: 2, scale: 'log' }, { param: 'momentum', min: 0, max: 0.9, n: 2 }, { nx: 2, ny: 2, rgba });
    expect(csv.trim().split('\n')).toEqual(['lr,momentum,color', '0.01,0,#ff0000', '1,0,#00ff00', '0.01,0.9,#0000ff', '1,0.9,#563412']);
  });
});

test('time left as m:ss', () => {
  expect(formatDuration(0)).toBe('0:00');
  expect(formatDuration(61.4)).toBe('1:01');
  expect(formatDuration(3599.6)).toBe('60:00');
  expect(formatDuration(-3)).toBe('0:00');
});

describe('composeFrame', () => {
  const input: AnnotationInput = {
    title: 'Sharp vs flat',
    formula: 'gd, η ∈ [0.01, 1]',
    step: 0,
    legend: { kind: 'lr', min: 0.01, max: 1, colormap: 'plasma' },
  };
  /** A 400x300 picture of one green. */
  const picture = () => {
    const c = createCanvas(400, 300);
    const g = c.getContext('2d');
    g.fillStyle = '#00ff00';
    g.fillRect(0, 0, 400, 300);
    return c;
  };
  const compose = (layout: string, scene: boolean) => {
    const canvas = createCanvas(640, 360);
    const ctx = canvas.getContext('2d');
    const paintScene = (w: number, h: number) => {
      ctx.fillStyle = '#ff0000';
      ctx.fillRect(0, 0, w, h);
    };
    const at = composeFrame(ctx as never, 640, 360, parseLayout(layout), {
      picture: picture() as never,
      scene: scene ? paintScene : null,
      annotations: input,
      step: 120,
    });
    const data = ctx.getImageData(0, 0, 640, 360).data;
    const count = (b: Box, test: (r: number, g: number, bl: number) => boolean) => {
      let n = 0;
      for (let y = b.top; y < b.top + b.height; y++)
        for (let x = b.left; x < b.left + b.width; x++) if (test(data[4 * (y * 640 + x)], data[4 * (y * 640 + x) + 1], data[4 * (y * 640 + x) + 2])) n++;
      return n;
    };
    return { at, count };
  };
  const green = (r: number, g: number, b: number) => r < 40 && g > 200 && b < 40;
  const text = (r: number, g: number, b: number) => r + g + b > 450 && !green(r, g, b);

  test('the view alone: title, step counter and legend drawn, the view between them, covered by neither', () => {
    const { at, count } = compose('sweep', false);
    const { title, legend } = at.annotations!;
    expect(legend).not.toBeNull();
    // The annotations are there (text in the title block, the colour bar's box), and no green in them.
    expect(count(title, text)).toBeGreaterThan(200);
    expect(count(title, green)).toBe(0);
    expect(count(legend!, green)).toBe(0);
    // The picture fills its region between them, aspect kept.
    const v = at.view!;
    expect(v.y).toBeGreaterThanOrEqual(title.top + title.height);
    expect(v.y + v.height).toBeLessThanOrEqual(legend!.top);
    expect(v.width / v.height).toBeCloseTo(4 / 3, 1);
    expect(count({ left: v.x + 1, top: v.y + 1, width: v.width - 2, height: v.height - 2 }, green)).toBe((v.width - 2) * (v.height - 2));
  });

  test('3d+view: the annotations over the 3-D region only, the view at the right', () => {
    const { at, count } = compose('3d+sweep', true);
    const { scene } = layoutRegions(640, 360, parseLayout('3d+sweep'));
    const { title, legend } = at.annotations!;
    expect(title.left + title.width).toBeLessThanOrEqual(scene!.width);
    expect(legend!.left + legend!.width).toBeLessThanOrEqual(scene!.width);
    expect(count(title, text)).toBeGreaterThan(100);
    expect(at.view!.x).toBeGreaterThanOrEqual(scene!.width);
    expect(count({ left: 0, top: 0, width: scene!.width, height: 360 }, green)).toBe(0);
  });
});
