// @ts-check
// @repo/logging/tracer without X-Ray, for the bench's bundle-growth comparison only.
export const createTracer = () => undefined;
export const withTracing = () => [];
/** @type {<Client>(tracer: unknown, client: Client) => Client} */
export const traceClient = (_tracer, client) => client;
export const annotate = () => undefined;
/** @type {<Result>(tracer: unknown, name: string, annotations: unknown, work: () => Promise<Result>) => Promise<Result>} */
export const traceWork = (_tracer, _name, _annotations, work) => work();
