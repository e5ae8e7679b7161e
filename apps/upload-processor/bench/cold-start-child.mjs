// @ts-check
// One cold start, run by bench.ts in a fresh `node` process per sample (plain JS, so no TypeScript loader
// skews the timing). Usage: node cold-start-child.mjs <handler.mjs> <event.json> [expected sha256]
// Prints `{"firstResponseMs":…}`: from just before import() of the handler to its first response.
// With an expected SHA-256 the response must be one `recorded` outcome with a messageId for an object of
// that digest (so the S3 body really went through the scan); without, an empty handler's `[]`. Anything
// else exits non-zero, so a broken bench fails loudly.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [handlerFile, eventFile, expectedSha256] = process.argv.slice(2);
if (!handlerFile || !eventFile) fail('usage: cold-start-child.mjs <handler.mjs> <event.json> [sha256]');

// Lambda hands the runtime its event before the handler runs, so reading it stays outside the timing.
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const deadline = Date.now() + 30_000;
const awsRequestId = randomUUID();
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'upload-processor',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:upload-processor',
  memoryLimitInMB: '512',
  awsRequestId,
  logGroupName: '/aws/lambda/upload-processor',
  logStreamName: `2026/01/01/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const started = performance.now();
const { handler } = await import(pathToFileURL(handlerFile).href);
const response = await handler(event, context);
const firstResponseMs = performance.now() - started;

if (!Array.isArray(response)) fail(`expected an array of outcomes, got ${JSON.stringify(response)}`);
if (expectedSha256) {
  const [outcome] = response;
  if (
    response.length !== 1 ||
    outcome?.status !== 'recorded' ||
    typeof outcome.messageId !== 'string' ||
    outcome.messageId === '' ||
    outcome.record?.sha256 !== expectedSha256
  ) {
    fail(`expected one 'recorded' outcome with a messageId, got ${JSON.stringify(response)}`);
  }
} else if (response.length !== 0) {
  fail(`expected [] from the empty handler, got ${JSON.stringify(response)}`);
}
process.stdout.write(`${JSON.stringify({ firstResponseMs })}\n`);
// Like Lambda freezing the sandbox: don't wait for the SDK's keep-alive sockets to time out.
process.exit(0);

/** @param {string} message @returns {never} */
function fail(message) {
  process.stderr.write(`cold-start-child: ${message}\n`);
  process.exit(1);
}
