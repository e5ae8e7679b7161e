/** `pnpm redrive --stage <stage>`: the deployed stack's queues and functions, by their physical ids. */
import { type CloudFormationClient, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { parse as parseToml } from 'smol-toml';
import { type RedriveTarget, sendBackTo } from './redrive-queue.ts';
import { type RedriveRoute, RedriveRouteError } from './redrive-route.ts';

/** The stack samconfig.toml deploys for `stage` (`[<stage>.deploy.parameters] stack_name`). */
export function stackNameForStage(samconfigText: string, stage: string): string {
  const config = parseToml(samconfigText) as Record<
    string,
    { deploy?: { parameters?: { stack_name?: unknown } } }
  >;
  const name = config[stage]?.deploy?.parameters?.stack_name;
  if (typeof name !== 'string') {
    const stages = Object.keys(config).filter(
      (key) => typeof config[key]?.deploy?.parameters?.stack_name === 'string',
    );
    throw new RedriveRouteError(
      `samconfig.toml has no [${stage}.deploy.parameters] stack_name (stages: ${stages.join(', ')})`,
    );
  }
  return name;
}

/**
 * The deployed stack as a redrive target: queue URLs and the function name from CloudFormation, an
 * event going back as `lambda:InvokeFunction` with InvocationType Event — Lambda's own asynchronous
 * delivery, retries and destinations included.
 */
export async function awsRedriveTarget({
  stackName,
  route,
  cloudformation,
  lambda,
  sqs,
}: {
  stackName: string;
  route: RedriveRoute;
  cloudformation: CloudFormationClient;
  lambda: LambdaClient;
  sqs: SQSClient;
}): Promise<RedriveTarget> {
  const physicalId = async (logicalId: string) => {
    const { StackResources = [] } = await cloudformation.send(
      new DescribeStackResourcesCommand({ StackName: stackName, LogicalResourceId: logicalId }),
    );
    const id = StackResources[0]?.PhysicalResourceId;
    if (id === undefined) throw new RedriveRouteError(`stack ${stackName} has no resource ${logicalId}`);
    return id;
  };
  const queueUrl = await physicalId(route.queueId);
  const functionName = route.kind === 'function' ? await physicalId(route.functionId) : undefined;
  const sourceQueueUrl = route.kind === 'queue' ? await physicalId(route.sourceQueueId) : undefined;
  return {
    queueUrl,
    async invokeAsync(event) {
      const { StatusCode } = await lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
      );
      // Lambda answers 202 once the event is queued for the function.
      if (StatusCode !== 202) throw new Error(`Lambda answered ${StatusCode} to an asynchronous invoke`);
    },
    sendBack: sendBackTo(sqs, sourceQueueUrl),
  };
}
