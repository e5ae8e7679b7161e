/**
 * Bench-only stand-in for `@opentelemetry/sdk-trace` (esbuild alias in bench.ts, a resolve hook in
 * warm-child.ts): the real SDK, except that the TracerProvider exports through OtlpHttpSpanProcessor
 * instead of the processors it is given, so the shipped tracer (src/tracer.ts) runs unchanged with the
 * OTLP/HTTP export path. The real SDK is imported by file, which neither the alias nor the hook redirects.
 * Only TracerProvider: the one value src/ imports from the SDK (xray-segments.ts imports types only).
 */
import {
  TracerProvider as RealTracerProvider,
  type TracerProviderOptions,
} from '../node_modules/@opentelemetry/sdk-trace/dist/index.mjs';
import { OtlpHttpSpanProcessor } from './otlp-http-exporter.ts';

export class TracerProvider extends RealTracerProvider {
  constructor(config: TracerProviderOptions = {}) {
    super({ ...config, spanProcessors: [new OtlpHttpSpanProcessor()] });
  }
}
