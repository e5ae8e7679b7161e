import { describe, expect, it } from 'vitest';
import { createTableInput } from '../src/dynamodb-table-input.ts';

describe('createTableInput', () => {
  it('turns an on-demand table definition into a CreateTable request with a unique name', () => {
    const properties = {
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    };

    const first = createTableInput('UsersTable', properties);
    const second = createTableInput('UsersTable', properties);

    expect(first).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', KeySchema: properties.KeySchema });
    expect(first.TableName).toMatch(/^UsersTable-[0-9a-f]{8}$/);
    expect(first.TableName).not.toBe(second.TableName);
    expect(first.ProvisionedThroughput).toBeUndefined();
  });

  it('keeps an explicit table name and gives provisioned tables and their indexes throughput', () => {
    const input = createTableInput('Orders', {
      TableName: 'orders',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'bySk',
          KeySchema: [{ AttributeName: 'sk', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });

    expect(input.TableName).toBe('orders');
    expect(input.BillingMode).toBe('PROVISIONED');
    expect(input.ProvisionedThroughput).toEqual({ ReadCapacityUnits: 5, WriteCapacityUnits: 5 });
    expect(input.GlobalSecondaryIndexes?.[0]?.ProvisionedThroughput).toEqual({
      ReadCapacityUnits: 5,
      WriteCapacityUnits: 5,
    });
  });
});
