// @ts-check
// Child process of `pnpm invoke`: loads one function's built handler, as Lambda's Node runtime does,
// and runs it once on the event it is sent. Its environment is exactly the function's.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

process.once('message', async (/** @type {any} */ request) => {
  const { handlerFile, exportName, event, functionName, memoryMb, timeoutSeconds } = request;
  const started = performance.now();
  const deadline = Date.now() + timeoutSeconds * 1000;
  const awsRequestId = randomUUID();
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const module = await import(pathToFileURL(handlerFile).href);
    const handler = module[exportName];
    if (typeof handler !== 'function')
      throw new Error(`${handlerFile} does not export a function ${exportName}`);
    const initMs = performance.now() - started;
    const result = await handler(event, context);
    process.send?.({
      ok: true,
      result,
      awsRequestId,
      initMs,
      durationMs: performance.now() - started - initMs,
    });
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    process.send?.({
      ok: false,
      awsRequestId,
      error: {
        errorType: failure.name,
        errorMessage: failure.message,
        stackTrace: failure.stack?.split('\n'),
      },
    });
  }
});
