/** `pnpm redrive` against a running `pnpm dev`: its queues, and its asynchronous delivery queues. */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { StackFile } from './local-stack.ts';
import { type RedriveTarget, sendBackTo } from './redrive-queue.ts';
import { type RedriveRoute, RedriveRouteError } from './redrive-route.ts';

/**
 * The local stack as a redrive target. An event goes back to its function the way pnpm dev delivers
 * every asynchronous event: into the function's delivery queue, from which the async invoker invokes it
 * with Lambda's retries and destinations (so a redriven event that fails again lands in the failure
 * queue again, as in AWS).
 */
export function localRedriveTarget(stack: StackFile, route: RedriveRoute, sqs: SQSClient): RedriveTarget {
  const queueUrl = (logicalId: string) => {
    const resource = stack.resources[logicalId];
    if (resource?.type !== 'AWS::SQS::Queue')
      throw new RedriveRouteError(
        `the running pnpm dev has no queue ${logicalId}: is it running this template?`,
      );
    return resource.ref;
  };
  const deliveryQueueUrl = route.kind === 'function' ? stack.asyncDelivery?.[route.functionId] : undefined;
  if (route.kind === 'function' && deliveryQueueUrl === undefined) {
    throw new RedriveRouteError(
      `the running pnpm dev invokes ${route.functionId} asynchronously from no event source, so it has nowhere to deliver its events (restart pnpm dev if it predates pnpm redrive)`,
    );
  }
  const sourceQueueUrl = route.kind === 'queue' ? queueUrl(route.sourceQueueId) : undefined;
  return {
    queueUrl: queueUrl(route.queueId),
    async invokeAsync(event) {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: deliveryQueueUrl, MessageBody: JSON.stringify(event) }),
      );
    },
    sendBack: sendBackTo(sqs, sourceQueueUrl),
  };
}
