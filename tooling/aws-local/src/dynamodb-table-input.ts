import { randomUUID } from 'node:crypto';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

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
