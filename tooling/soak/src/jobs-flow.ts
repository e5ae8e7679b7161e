import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { PlannedJob } from './plan.ts';
import type { UploadFacts } from './uploads-flow.ts';

/** A job as sent: its SQS message id, the soak's own id (a message attribute), and what must become of it. */
export interface JobFacts {
  soakId: string;
  messageId?: string;
  key?: string;
  /** `done`: its upload is a valid photo; `dlq`: it names a hostile file, a missing key or is garbage. */
  expect: 'done' | 'dlq';
  plan: PlannedJob;
  /** Why SQS never took it. */
  failed?: string;
}

/**
 * Sends the backfill jobs to the batch worker's queue (as `pnpm enqueue-resize` does: SendMessageBatch of
 * up to 10), each with a `soakJob` attribute that survives a move to the DLQ and back.
 */
export async function sendJobs(
  sqs: SQSClient,
  queueUrl: string,
  jobs: PlannedJob[],
  uploads: UploadFacts[],
): Promise<JobFacts[]> {
  const facts = jobs.map((plan, index): JobFacts & { body: string } => {
    const soakId = `job-${index}`;
    if (plan.kind === 'malformed')
      return { soakId, plan, expect: 'dlq', body: '{"key": "uploads/half-a-job' };
    if (plan.kind === 'missing-key') {
      const key = `uploads/soak-missing/${randomUUID()}`;
      return { soakId, plan, key, expect: 'dlq', body: JSON.stringify({ key }) };
    }
    const upload = uploads[plan.upload];
    const key = upload?.key ?? '';
    const usable = upload !== undefined && upload.versions.length > 0;
    return {
      soakId,
      plan,
      key,
      expect: usable && upload.hostile === undefined ? 'done' : 'dlq',
      body: JSON.stringify({ key: usable ? key : `uploads/soak-missing/${randomUUID()}` }),
    };
  });
  for (let start = 0; start < facts.length; start += 10) {
    const batch = facts.slice(start, start + 10);
    const { Successful = [], Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((job) => ({
          Id: job.soakId,
          MessageBody: job.body,
          MessageAttributes: { soakJob: { DataType: 'String', StringValue: job.soakId } },
        })),
      }),
    );
    for (const sent of Successful) {
      const job = batch.find((candidate) => candidate.soakId === sent.Id);
      if (job) job.messageId = sent.MessageId;
    }
    for (const failed of Failed) {
      const job = batch.find((candidate) => candidate.soakId === failed.Id);
      if (job) job.failed = `${failed.Code}: ${failed.Message}`;
    }
  }
  return facts.map(({ body: _body, ...job }) => job);
}
