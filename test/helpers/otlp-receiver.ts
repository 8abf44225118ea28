/**
 * An OTLP/HTTP metrics receiver for tests. It decodes the real payload itself, protobuf (with its own
 * small wire-format reader, independent of the exporter's encoder) and JSON, into one model.
 */
import { createServer, type Server } from 'node:http';

export type AttrValue = string | number | boolean;

export interface OtlpPoint {
  attributes: Record<string, AttrValue>;
  value?: number;
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  bounds?: number[];
}

export interface OtlpMetric {
  name: string;
  description: string;
  unit: string;
  type: 'sum' | 'gauge' | 'histogram';
  /** 1 delta, 2 cumulative. */
  temporality?: number;
  monotonic?: boolean;
  points: OtlpPoint[];
}

export interface OtlpLogRecord {
  resource: Record<string, AttrValue>;
  severityText: string;
  body: string;
  attributes: Record<string, AttrValue>;
}

export interface OtlpExport {
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
  resource: Record<string, AttrValue>;
  metrics: OtlpMetric[];
}

// --- protobuf wire format ---------------------------------------------------------------------

interface Field {
  no: number;
  wire: number;
  int?: bigint;
  bytes?: Buffer;
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, int: varint() });
    else if (wire === 1) {
      out.push({ no, wire, bytes: buf.subarray(i, i + 8) });
      i += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, wire, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 5) {
      out.push({ no, wire, bytes: buf.subarray(i, i + 4) });
      i += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const all = (fs: Field[], no: number) => fs.filter((f) => f.no === no);
const one = (fs: Field[], no: number) => fs.find((f) => f.no === no);
const str = (f?: Field) => f?.bytes?.toString('utf8') ?? '';
const f64 = (f?: Field) => (f?.bytes ? f.bytes.readDoubleLE(0) : undefined);
const u64 = (f?: Field) => (f?.bytes ? Number(f.bytes.readBigUInt64LE(0)) : undefined);

function anyValue(buf: Buffer): AttrValue {
  const fs = fields(buf);
  const f = fs[0];
  if (!f) return '';
  if (f.no === 1) return str(f);
  if (f.no === 2) return f.int === 1n;
  if (f.no === 3) return Number(BigInt.asIntN(64, f.int ?? 0n));
  if (f.no === 4) return f64(f) as number;
  return `(unsupported AnyValue field ${f.no})`;
}

function attributes(fs: Field[]): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of fs) {
    const k = fields(kv.bytes as Buffer);
    out[str(one(k, 1))] = anyValue(one(k, 2)?.bytes ?? Buffer.alloc(0));
  }
  return out;
}

function packed(f: Field | undefined, fs: Field[], no: number, read: (b: Buffer, o: number) => number): number[] {
  // Repeated fixed64/double fields arrive packed (one length-delimited field) or one by one.
  if (f && f.wire === 2)
    return Array.from({ length: (f.bytes as Buffer).length / 8 }, (_, k) => read(f.bytes as Buffer, k * 8));
  return all(fs, no).map((x) => read(x.bytes as Buffer, 0));
}

function numberPoint(buf: Buffer): OtlpPoint {
  const fs = fields(buf);
  const asDouble = one(fs, 4);
  const asInt = one(fs, 6);
  return {
    attributes: attributes(all(fs, 7)),
    value: asDouble ? f64(asDouble) : asInt ? Number((asInt.bytes as Buffer).readBigInt64LE(0)) : undefined,
  };
}

function histogramPoint(buf: Buffer): OtlpPoint {
  const fs = fields(buf);
  return {
    attributes: attributes(all(fs, 9)),
    count: u64(one(fs, 4)),
    sum: f64(one(fs, 5)),
    bucketCounts: packed(one(fs, 6), fs, 6, (b, o) => Number(b.readBigUInt64LE(o))),
    bounds: packed(one(fs, 7), fs, 7, (b, o) => b.readDoubleLE(o)),
  };
}

function protoMetric(buf: Buffer): OtlpMetric {
  const fs = fields(buf);
  const base = { name: str(one(fs, 1)), description: str(one(fs, 2)), unit: str(one(fs, 3)) };
  const gauge = one(fs, 5);
  const sum = one(fs, 7);
  const hist = one(fs, 9);
  if (gauge)
    return {
      ...base,
      type: 'gauge',
      points: all(fields(gauge.bytes as Buffer), 1).map((p) => numberPoint(p.bytes as Buffer)),
    };
  if (sum) {
    const s = fields(sum.bytes as Buffer);
    return {
      ...base,
      type: 'sum',
      temporality: Number(one(s, 2)?.int ?? 0n),
      monotonic: one(s, 3)?.int === 1n,
      points: all(s, 1).map((p) => numberPoint(p.bytes as Buffer)),
    };
  }
  if (hist) {
    const h = fields(hist.bytes as Buffer);
    return {
      ...base,
      type: 'histogram',
      temporality: Number(one(h, 2)?.int ?? 0n),
      points: all(h, 1).map((p) => histogramPoint(p.bytes as Buffer)),
    };
  }
  throw new Error(`metric ${base.name} has no gauge, sum or histogram`);
}

export function decodeProtobuf(body: Buffer): Omit<OtlpExport, 'contentType' | 'headers'> {
  const resource: Record<string, AttrValue> = {};
  const metrics: OtlpMetric[] = [];
  for (const rm of all(fields(body), 1)) {
    const r = fields(rm.bytes as Buffer);
    const res = one(r, 1);
    if (res) Object.assign(resource, attributes(all(fields(res.bytes as Buffer), 1)));
    for (const sm of all(r, 2))
      for (const m of all(fields(sm.bytes as Buffer), 2)) metrics.push(protoMetric(m.bytes as Buffer));
  }
  return { resource, metrics };
}

/** An ExportLogsServiceRequest: ResourceLogs (1) -> ScopeLogs (2) -> LogRecord (2). */
export function decodeProtobufLogs(body: Buffer): OtlpLogRecord[] {
  const out: OtlpLogRecord[] = [];
  for (const rl of all(fields(body), 1)) {
    const r = fields(rl.bytes as Buffer);
    const res = one(r, 1);
    const resource = res ? attributes(all(fields(res.bytes as Buffer), 1)) : {};
    for (const sl of all(r, 2))
      for (const lr of all(fields(sl.bytes as Buffer), 2)) {
        const fs = fields(lr.bytes as Buffer);
        out.push({
          resource,
          severityText: str(one(fs, 3)),
          body: String(anyValue(one(fs, 5)?.bytes ?? Buffer.alloc(0))),
          attributes: attributes(all(fs, 6)),
        });
      }
  }
  return out;
}

// --- JSON -------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
const num = (v: unknown) => (v === undefined ? undefined : Number(v));

function jsonAttrs(list: unknown): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of (list as Json[] | undefined) ?? []) {
    const v = kv.value as Json;
    out[kv.key as string] = (v.stringValue ?? v.boolValue ?? num(v.intValue) ?? num(v.doubleValue) ?? '') as AttrValue;
  }
  return out;
}

export function decodeJson(body: Buffer): Omit<OtlpExport, 'contentType' | 'headers'> {
  const resource: Record<string, AttrValue> = {};
  const metrics: OtlpMetric[] = [];
  for (const rm of (JSON.parse(body.toString('utf8')).resourceMetrics as Json[]) ?? []) {
    Object.assign(resource, jsonAttrs((rm.resource as Json | undefined)?.attributes));
    for (const sm of (rm.scopeMetrics as Json[]) ?? []) {
      for (const m of (sm.metrics as Json[]) ?? []) {
        const base = {
          name: m.name as string,
          description: (m.description as string) ?? '',
          unit: (m.unit as string) ?? '',
        };
        const point = (p: Json): OtlpPoint => ({
          attributes: jsonAttrs(p.attributes),
          value: num(p.asDouble ?? p.asInt),
        });
        if (m.gauge)
          metrics.push({ ...base, type: 'gauge', points: ((m.gauge as Json).dataPoints as Json[]).map(point) });
        else if (m.sum) {
          const s = m.sum as Json;
          metrics.push({
            ...base,
            type: 'sum',
            temporality: num(s.aggregationTemporality),
            monotonic: s.isMonotonic === true,
            points: (s.dataPoints as Json[]).map(point),
          });
        } else if (m.histogram) {
          const h = m.histogram as Json;
          metrics.push({
            ...base,
            type: 'histogram',
            temporality: num(h.aggregationTemporality),
            points: (h.dataPoints as Json[]).map((p) => ({
              attributes: jsonAttrs(p.attributes),
              count: num(p.count),
              sum: num(p.sum),
              bucketCounts: ((p.bucketCounts as unknown[]) ?? []).map(Number),
              bounds: ((p.explicitBounds as unknown[]) ?? []).map(Number),
            })),
          });
        }
      }
    }
  }
  return { resource, metrics };
}

export function decodeJsonLogs(body: Buffer): OtlpLogRecord[] {
  const out: OtlpLogRecord[] = [];
  for (const rl of (JSON.parse(body.toString('utf8')).resourceLogs as Json[]) ?? []) {
    const resource = jsonAttrs((rl.resource as Json | undefined)?.attributes);
    for (const sl of (rl.scopeLogs as Json[]) ?? [])
      for (const lr of (sl.logRecords as Json[]) ?? [])
        out.push({
          resource,
          severityText: (lr.severityText as string) ?? '',
          body: String((lr.body as Json | undefined)?.stringValue ?? ''),
          attributes: jsonAttrs(lr.attributes),
        });
  }
  return out;
}

// --- the receiver -----------------------------------------------------------------------------

export class OtlpReceiver {
  readonly exports: OtlpExport[] = [];
  /** Log records received on /v1/logs, with the content type they came in. */
  readonly logs: (OtlpLogRecord & { contentType: string })[] = [];
  /** The status every request gets; set 503 to play a collector that answers errors. */
  status = 200;
  requests = 0;
  private server?: Server;

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/metrics`;
  }

  start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const body = Buffer.concat(chunks);
        const contentType = String(req.headers['content-type'] ?? '');
        if (this.status === 200 && req.url === '/v1/metrics') {
          const decoded = contentType.includes('json') ? decodeJson(body) : decodeProtobuf(body);
          this.exports.push({ contentType, headers: req.headers, ...decoded });
        }
        if (this.status === 200 && req.url === '/v1/logs') {
          const records = contentType.includes('json') ? decodeJsonLogs(body) : decodeProtobufLogs(body);
          for (const r of records) this.logs.push({ ...r, contentType });
        }
        res.writeHead(this.status, {
          'Content-Type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf',
        });
        res.end(contentType.includes('json') ? '{}' : undefined);
      });
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  stop(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  last(): OtlpExport | undefined {
    return this.exports.at(-1);
  }
}
