import { Logger } from '@aws-lambda-powertools/logger';

export interface LoggerSettings {
  /** The function's service name, on every log line as `service`. */
  serviceName: string;
  /** From the function's config (POWERTOOLS_LOG_LEVEL); Lambda's AWS_LAMBDA_LOG_LEVEL still wins, as in Powertools. */
  logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' | 'CRITICAL';
}

/** Builds the function's one Powertools logger (structured JSON); call it once at module scope. */
export function createLogger({ serviceName, logLevel }: LoggerSettings): Logger {
  return new Logger({ serviceName, logLevel });
}
