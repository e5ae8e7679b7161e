import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '@repo/aws-local/dynamodb-table-input';
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
