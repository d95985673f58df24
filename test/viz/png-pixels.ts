/**
 * Decodes the PNGs resvg writes (8-bit RGBA, not interlaced) into pixels, so a test can compare
 * parts of two drawings.
 */
import { inflateSync } from 'node:zlib';

export interface Pixels {
  width: number;
  height: number;
  /** RGBA, row by row. */
  data: Buffer;
}

export function decodePng(png: Buffer): Pixels {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  if (png[24] !== 8 || png[25] !== 6 || png[28] !== 0) throw new Error('Only 8-bit RGBA PNGs without interlacing are decoded here.');
  const parts: Buffer[] = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    if (png.toString('latin1', offset + 4, offset + 8) === 'IDAT') parts.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(parts));
  const stride = width * 4;
  const data = Buffer.alloc(stride * height);
  for (let row = 0; row < height; row += 1) {
    const filter = raw[row * (stride + 1)];
    for (let column = 0; column < stride; column += 1) {
      const value = raw[row * (stride + 1) + 1 + column] ?? 0;
      const left = column >= 4 ? (data[row * stride + column - 4] ?? 0) : 0;
      const up = row > 0 ? (data[(row - 1) * stride + column] ?? 0) : 0;
      const upLeft = row > 0 && column >= 4 ? (data[(row - 1) * stride + column - 4] ?? 0) : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) {
        const estimate = left + up - upLeft;
        const [a, b, c] = [Math.abs(estimate - left), Math.abs(estimate - up), Math.abs(estimate - upLeft)];
        predicted = a <= b && a <= c ? left : b <= c ? up : upLeft;
      }
      data[row * stride + column] = (value + predicted) & 0xff;
    }
  }
  return { width, height, data };
}

/** The leftmost and rightmost columns with a pixel that is not white. */
export function inkColumns(pixels: Pixels): { first: number; last: number } {
  let first = pixels.width;
  let last = -1;
  for (let row = 0; row < pixels.height; row += 1) {
    for (let column = 0; column < pixels.width; column += 1) {
      const at = (row * pixels.width + column) * 4;
      if ((pixels.data[at] ?? 255) < 250 || (pixels.data[at + 1] ?? 255) < 250 || (pixels.data[at + 2] ?? 255) < 250) {
        first = Math.min(first, column);
        last = Math.max(last, column);
      }
    }
  }
  return { first, last };
}

/** Whether two drawings of the same size have the same pixels in columns `from` to `to`. */
export function sameColumns(a: Pixels, b: Pixels, from: number, to: number): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  for (let row = 0; row < a.height; row += 1) {
    const start = (row * a.width + from) * 4;
    const end = (row * a.width + to + 1) * 4;
    if (!a.data.subarray(start, end).equals(b.data.subarray(start, end))) return false;
  }
  return true;
}
