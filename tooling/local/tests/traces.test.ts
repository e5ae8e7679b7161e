import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { XRayDocument } from '@repo/aws-local/xray-daemon';
import { waitFor } from '@repo/testing/wait';
import { describe, expect, it } from 'vitest';
import { FunctionHost, type FunctionSpec } from '../src/function-host.ts';
import { formatTrace, LocalTraces } from '../src/traces.ts';
import { localRuntime } from './local-runtime.ts';

const traceId = '1-6b0912b3-28e02368ba7444aef6f6c61a';
const doc = (fields: Partial<XRayDocument> & Pick<XRayDocument, 'id' | 'name'>): XRayDocument => ({
  trace_id: traceId,
  type: 'subsegment',
  start_time: 100,
  end_time: 100.01,
  ...fields,
});
const s3Call = (id: string, parent: string, operation: string, start: number, seconds: number) =>
  doc({
    id,
    parent_id: parent,
    name: 'S3',
    namespace: 'aws',
    start_time: start,
    end_time: start + seconds,
    aws: { operation },
    http: { response: { status: 200 } },
  });

describe('formatTrace', () => {
  it('prints the invocation, its units of work and their AWS calls as a tree, repeated calls folded', () => {
    const lines = formatTrace(
      [
        s3Call('c1', 'w1', 'GetObject', 100.001, 0.02),
        ...['c2', 'c3', 'c4', 'c5'].map((id, index) =>
          s3Call(id, 'w1', 'PutObject', 100.1, 0.005 + index * 0.001),
        ),
        doc({
          id: 'w1',
          parent_id: 'h1',
          name: '### resize',
          start_time: 100,
          end_time: 100.2,
          annotations: { objectKey: 'uploads/cat.jpg' },
        }),
        doc({ id: 'h1', name: '## index.handler', end_time: 100.25, annotations: { ColdStart: false } }),
      ],
      'ImageResizerFunction',
    );
    const indent = ' '.repeat('ImageResizerFunction  '.length);
    expect(lines).toEqual([
      `ImageResizerFunction  trace ${traceId}  ## index.handler  250.0 ms  ColdStart=false`,
      `${indent}  ### resize  200.0 ms  objectKey=uploads/cat.jpg`,
      `${indent}    S3 GetObject  20.0 ms 200`,
      `${indent}    S3 PutObject ×4  5.0–8.0 ms 200`,
    ]);
  });

  it('reads subsegments nested in their parent as well as streamed ones, and shows faults with their cause', () => {
    const lines = formatTrace([
      doc({
        id: 'h1',
        name: '## index.handler',
        fault: true,
        subsegments: [
          doc({
            id: 'c1',
            name: 'DynamoDB',
            namespace: 'aws',
            aws: { operation: 'PutItem' },
            fault: true,
            http: { response: { status: 500 } },
            cause: { exceptions: [{ message: 'We encountered an internal error' }] },
          }),
        ],
      }),
    ]);
    expect(lines).toEqual([
      `trace ${traceId}  ## index.handler  10.0 ms FAULT`,
      '  DynamoDB PutItem  10.0 ms 500 FAULT (We encountered an internal error)',
    ]);
  });

  it('prints nothing until the invocation’s own subsegment is there', () => {
    expect(formatTrace([s3Call('c1', 'h1', 'GetObject', 100, 0.01)])).toEqual([]);
  });
});

describe('FunctionHost tracing', () => {
  const spec = (tracing: boolean): FunctionSpec => ({
    logicalId: 'TracedFunction',
    ...localRuntime(),
    handlerFile: fileURLToPath(new URL('./fixtures/functions/traced.mjs', import.meta.url)),
    exportName: 'handler',
    timeoutSeconds: 30,
    memoryMb: 256,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:TracedFunction',
    environment: {},
    tracing,
  });

  it('gives each invocation a sampled trace header and prints the trace after the invocation line', async () => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    const host = new FunctionHost([spec(true)], { logs: new PassThrough(), log, traces: log });
    try {
      const first = await host.invoke('TracedFunction', {}, 'test');
      const second = await host.invoke('TracedFunction', {}, 'test');
      const headers = [first, second].map((outcome) =>
        outcome.ok ? (outcome.result as { header: string }).header : '',
      );
      for (const header of headers)
        expect(header).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
      expect(headers[0]).not.toBe(headers[1]);

      const root = (header: string | undefined) => /Root=([^;]+)/.exec(header ?? '')?.[1];
      // The invocation's subsegment may land after its result: wait for both traces, then compare all.
      await waitFor(() => lines.length >= 6);
      expect(lines).toEqual([
        expect.stringMatching(/TracedFunction ← test {2}ok/),
        `TracedFunction  trace ${root(headers[0])}  ## index.handler  20.0 ms  ColdStart=true objectKey=uploads/a.jpg`,
        expect.stringMatching(/^ {18}S3 GetObject {2}12\.0 ms 200$/),
        expect.stringMatching(/TracedFunction ← test {2}ok/),
        `TracedFunction  trace ${root(headers[1])}  ## index.handler  20.0 ms  ColdStart=true objectKey=uploads/a.jpg`,
        expect.stringMatching(/^ {18}S3 GetObject {2}12\.0 ms 200$/),
      ]);
    } finally {
      await host.close();
    }
  });

  it('does not sample functions without Tracing: Active (Lambda still sets a header)', async () => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    const host = new FunctionHost([spec(false)], { logs: new PassThrough(), log, traces: log });
    try {
      const outcome = await host.invoke('TracedFunction', {}, 'test');
      expect(outcome.ok && (outcome.result as { header: string }).header).toMatch(/;Sampled=0$/);
      expect(lines).toEqual([expect.stringMatching(/TracedFunction ← test {2}ok/)]);
    } finally {
      await host.close();
    }
  });
});

describe('LocalTraces', () => {
  it('puts an invocation in its caller’s trace, and prints only the first of two invocations open in one trace', async () => {
    // Prepare
    const traces = await LocalTraces.start();
    const caller = `Root=${traceId};Parent=53995c3f42cd8ad8;Sampled=1`;

    try {
      // Act
      const first = traces.begin(true, 'A', () => undefined, caller);
      const second = traces.begin(true, 'B', () => undefined, caller);
      const unsampled = traces.begin(false, 'C', () => undefined, 'Root=1-bad');

      // Assess: the second's subsegments would mix with the first's, so it is not printed.
      expect(first).toMatchObject({ traceId, printed: true });
      expect(first.header).toMatch(new RegExp(`^Root=${traceId};Parent=[0-9a-f]{16};Sampled=1$`));
      expect(second).toMatchObject({ traceId, printed: false });
      expect(unsampled.traceId).not.toBe(traceId);
      expect(unsampled).toMatchObject({ printed: false });
    } finally {
      await traces.close();
    }
  });
});
