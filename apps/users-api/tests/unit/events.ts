import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent } from 'aws-lambda';

/** A sample event from events/ (the ones `sam local invoke -e` uses), with overrides. */
export function sampleEvent(
  name: 'list-users' | 'create-user' | 'get-user' | 'replace-user' | 'delete-user',
  overrides: Partial<APIGatewayProxyEvent> = {},
): APIGatewayProxyEvent {
  const event = JSON.parse(
    readFileSync(new URL(`../../events/${name}.json`, import.meta.url), 'utf8'),
  ) as APIGatewayProxyEvent;
  return { ...event, ...overrides };
}

export const sampleUserId = '3f1b6c1e-8d2a-4c57-9a3e-2b7f0d9c4e11';

/** The sample user as the users table stores it. */
export const storedUser = {
  id: sampleUserId,
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  createdAt: '2026-11-01T10:00:00.000Z',
  updatedAt: '2026-11-01T10:00:00.000Z',
};
