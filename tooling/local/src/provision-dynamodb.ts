/** DynamoDB tables as the template defines them (streams included), once ACTIVE. */
import { CreateTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '@repo/aws-local/dynamodb-table-input';
import type { Properties, ProvisionContext } from './provision-context.ts';
import { generatedName } from './provision-names.ts';
import { reportWithoutLocalEffect, text } from './provision-properties.ts';
import type { LocalResource } from './types.ts';

// Durability, protection and housekeeping settings that change nothing a function can observe locally.
const tablePropertiesWithoutLocalEffect = [
  'PointInTimeRecoverySpecification',
  'SSESpecification',
  'DeletionProtectionEnabled',
  'TimeToLiveSpecification',
  'ContributorInsightsSpecification',
  'KinesisStreamSpecification',
  'TableClass',
];

/** A table as the template defines it, waited for until ACTIVE. */
export async function createTable(
  context: ProvisionContext,
  logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const { stack, clients } = context;
  reportWithoutLocalEffect(context, logicalId, properties, tablePropertiesWithoutLocalEffect);
  const input = createTableInput(logicalId, {
    ...properties,
    TableName: text(properties.TableName) ?? generatedName(stack.stackName, logicalId, 255),
  });
  const stream = properties.StreamSpecification as { StreamViewType?: string } | undefined;
  const { TableDescription: table } = await clients.dynamodb.send(
    new CreateTableCommand({
      ...input,
      StreamSpecification: stream
        ? { StreamEnabled: true, StreamViewType: stream.StreamViewType as 'NEW_IMAGE' }
        : undefined,
    }),
  );
  if (table?.TableStatus !== 'ACTIVE') {
    await waitUntilTableExists({ client: clients.dynamodb, maxWaitTime: 60 }, { TableName: input.TableName });
  }
  return {
    type: 'AWS::DynamoDB::Table',
    ref: input.TableName as string,
    attributes: {
      Arn: table?.TableArn ?? '',
      ...(table?.LatestStreamArn ? { StreamArn: table.LatestStreamArn } : {}),
    },
  };
}
