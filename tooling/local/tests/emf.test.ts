import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@repo/testing/wait';
import { describe, expect, it } from 'vitest';
import { EmfLineSplitter, type EmfRecord, formatEmf, parseEmf } from '../src/emf.ts';
import { FunctionHost } from '../src/function-host.ts';
import { localRuntime } from './local-runtime.ts';

// What Powertools metrics prints at the end of an invocation.
const powertoolsEmf = {
  _aws: {
    Timestamp: 1700000000000,
    CloudWatchMetrics: [
      {
        Namespace: 'LambdaMonorepo',
        Dimensions: [['service']],
        Metrics: [
          { Name: 'ImagesResized', Unit: 'Count' },
          { Name: 'ResizeDuration', Unit: 'Milliseconds' },
        ],
      },
    ],
  },
  service: 'image-resizer',
  ImagesResized: 4,
  ResizeDuration: [83.2, 12.1],
  function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
};
const emfLine = (document: object) => JSON.stringify(document);
const withAws = (aws: object, extra: object = {}) => ({ ...powertoolsEmf, _aws: aws, ...extra });
const directive = powertoolsEmf._aws.CloudWatchMetrics[0];

describe('parseEmf', () => {
  it('reads a Powertools EMF line: namespace, dimension values, metric units and values', () => {
    const parsed = parseEmf(emfLine(powertoolsEmf));

    expect(parsed).toEqual([
      {
        namespace: 'LambdaMonorepo',
        dimensions: [{ service: 'image-resizer' }],
        metrics: [
          { name: 'ImagesResized', unit: 'Count', values: [4], storageResolution: 60 },
          { name: 'ResizeDuration', unit: 'Milliseconds', values: [83.2, 12.1], storageResolution: 60 },
        ],
        timestamp: 1700000000000,
      },
    ]);
  });

  it('reads several directives and dimension sets, an empty dimension set, and a metric without a unit', () => {
    const line = emfLine(
      withAws(
        {
          Timestamp: 1700000000000,
          CloudWatchMetrics: [
            directive,
            {
              Namespace: 'Other',
              Dimensions: [['service', 'size'], []],
              Metrics: [{ Name: 'Bytes', StorageResolution: 1 }],
            },
          ],
        },
        { size: 'thumb', Bytes: 2048 },
      ),
    );

    const parsed = parseEmf(line) as EmfRecord[];

    expect(parsed).toHaveLength(2);
    expect(parsed[1]).toEqual({
      namespace: 'Other',
      dimensions: [{ service: 'image-resizer', size: 'thumb' }, {}],
      metrics: [{ name: 'Bytes', unit: 'None', values: [2048], storageResolution: 1 }],
      timestamp: 1700000000000,
    });
  });

  it('ignores lines that are not EMF: plain text, other JSON, Powertools log lines, broken JSON', () => {
    const powertoolsLog = JSON.stringify({
      level: 'INFO',
      message: 'resized',
      service: 'image-resizer',
      timestamp: '2024-01-01T00:00:00.000Z',
      xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
    });

    for (const line of ['', 'START RequestId: 1', '[1,2]', '"_aws"', powertoolsLog, '{"_aws": {'])
      expect(parseEmf(line)).toBeUndefined();
  });

  it.each([
    ['Timestamp is missing', withAws({ CloudWatchMetrics: [directive] }), '_aws.Timestamp is missing'],
    [
      'Timestamp is not a number',
      withAws({ Timestamp: '2024-01-01', CloudWatchMetrics: [directive] }),
      '_aws.Timestamp is missing or not a number',
    ],
    ['CloudWatchMetrics is missing', withAws({ Timestamp: 1 }), '_aws.CloudWatchMetrics is missing'],
    [
      'a metric has no value member',
      { ...powertoolsEmf, ImagesResized: undefined },
      'metric ImagesResized has no top-level value member',
    ],
    [
      'a dimension key has no member',
      { ...powertoolsEmf, service: undefined },
      'dimension service has no top-level member',
    ],
    [
      'a dimension value is not a string',
      { ...powertoolsEmf, service: 7 },
      'dimension service is not a string',
    ],
    [
      'a metric has more than 100 values',
      { ...powertoolsEmf, ResizeDuration: Array.from({ length: 101 }, (_, index) => index) },
      'metric ResizeDuration has 101 values (at most 100)',
    ],
    [
      'a metric value is not a number',
      { ...powertoolsEmf, ImagesResized: '4' },
      'metric ImagesResized is not a number or an array of numbers',
    ],
    [
      'a unit is not a CloudWatch unit',
      withAws({
        Timestamp: 1,
        CloudWatchMetrics: [{ ...directive, Metrics: [{ Name: 'ImagesResized', Unit: 'Images' }] }],
      }),
      'metric ImagesResized has unit "Images", not a CloudWatch unit',
    ],
    [
      'Dimensions is not an array of arrays of keys',
      withAws({ Timestamp: 1, CloudWatchMetrics: [{ ...directive, Dimensions: ['service'] }] }),
      '_aws.CloudWatchMetrics[0].Dimensions[0] is not an array of dimension keys',
    ],
    [
      'Namespace is missing',
      withAws({ Timestamp: 1, CloudWatchMetrics: [{ ...directive, Namespace: undefined }] }),
      '_aws.CloudWatchMetrics[0].Namespace is missing',
    ],
  ])('says why CloudWatch would drop a line when %s', (_, document, reason) => {
    const parsed = parseEmf(emfLine(document));

    expect(parsed).toEqual({ invalid: expect.stringContaining(reason) });
  });
});

describe('formatEmf', () => {
  it('prints namespace, dimensions and each metric with its values and unit on one line', () => {
    const [record] = parseEmf(emfLine(powertoolsEmf)) as EmfRecord[];

    expect(formatEmf(record as EmfRecord)).toBe(
      '  metrics LambdaMonorepo {service=image-resizer}  ImagesResized=4 Count  ResizeDuration=83.2,12.1 ms',
    );
  });
});

/** Writes the chunks through a splitter and resolves with what came out and what it logged. */
async function split(chunks: (string | Buffer)[]): Promise<{ passed: string; logged: string[] }> {
  const logged: string[] = [];
  const splitter = new EmfLineSplitter('ImageResizerFunction', (line) => logged.push(line));
  const out: Buffer[] = [];
  splitter.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise((resolve) => splitter.on('end', resolve));
  for (const chunk of chunks) splitter.write(chunk);
  splitter.end();
  await ended;
  return { passed: Buffer.concat(out).toString('utf8'), logged };
}

describe('EmfLineSplitter', () => {
  const summary =
    'ImageResizerFunction  metrics LambdaMonorepo {service=image-resizer}  ImagesResized=4 Count  ResizeDuration=83.2,12.1 ms';

  it('summarises an EMF line split over three chunks, and passes every byte through unchanged', async () => {
    const stdout = `{"level":"INFO","message":"resizing"}\n${emfLine(powertoolsEmf)}\nplain text ünïcode\n`;
    const bytes = Buffer.from(stdout);
    // Cut inside the EMF line, and inside a multi-byte character.
    const cuts = [50, 120, bytes.indexOf('ü') + 1];

    const { passed, logged } = await split([
      bytes.subarray(0, cuts[0]),
      bytes.subarray(cuts[0], cuts[1]),
      bytes.subarray(cuts[1], cuts[2]),
      bytes.subarray(cuts[2]),
    ]);

    expect(passed).toBe(stdout);
    expect(logged).toEqual([summary]);
  });

  it('summarises a last line without a newline when the stream ends', async () => {
    const { logged } = await split([emfLine(powertoolsEmf)]);

    expect(logged).toEqual([summary]);
  });

  it('warns with the reason when an EMF line breaks the spec, and says nothing about other lines', async () => {
    const { passed, logged } = await split([
      'hello\n',
      `${emfLine(withAws({ CloudWatchMetrics: [directive] }))}\n`,
      '{"level":"ERROR"}\n',
    ]);

    expect(passed.split('\n')).toHaveLength(4);
    expect(logged).toEqual([expect.stringMatching(/^ImageResizerFunction .*_aws\.Timestamp is missing/)]);
  });
});

describe('FunctionHost with metrics', () => {
  it('prints the summary of the EMF line a function logged, with its id, after its invocation line', async () => {
    const lines: string[] = [];
    const logs = new PassThrough();
    const chunks: string[] = [];
    logs.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const log = (line: string) => lines.push(line);
    const host = new FunctionHost(
      [
        {
          logicalId: 'MetricsFunction',
          ...localRuntime(),
          handlerFile: fileURLToPath(new URL('./fixtures/functions/metrics.mjs', import.meta.url)),
          exportName: 'handler',
          timeoutSeconds: 30,
          memoryMb: 256,
          functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:MetricsFunction',
          environment: {},
        },
      ],
      { logs, log, metrics: log },
    );
    try {
      // The lines reach the host before the result: their summaries must still follow the invocation line.
      await host.invoke('MetricsFunction', { count: 2, invalid: true, delayMs: 200 }, 'test');
      await waitFor(() => lines.length >= 3 && chunks.join('').includes('"ImagesResized":2'));

      expect(lines).toEqual([
        expect.stringMatching(/MetricsFunction ← test {2}ok/),
        'MetricsFunction  metrics LambdaMonorepo {service=image-resizer}  ImagesResized=2 Count  ResizeDuration=83.2,12.1 ms',
        expect.stringMatching(/^MetricsFunction .*_aws\.Timestamp is missing/),
      ]);
      expect(chunks.join('')).toContain('"ImagesResized":2');
    } finally {
      await host.close();
    }
  });
});
