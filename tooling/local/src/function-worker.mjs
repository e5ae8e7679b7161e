// @ts-check
// One Lambda execution environment: a process of its own whose environment is exactly the function's
// (and whose TMPDIR is its own), started by the function host with the function's settings as its one
// argument. It imports the handler module once (the cold start) and then runs one invocation at a time,
// talking to the host over the IPC channel.

import { pathToFileURL } from 'node:url';

const { handlerFile, exportName, functionName, functionArn, memoryMb, runtime, injectedInitError } =
  JSON.parse(process.argv[2] ?? '{}');
// Node.js 24's Lambda runtime dropped callback-style handlers (and the context's callback members).
const callbacksRemoved = Number(/^nodejs(\d+)\.x$/.exec(runtime ?? '')?.[1] ?? 0) >= 24;
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

/** @type {(event: unknown, context: object, callback?: (error: unknown, value?: unknown) => void) => unknown} */
let handler = () => undefined;
const initStarted = performance.now();
try {
  // A fault profile's init-error rule (pnpm dev --faults): the init fails before the handler module loads.
  if (injectedInitError) {
    throw Object.assign(new Error('Init failed: injected by the fault profile (init-error)'), {
      name: 'Runtime.InitError',
    });
  }
  const module = await import(pathToFileURL(handlerFile).href);
  const exported = module[exportName];
  if (typeof exported !== 'function') {
    throw Object.assign(new Error(`${exportName} is not a function exported by ${handlerFile}`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  handler = exported;
  // As Lambda's runtime interface client for Node.js 24 and later does (errorOnDeprecatedCallback, called
  // by createRuntime right after it loads the module): a handler that declares three or more parameters
  // (its `length`) — async or not — and is not a response-streaming one fails the init with
  // Runtime.CallbackHandlerDeprecated, which the client posts to the Runtime API as the init error, so
  // the invocation fails with it. The message follows AWS's (`ERROR: …`, the handler docs) in words of
  // its own. On nodejs22.x (the older client) such a handler still runs, with a callback.
  if (callbacksRemoved && handler.length >= 3 && !isResponseStreaming(handler)) {
    throw Object.assign(
      new Error(
        'ERROR: AWS Lambda no longer supports callback-based function handlers from Node.js 24 on. Change ' +
          'this function to a supported handler signature (async, or returning a Promise) to run it on ' +
          'Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
      ),
      { name: 'Runtime.CallbackHandlerDeprecated' },
    );
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
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    // Node.js 24's context has none of the callback model's members.
    ...(callbacksRemoved
      ? {}
      : {
          callbackWaitsForEmptyEventLoop: true,
          done: () => undefined,
          fail: () => undefined,
          succeed: () => undefined,
        }),
  };
  try {
    const result =
      !callbacksRemoved && handler.length >= 3
        ? await new Promise((resolve, reject) => {
            const settled = /** @type {any} */ (
              handler(event, context, (error, value) => (error ? reject(error) : resolve(value)))
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

/**
 * A handler wrapped by `awslambda.streamifyResponse` (its streaming symbol says `response`), which the
 * runtime calls with a response stream in place of a callback.
 * @param {Function} candidate
 */
function isResponseStreaming(candidate) {
  return Reflect.get(candidate, Symbol.for('aws.lambda.runtime.handler.streaming')) === 'response';
}
