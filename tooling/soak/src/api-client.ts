import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** One HTTP attempt as the soak saw it: a request is one or more attempts. */
export interface Attempt {
  flow: string;
  operation: string;
  method: string;
  path: string;
  /** 0 when no answer came (a reset, a refused connection). */
  status: number;
  ms: number;
  at: number;
  /** The X-Ray trace id the attempt was sent with (`Root=` of its X-Amzn-Trace-Id). */
  traceId: string;
  /** Why there was no answer. */
  error?: string;
}

/** A fresh X-Ray trace id: `1-<epoch seconds, hex>-<96 random bits, hex>`. */
export function newTraceId(): string {
  return `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

/**
 * A client as the APIs' callers are told to be: a 5xx or a lost connection is retried after
 * Retry-After (or 200 ms, doubling), up to `attempts` times. Every attempt carries a trace id of its own
 * and is recorded, so that each 5xx can be matched with the faults injected on its path.
 */
export class ApiClient {
  readonly attempts: Attempt[] = [];

  constructor(private readonly maxAttempts = 5) {}

  async send(
    flow: string,
    operation: string,
    url: string,
    init: RequestInit & { method?: string } = {},
  ): Promise<{ status: number; body: unknown; headers: Headers; retried: boolean } | undefined> {
    const method = init.method ?? 'GET';
    const path = new URL(url).pathname;
    for (let attempt = 1; ; attempt++) {
      const traceId = newTraceId();
      const at = Date.now();
      const started = performance.now();
      try {
        const response = await fetch(url, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), 'x-amzn-trace-id': `Root=${traceId}` },
        });
        const text = await response.text();
        const ms = performance.now() - started;
        this.attempts.push({ flow, operation, method, path, status: response.status, ms, at, traceId });
        if (response.status < 500 || attempt === this.maxAttempts) {
          // `retried`: an earlier attempt got no answer or a 5xx — and may have been applied all the same.
          return {
            status: response.status,
            body: parseBody(text),
            headers: response.headers,
            retried: attempt > 1,
          };
        }
        const retryAfter = Number(response.headers.get('retry-after'));
        await sleep(retryAfter > 0 ? Math.min(retryAfter, 2) * 1000 : 200 * 2 ** (attempt - 1));
      } catch (error) {
        const ms = performance.now() - started;
        const message = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
        this.attempts.push({ flow, operation, method, path, status: 0, ms, at, traceId, error: message });
        if (attempt === this.maxAttempts) return undefined;
        await sleep(200 * 2 ** (attempt - 1));
      }
    }
  }
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
