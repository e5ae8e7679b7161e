import { randomBytes } from 'node:crypto';

/**
 * OpenTelemetry ids in X-Ray's format (an IdGenerator for @opentelemetry/sdk-trace): X-Ray accepts a trace
 * id only when its first 8 hex digits are the epoch seconds it started at, so `1-<8>-<24>` maps onto the
 * 32 hex digits of an OpenTelemetry trace id. Our own rather than @opentelemetry/id-generator-aws-xray,
 * which pins the 2.x SDK line.
 */
export class XRayIdGenerator {
  generateTraceId(): string {
    const epochSeconds = Math.floor(Date.now() / 1000);
    return epochSeconds.toString(16).padStart(8, '0') + randomBytes(12).toString('hex');
  }

  generateSpanId(): string {
    return randomBytes(8).toString('hex');
  }
}

/** `1-5759e988-bd862e3fe1be46a994272793` from the OpenTelemetry trace id `5759e988bd862e3fe1be46a994272793`. */
export function xrayTraceId(traceId: string): string {
  return `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`;
}
