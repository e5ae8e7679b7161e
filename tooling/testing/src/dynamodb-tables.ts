import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Template } from '@repo/sam-template/read-template';

/**
 * Creates the DynamoDB tables that `template` declares (all, or those named), as the template defines
 * them: keys, attribute definitions, indexes, billing mode. Returns each logical id's physical name;
 * unnamed tables get a unique one, as CloudFormation would.
 */
export async function createTablesFromTemplate(
  client: DynamoDBClient,
  template: Template,
  logicalIds?: readonly string[],
): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::DynamoDB::Table') continue;
    if (logicalIds && !logicalIds.includes(logicalId)) continue;
    const input = createTableInput(logicalId, resource.Properties ?? {});
    await client.send(new CreateTableCommand(input));
    names[logicalId] = input.TableName as string;
  }
  const missing = logicalIds?.filter((id) => !(id in names)) ?? [];
  if (missing.length > 0) throw new Error(`template.yaml declares no DynamoDB table ${missing.join(', ')}`);
  return names;
}

/** CloudFormation's AWS::DynamoDB::Table properties as a CreateTable request. */
export function createTableInput(
  logicalId: string,
  properties: Record<string, unknown>,
): CreateTableCommandInput {
  const tableName =
    typeof properties.TableName === 'string'
      ? properties.TableName
      : `${logicalId}-${randomUUID().slice(0, 8)}`;
  const billingMode = (properties.BillingMode as CreateTableCommandInput['BillingMode']) ?? 'PROVISIONED';
  const throughput =
    billingMode === 'PROVISIONED' ? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } : undefined;
  const indexes = (properties.GlobalSecondaryIndexes ?? []) as NonNullable<
    CreateTableCommandInput['GlobalSecondaryIndexes']
  >;
  return {
    TableName: tableName,
    AttributeDefinitions: properties.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    KeySchema: properties.KeySchema as CreateTableCommandInput['KeySchema'],
    BillingMode: billingMode,
    ProvisionedThroughput:
      (properties.ProvisionedThroughput as CreateTableCommandInput['ProvisionedThroughput']) ?? throughput,
    GlobalSecondaryIndexes:
      indexes.length > 0
        ? indexes.map((index) => ({
            ...index,
            ProvisionedThroughput: index.ProvisionedThroughput ?? throughput,
          }))
        : undefined,
    LocalSecondaryIndexes:
      properties.LocalSecondaryIndexes as CreateTableCommandInput['LocalSecondaryIndexes'],
  };
}
