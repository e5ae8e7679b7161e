import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Log } from './types.ts';

/** One metric directive of an EMF line, with its dimension and metric values read from the line. */
export interface EmfRecord {
  namespace: string;
  /** One entry per dimension set: key → value (an empty set is `{}`). */
  dimensions: Record<string, string>[];
  metrics: EmfMetric[];
  /** `_aws.Timestamp`, ms since the epoch. */
  timestamp: number;
}

export interface EmfMetric {
  name: string;
  /** `None` when the directive names no unit, as CloudWatch records it. */
  unit: string;
  values: number[];
  /** 1 for high-resolution metrics, else 60 (the default). */
  storageResolution: number;
}

/** A line that claims to be EMF (it has `_aws`) but breaks the spec: CloudWatch would drop its metrics. */
export interface EmfInvalid {
  invalid: string;
}

// The limits and units of AWS's EMF specification
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
const maxMetricsPerDirective = 100;
const maxDimensionKeys = 30;
const maxValuesPerMetric = 100;
const units = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

class EmfSpecError extends Error {
  override name = 'EmfSpecError';
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads one log line as CloudWatch Embedded Metric Format: one record per metric directive; `undefined`
 * for a line that is not EMF at all (plain text, other JSON, a Powertools log line); `{ invalid }` naming
 * the first spec violation of a line that has `_aws` but that CloudWatch would reject.
 */
export function parseEmf(line: string): EmfRecord[] | EmfInvalid | undefined {
  const text = line.trim();
  // Most lines are not EMF; only JSON objects mentioning _aws are worth parsing.
  if (!text.startsWith('{') || !text.includes('"_aws"')) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(document) || !('_aws' in document)) return undefined;
  try {
    return readDocument(document);
  } catch (error) {
    if (error instanceof EmfSpecError) return { invalid: error.message };
    throw error;
  }
}

function readDocument(document: Record<string, unknown>): EmfRecord[] {
  const aws = document._aws;
  if (!isObject(aws)) throw new EmfSpecError('_aws is not an object');
  const timestamp = aws.Timestamp;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp))
    throw new EmfSpecError('_aws.Timestamp is missing or not a number');
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives)) throw new EmfSpecError('_aws.CloudWatchMetrics is missing or not an array');
  return directives.map((directive: unknown, index) =>
    readDirective(directive, `_aws.CloudWatchMetrics[${index}]`, document, timestamp),
  );
}

function readDirective(
  directive: unknown,
  at: string,
  document: Record<string, unknown>,
  timestamp: number,
): EmfRecord {
  if (!isObject(directive)) throw new EmfSpecError(`${at} is not an object`);
  const { Namespace: namespace, Dimensions: dimensionSets, Metrics: definitions } = directive;
  if (typeof namespace !== 'string' || namespace === '')
    throw new EmfSpecError(`${at}.Namespace is missing or not a string`);
  if (!Array.isArray(dimensionSets)) throw new EmfSpecError(`${at}.Dimensions is missing or not an array`);
  if (!Array.isArray(definitions)) throw new EmfSpecError(`${at}.Metrics is missing or not an array`);
  if (definitions.length > maxMetricsPerDirective)
    throw new EmfSpecError(
      `${at}.Metrics has ${definitions.length} metrics (at most ${maxMetricsPerDirective})`,
    );

  const dimensions = dimensionSets.map((keys: unknown, setIndex) => {
    const setAt = `${at}.Dimensions[${setIndex}]`;
    if (!Array.isArray(keys) || !keys.every((key) => typeof key === 'string'))
      throw new EmfSpecError(`${setAt} is not an array of dimension keys`);
    if (keys.length > maxDimensionKeys)
      throw new EmfSpecError(`${setAt} has ${keys.length} dimension keys (at most ${maxDimensionKeys})`);
    return Object.fromEntries(
      keys.map((key: string) => {
        const value = document[key];
        if (value === undefined) throw new EmfSpecError(`dimension ${key} has no top-level member`);
        if (typeof value !== 'string') throw new EmfSpecError(`dimension ${key} is not a string`);
        return [key, value];
      }),
    );
  });

  const metrics = definitions.map((definition: unknown, metricIndex): EmfMetric => {
    const metricAt = `${at}.Metrics[${metricIndex}]`;
    if (!isObject(definition)) throw new EmfSpecError(`${metricAt} is not an object`);
    const { Name: name, Unit: unit = 'None', StorageResolution: storageResolution = 60 } = definition;
    if (typeof name !== 'string' || name === '') throw new EmfSpecError(`${metricAt}.Name is missing`);
    if (typeof unit !== 'string' || !units.has(unit))
      throw new EmfSpecError(`metric ${name} has unit ${JSON.stringify(unit)}, not a CloudWatch unit`);
    if (storageResolution !== 1 && storageResolution !== 60)
      throw new EmfSpecError(
        `metric ${name} has StorageResolution ${JSON.stringify(storageResolution)} (1 or 60)`,
      );
    return { name, unit, values: metricValues(name, document[name]), storageResolution };
  });

  return { namespace, dimensions, metrics, timestamp };
}

function metricValues(name: string, value: unknown): number[] {
  if (value === undefined) throw new EmfSpecError(`metric ${name} has no top-level value member`);
  const values = Array.isArray(value) ? value : [value];
  if (!values.every((item) => typeof item === 'number' && Number.isFinite(item)))
    throw new EmfSpecError(`metric ${name} is not a number or an array of numbers`);
  if (values.length > maxValuesPerMetric)
    throw new EmfSpecError(`metric ${name} has ${values.length} values (at most ${maxValuesPerMetric})`);
  return values as number[];
}

const shortUnits: Record<string, string> = {
  Milliseconds: 'ms',
  Microseconds: 'μs',
  Seconds: 's',
  Percent: '%',
  Bytes: 'B',
  Kilobytes: 'KB',
  Megabytes: 'MB',
  Gigabytes: 'GB',
  Terabytes: 'TB',
  None: '',
};

/** `  metrics LambdaMonorepo {service=image-resizer}  ImagesResized=4 Count  ResizeDuration=83.2,12.1 ms` */
export function formatEmf(record: EmfRecord): string {
  const dimensions = record.dimensions
    .map(
      (set) =>
        `{${Object.entries(set)
          .map(([key, value]) => `${key}=${value}`)
          .join(',')}}`,
    )
    .join(' ');
  const metrics = record.metrics.map((metric) => {
    const unit = shortUnits[metric.unit] ?? metric.unit;
    const resolution = metric.storageResolution === 1 ? ' (high resolution)' : '';
    return `${metric.name}=${metric.values.join(',')}${unit ? ` ${unit}` : ''}${resolution}`;
  });
  return [`  metrics ${record.namespace}${dimensions ? ` ${dimensions}` : ''}`, ...metrics].join('  ');
}

// CloudWatch Logs caps an event at 256 KB; a longer "line" is not EMF, so stop buffering it.
const maxLineLength = 1024 * 1024;

/**
 * A function's stdout on its way to the terminal: every chunk passes through unchanged, and each EMF
 * line in it is also summarised (`<logicalId>  metrics …`) to `log`, or a warning naming what is wrong
 * when CloudWatch would drop it. Lines may span chunks.
 */
export class EmfLineSplitter extends Transform {
  readonly #decoder = new StringDecoder('utf8');
  #partial = '';
  #skipping = false;

  constructor(
    private readonly logicalId: string,
    private readonly log: Log,
    /** Gets every other line that is one JSON object: the function's structured logs. */
    private readonly onRecord?: (record: Record<string, unknown>) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      if (this.#skipping) this.#skipping = false;
      else this.#summarise(line);
    }
    if (this.#partial.length > maxLineLength) {
      this.#partial = '';
      this.#skipping = true;
    }
    callback(null, typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
  }

  override _flush(callback: TransformCallback): void {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = '';
    if (!this.#skipping && rest) this.#summarise(rest);
    callback();
  }

  #summarise(line: string): void {
    const parsed = parseEmf(line);
    if (!parsed) {
      if (this.onRecord && line.startsWith('{')) {
        try {
          const record: unknown = JSON.parse(line);
          if (typeof record === 'object' && record !== null && !Array.isArray(record))
            this.onRecord(record as Record<string, unknown>);
        } catch {
          // Not JSON after all: plain output, nothing to record.
        }
      }
      return;
    }
    if ('invalid' in parsed) {
      this.log(
        `${this.logicalId}  metrics dropped — CloudWatch would reject this EMF line: ${parsed.invalid}`,
      );
      return;
    }
    for (const record of parsed) this.log(`${this.logicalId}${formatEmf(record)}`);
  }
}
