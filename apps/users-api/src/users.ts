import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isTransientAwsError } from '@repo/aws/transient-error';
import * as z from 'zod/mini';

export interface UserInput {
  name: string;
  email: string;
}

export interface User extends UserInput {
  id: string;
  createdAt: string;
  updatedAt: string;
}

export interface Page<Item> {
  items: Item[];
  /** Opaque; present only when more items may follow. */
  nextToken?: string;
}

export class UserNotFoundError extends Error {
  override readonly name = 'UserNotFoundError';
  constructor(readonly userId: string) {
    super(`User ${userId} does not exist`);
  }
}

export class UserAlreadyExistsError extends Error {
  override readonly name = 'UserAlreadyExistsError';
  constructor(readonly userId: string) {
    super(`User ${userId} already exists`);
  }
}

export class InvalidPageTokenError extends Error {
  override readonly name = 'InvalidPageTokenError';
  constructor() {
    super('nextToken is not a token this API issued');
  }
}

/** DynamoDB throttled, failed or could not be reached: worth a retry by the caller. */
export class UsersStoreUnavailableError extends Error {
  override readonly name = 'UsersStoreUnavailableError';
  constructor(options: { cause: unknown }) {
    super('The users table is temporarily unavailable', options);
  }
}

export interface UserStoreDependencies {
  db: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
}

export type UserStore = ReturnType<typeof createUserStore>;

/** Users CRUD over one DynamoDB table keyed by `id`. */
export function createUserStore({ db, tableName, now = () => new Date() }: UserStoreDependencies) {
  return {
    /** One page of users in table order; `nextToken` continues where the previous page stopped. */
    async listUsers({ limit, nextToken }: { limit: number; nextToken?: string }): Promise<Page<User>> {
      const exclusiveStartKey = nextToken === undefined ? undefined : decodePageToken(nextToken);
      const output = await call(() =>
        db.send(
          new ScanCommand({ TableName: tableName, Limit: limit, ExclusiveStartKey: exclusiveStartKey }),
        ),
      );
      const items = (output.Items ?? []).map(toUser);
      const lastId = output.LastEvaluatedKey?.id;
      return typeof lastId === 'string' ? { items, nextToken: encodePageToken(lastId) } : { items };
    },

    /**
     * Creates the user `id` (the caller's token `sub`); the write is conditional, so a record is never
     * overwritten by a second create. When DynamoDB applied the put but its answer was lost, the SDK's
     * retry meets this very item: the failed condition returns it, and an item with this call's
     * timestamp is our own write, so the create succeeded. Only an item that was there before is a
     * conflict.
     */
    async createUser(id: string, input: UserInput): Promise<User> {
      const timestamp = now().toISOString();
      const user: User = { id, ...input, createdAt: timestamp, updatedAt: timestamp };
      await call(
        () =>
          db.send(
            new PutCommand({
              TableName: tableName,
              Item: user,
              ConditionExpression: 'attribute_not_exists(id)',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        (failed) => (isOwnCreate(failed, user) ? undefined : new UserAlreadyExistsError(user.id)),
      );
      return user;
    },

    async getUser(id: string): Promise<User> {
      const output = await call(() => db.send(new GetCommand({ TableName: tableName, Key: { id } })));
      if (!output.Item) throw new UserNotFoundError(id);
      return toUser(output.Item);
    },

    /**
     * Replaces a user's fields, keeping `id` and `createdAt`; fails if the user does not exist. A retry
     * of an update DynamoDB applied but did not answer writes the same values again (the timestamp is
     * taken once per call), so it is harmless; it fails only if the user was deleted in between, and
     * then "not found" is the truth.
     */
    async replaceUser(id: string, input: UserInput): Promise<User> {
      const output = await call(
        () =>
          db.send(
            new UpdateCommand({
              TableName: tableName,
              Key: { id },
              UpdateExpression: 'SET #name = :name, #email = :email, #updatedAt = :updatedAt',
              ConditionExpression: 'attribute_exists(id)',
              ExpressionAttributeNames: { '#name': 'name', '#email': 'email', '#updatedAt': 'updatedAt' },
              ExpressionAttributeValues: {
                ':name': input.name,
                ':email': input.email,
                ':updatedAt': now().toISOString(),
              },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        () => new UserNotFoundError(id),
      );
      if (!output?.Attributes) throw new UserNotFoundError(id);
      return toUser(output.Attributes);
    },

    /**
     * Deletes a user; idempotent, as HTTP's DELETE is: deleting a user that is not there succeeds too.
     * A condition could not tell a user that never existed from one this call's own earlier attempt
     * deleted before its answer was lost (the SDK's retry then finds nothing), so there is none.
     * Resolves true when this attempt removed an item (for the UsersDeleted metric).
     */
    async deleteUser(id: string): Promise<boolean> {
      const output = await call(() =>
        db.send(new DeleteCommand({ TableName: tableName, Key: { id }, ReturnValues: 'ALL_OLD' })),
      );
      return output.Attributes !== undefined;
    },
  };
}

/**
 * Runs one DynamoDB call (the SDK has already retried it): a failed condition becomes the caller's
 * domain error — or, when `onConditionFailed` finds the item is this call's own earlier write, success
 * (undefined) — a transient fault becomes UsersStoreUnavailableError, anything else is a defect and
 * propagates as it is.
 */
async function call<Output>(send: () => Promise<Output>): Promise<Output>;
async function call<Output>(
  send: () => Promise<Output>,
  onConditionFailed: (error: ConditionalCheckFailedException) => Error | undefined,
): Promise<Output | undefined>;
async function call<Output>(
  send: () => Promise<Output>,
  onConditionFailed?: (error: ConditionalCheckFailedException) => Error | undefined,
): Promise<Output | undefined> {
  try {
    return await send();
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException && onConditionFailed) {
      const failure = onConditionFailed(error);
      if (failure) throw failure;
      return undefined;
    }
    if (isTransientAwsError(error)) throw new UsersStoreUnavailableError({ cause: error });
    throw error;
  }
}

/** The item a failed create met (returned raw: lib-dynamodb does not unmarshall errors) is this call's own. */
function isOwnCreate(failed: ConditionalCheckFailedException, user: User): boolean {
  const item = failed.Item;
  return item?.id?.S === user.id && item.createdAt?.S === user.createdAt;
}

/** Keeps only a user's own fields, whatever else the item holds. */
function toUser(item: Record<string, unknown>): User {
  const { id, name, email, createdAt, updatedAt } = item as unknown as User;
  return { id, name, email, createdAt, updatedAt };
}

/** Users are identified by their Cognito `sub`, a UUID; anything else cannot name a user. */
export const userIdSchema = z.uuid();

const pageTokenSchema = z.strictObject({ v: z.literal(1), id: userIdSchema });

function encodePageToken(lastId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, id: lastId })).toString('base64url');
}

function decodePageToken(token: string): { id: string } {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidPageTokenError();
  }
  const parsed = pageTokenSchema.safeParse(decoded);
  if (!parsed.success) throw new InvalidPageTokenError();
  return { id: parsed.data.id };
}
