/**
 * A local raster tile server for basemap tests (issue 17): node http on a free port, serving
 * generated 256×256 PNG tiles, recording every request's z/x/y. Nothing touches the internet.
 *
 *   GET /{source}/{z}/{x}/{y}.png
 *     source 'fail' answers 500; any other source answers a tile: a dark fill, a one-pixel grid
 *     border, and a red dot at `markers[source]` (a [lng, lat] in that source's datum) when it
 *     falls on the tile. CORS is open (the page's origin is the IOC server's).
 */
import { createServer, type Server } from 'node:http';
import { deflateSync } from 'node:zlib';
import type { LngLat } from '../../scenes/domain';
import { lngLatToTileFraction, STANDARD_TILE_SIZE_PX } from '../../scenes/geo/tile-math';

export interface TileRequest {
  source: string;
  z: number;
  x: number;
  y: number;
}

export interface TileServer {
  /** base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  requests: TileRequest[];
  close(): Promise<void>;
}

/** Colours of the generated tiles, RGBA. */
export const TILE_COLOURS = {
  fill: [44, 62, 80, 255],
  grid: [90, 110, 130, 255],
  marker: [255, 0, 0, 255],
} as const;
/** Radius of the marker dot, tile px. */
export const TILE_MARKER_RADIUS_PX = 3;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A minimal PNG encoder: 8-bit RGBA, no filtering. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The tile z/x/y: dark fill, grid border, and the marker dot where `marker` falls on it. */
export function renderTile(t: Omit<TileRequest, 'source'>, marker: LngLat | undefined): Buffer {
  const size = STANDARD_TILE_SIZE_PX;
  const px = new Uint8Array(size * size * 4);
  const f = marker ? lngLatToTileFraction(marker, t.z) : null;
  const mx = f ? (f.x - t.x) * size : NaN;
  const my = f ? (f.y - t.y) * size : NaN;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const onMarker = Math.hypot(x + 0.5 - mx, y + 0.5 - my) <= TILE_MARKER_RADIUS_PX;
      const colour = onMarker ? TILE_COLOURS.marker : x === 0 || y === 0 ? TILE_COLOURS.grid : TILE_COLOURS.fill;
      px.set(colour, (y * size + x) * 4);
    }
  return encodePng(size, size, px);
}

export async function startTileServer(markers: Record<string, LngLat> = {}): Promise<TileServer> {
  const requests: TileRequest[] = [];
  const server: Server = createServer((req, res) => {
    const m = /^\/([a-z0-9-]+)\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(req.url ?? '');
    res.setHeader('access-control-allow-origin', '*');
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const [source, z, x, y] = [m[1]!, Number(m[2]), Number(m[3]), Number(m[4])];
    requests.push({ source, z, x, y });
    if (source === 'fail') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('tile server broken on purpose');
      return;
    }
    res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' }).end(renderTile({ z, x, y }, markers[source]));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tile server: no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
