// @ts-check
// One Lambda execution environment: a process of its own whose environment is exactly the function's
// (and whose TMPDIR is its own), started by the function host with the function's settings as its one
// argument. It imports the handler module once (the cold start) and then runs one invocation at a time,
// talking to the host over the IPC channel.

import { pathToFileURL } from 'node:url';

const { handlerFile, exportName, functionName, functionArn, memoryMb } = JSON.parse(process.argv[2] ?? '{}');
const port = {
  /** @param {unknown} message */
  postMessage: (message) => process.send?.(message),
  /** @param {'message'} event @param {(message: any) => void} listener */
  on: (event, listener) => process.on(event, listener),
};

/** @param {unknown} error */
const describeError = (error) => {
  const failure = error instanceof Error ? error : new Error(String(error));
  return {
    errorType: failure.name,
    errorMessage: failure.message,
    stackTrace: failure.stack
      ?.split('\n')
      .slice(1)
      .map((line) => line.trim()),
  };
};

// The host is gone (stopped, or killed): so is this environment.
process.on('disconnect', () => process.exit(0));

let handler;
const initStarted = performance.now();
try {
  const module = await import(pathToFileURL(handlerFile).href);
  handler = module[exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${exportName} is not a function exported by ${handlerFile}`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  port.postMessage({ type: 'ready', initMs: performance.now() - initStarted });
} catch (error) {
  const described = describeError(error);
  // Lambda reports a failed init as Runtime.ImportModuleError unless the error has its own name.
  port.postMessage({
    type: 'init-error',
    error: {
      ...described,
      errorType: described.errorType === 'Error' ? 'Runtime.ImportModuleError' : described.errorType,
    },
  });
}

port.on('message', async (/** @type {any} */ message) => {
  const { requestId, event, deadline, traceHeader } = message;
  // As Lambda's runtime does before each invocation: the X-Ray SDK reads the trace from here.
  process.env._X_AMZN_TRACE_ID = traceHeader;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result =
      handler.length >= 3
        ? await new Promise((resolve, reject) => {
            const settled = handler(
              event,
              context,
              (/** @type {unknown} */ error, /** @type {unknown} */ value) =>
                error ? reject(error) : resolve(value),
            );
            if (settled && typeof settled.then === 'function') settled.then(resolve, reject);
          })
        : await handler(event, context);
    // Lambda returns the result JSON-serialised: undefined becomes null, class instances plain data.
    port.postMessage({ type: 'result', requestId, ok: true, json: JSON.stringify(result ?? null) });
  } catch (error) {
    port.postMessage({ type: 'result', requestId, ok: false, error: describeError(error) });
  }
});
