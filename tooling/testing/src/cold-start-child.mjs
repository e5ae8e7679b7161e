// @ts-check
// One cold start, run by @repo/testing/cold-start in a fresh `node` process per sample (plain JS, so no
// TypeScript loader skews the timing).
// Usage: node cold-start-child.mjs <handler.mjs> <event.json> [<check.mjs> [check args…]]
// Prints `{"importMs":…,"firstResponseMs":…}`: from just before import() of the handler to its end (module
// evaluation: config read, clients built) and to its first response.
// <check.mjs> exports `checkResponse(response, ...checkArgs)`, returning a failure message or undefined;
// it is imported only after the timing. A failed check exits non-zero, so a broken bench fails loudly.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [handlerFile, eventFile, checkFile, ...checkArgs] = process.argv.slice(2);
if (!handlerFile || !eventFile) {
  fail('usage: cold-start-child.mjs <handler.mjs> <event.json> [<check.mjs> [check args…]]');
}

// Lambda hands the runtime its event before the handler runs, so reading it stays outside the timing.
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'cold-start';
const deadline = Date.now() + 30_000;
const awsRequestId = randomUUID();
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
  memoryLimitInMB: '512',
  awsRequestId,
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: `2026/01/01/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const started = performance.now();
const { handler } = await import(pathToFileURL(handlerFile).href);
const importMs = performance.now() - started;
const response = await handler(event, context);
const firstResponseMs = performance.now() - started;

if (checkFile) {
  const { checkResponse } = await import(pathToFileURL(checkFile).href);
  const failure = checkResponse(response, ...checkArgs);
  if (failure) fail(failure);
}
process.stdout.write(`${JSON.stringify({ importMs, firstResponseMs })}\n`);
// Like Lambda freezing the sandbox: don't wait for the SDK's keep-alive sockets to time out.
process.exit(0);

/** @param {string} message @returns {never} */
function fail(message) {
  process.stderr.write(`cold-start-child: ${message}\n`);
  process.exit(1);
}
