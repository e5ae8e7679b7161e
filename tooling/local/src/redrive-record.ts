/** Reading the invocation record Lambda sends to an on-failure destination. */
import { isRecord } from '@repo/sam-template/template-values';

/** What `pnpm redrive` needs of Lambda's record of an asynchronous invocation that failed. */
export interface InvocationRecord {
  requestId: string;
  functionArn: string;
  condition: string;
  approximateInvokeCount: number;
  /** The original event: what goes back to the function. */
  requestPayload: unknown;
}

/** Thrown for a message body that is not Lambda's invocation record; the message stays where it is. */
export class MalformedRecordError extends Error {
  override readonly name = 'MalformedRecordError';
}

/** Parses a destination message's body into its invocation record, or throws MalformedRecordError. */
export function parseInvocationRecord(body: string | undefined): InvocationRecord {
  let record: unknown;
  try {
    record = JSON.parse(body ?? '');
  } catch {
    throw new MalformedRecordError('its body is not JSON');
  }
  if (!isRecord(record)) throw new MalformedRecordError('its body is not a JSON object');
  const context = record.requestContext;
  if (!isRecord(context)) throw new MalformedRecordError('it has no requestContext');
  const { requestId, functionArn, condition, approximateInvokeCount } = context;
  if (
    typeof requestId !== 'string' ||
    typeof functionArn !== 'string' ||
    typeof condition !== 'string' ||
    typeof approximateInvokeCount !== 'number'
  ) {
    throw new MalformedRecordError(
      'its requestContext lacks requestId, functionArn, condition or approximateInvokeCount',
    );
  }
  // An event may be any JSON value, null included; only its absence makes the record useless.
  if (!('requestPayload' in record) || record.requestPayload === undefined)
    throw new MalformedRecordError('it has no requestPayload');
  return { requestId, functionArn, condition, approximateInvokeCount, requestPayload: record.requestPayload };
}
