import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A function as this bench runs it: one event from its own samples, changed so that the handler answers
 * without any AWS call (the bench's endpoint counts calls, and one fails the run), and what the answer
 * must be (bench/check-response.mjs, by `app`).
 */
export interface BenchedFunction {
  app: string;
  /** The path through the handler, for the printed table. */
  path: string;
  /** The event, from `apps/<app>/events`. */
  event(root: string): Promise<unknown>;
}

/** Someone else's id: users-api answers 404 before it reads the table (src/access.ts). */
const otherUserId = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
/** A key the template's rules never route here: both S3 functions skip it before reading it. */
const keyOutsideInputPrefix = 'elsewhere/holiday photo.jpg';

export const benchedFunctions: readonly BenchedFunction[] = [
  {
    app: 'users-api',
    path: "GET /users/{another user's id} → 404 before the table is read",
    event: async (root) => {
      const event = await sample<ApiEvent>(root, 'users-api', 'get-user.json');
      event.pathParameters = { id: otherUserId };
      event.path = `/users/${otherUserId}`;
      event.requestContext.path = `/dev/users/${otherUserId}`;
      return event;
    },
  },
  {
    app: 'uploads-api',
    path: 'GET /uploads/{an invalid upload id} → 400',
    event: async (root) => {
      const event = await sample<ApiEvent>(root, 'uploads-api', 'get-upload.json');
      event.pathParameters = { uploadId: 'not-an-upload-id' };
      event.path = '/uploads/not-an-upload-id';
      event.requestContext.path = '/dev/uploads/not-an-upload-id';
      return event;
    },
  },
  {
    app: 'upload-processor',
    path: 'EventBridge Object Created for a key outside uploads/ → skipped',
    event: async (root) => objectCreatedOutsidePrefix(root, 'upload-processor'),
  },
  {
    app: 'image-resizer',
    path: 'EventBridge Object Created for a key outside uploads/ → skipped',
    event: async (root) => objectCreatedOutsidePrefix(root, 'image-resizer'),
  },
  {
    app: 'batch-worker',
    path: 'SQS batch of one malformed job → one batch item failure',
    event: async (root) => {
      const event = await sample<{ Records: { body: string }[] }>(
        root,
        'batch-worker',
        'sqs-resize-jobs.json',
      );
      const [first] = event.Records;
      if (!first) throw new Error('apps/batch-worker/events/sqs-resize-jobs.json has no Records');
      // JSON, but neither a resize job (`key`, not `object`) nor an S3 notification: permanent.
      return { Records: [{ ...first, body: '{"object":"uploads/2026/holiday/beach.jpg"}' }] };
    },
  },
];

interface ApiEvent {
  path: string;
  pathParameters: Record<string, string> | null;
  requestContext: { path: string };
}

async function sample<Event>(root: string, app: string, file: string): Promise<Event> {
  return JSON.parse(await readFile(join(root, 'apps', app, 'events', file), 'utf8')) as Event;
}

async function objectCreatedOutsidePrefix(root: string, app: string) {
  const event = await sample<{ detail: { object: { key: string } } }>(
    root,
    app,
    'object-created-eventbridge.json',
  );
  event.detail.object.key = keyOutsideInputPrefix;
  return event;
}
