import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './api-client.ts';
import { newTraceId } from './api-client.ts';
import { type ExpectedOutputs, expectedOutputs, padJpeg, type SoakFile, type SoakFiles } from './files.ts';
import type { HostileKind, PlannedUpload } from './plan.ts';

/** One version of an upload's key, as S3 acknowledged it. */
export interface UploadedVersion {
  /** What the functions call the version: S3's version id in a versioned bucket, else the ETag. */
  version: string;
  etag: string;
  size: number;
}

/** What one planned upload became. */
export interface UploadFacts {
  plan: PlannedUpload;
  uploadId: string;
  key: string;
  /** Every version S3 acknowledged, in order: two for an overwrite. None when the upload never got in. */
  versions: UploadedVersion[];
  /** The last version's expected outputs; undefined for a hostile file (it must have none). */
  expected?: ExpectedOutputs;
  hostile?: HostileKind;
  /** Why the upload could not be made (the API or S3 never accepted it): the soak's own failure. */
  failed?: string;
}

export interface UploadsFlowOptions {
  api: ApiClient;
  apiUrl: string;
  files: SoakFiles;
  /** Callers who upload (each upload by one of them, in turn). */
  callers: { authorization: string; userId: string }[];
  uploads: PlannedUpload[];
  concurrency: number;
}

/**
 * Uploads as a client does: a link from the uploads API, then the bytes straight to S3 with it (retrying
 * a 5xx or a reset, as S3's clients do); an overwrite puts other bytes of the same length through the same
 * link. `concurrency` uploads are in flight at once.
 */
export async function runUploadsFlow(options: UploadsFlowOptions): Promise<UploadFacts[]> {
  const { uploads, concurrency } = options;
  const facts: UploadFacts[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, uploads.length) }, async () => {
      while (next < uploads.length) {
        const plan = uploads[next++] as PlannedUpload;
        facts[plan.index] = await uploadOne(plan, options);
      }
    }),
  );
  return facts;
}

async function uploadOne(plan: PlannedUpload, { api, apiUrl, files, callers }: UploadsFlowOptions) {
  const caller = callers[plan.index % callers.length] as (typeof callers)[number];
  const first: SoakFile =
    plan.file.kind === 'photo'
      ? (files.photos[plan.file.photo] as SoakFile)
      : files.hostile[plan.file.hostile];
  const second =
    plan.overwriteWith === undefined ? undefined : (files.photos[plan.overwriteWith] as SoakFile);
  // A link signs one length: both versions of an overwrite are grown to the longer one.
  const size = Math.max(first.bytes.length, second?.bytes.length ?? 0);
  const bodies = [first, second]
    .filter((file): file is SoakFile => file !== undefined)
    .map((file) => (file.bytes.length === size ? file.bytes : padJpeg(file.bytes, size)));
  const facts: UploadFacts = {
    plan,
    uploadId: '',
    key: '',
    versions: [],
    expected: plan.file.kind === 'photo' ? expectedOutputs(plan.overwriteWith ?? plan.file.photo) : undefined,
    hostile: plan.file.kind === 'hostile' ? plan.file.hostile : undefined,
  };
  const created = await api.send('uploads', 'create-link', `${apiUrl}/uploads`, {
    method: 'POST',
    headers: { authorization: caller.authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ contentType: first.contentType, size }),
  });
  const link = created?.body as { uploadId?: string; url?: string; headers?: Record<string, string> };
  if (created?.status !== 201 || !link?.url || !link.uploadId) {
    facts.failed = `POST /uploads answered ${created?.status ?? 'nothing'}`;
    return facts;
  }
  facts.uploadId = link.uploadId;
  facts.key = `uploads/${caller.userId}/${link.uploadId}`;
  for (const body of bodies) {
    const put = await putThroughLink(api, link.url, link.headers ?? {}, body);
    if (!put) {
      facts.failed = `the PUT of version ${facts.versions.length + 1} was never acknowledged`;
      return facts;
    }
    facts.versions.push({ version: put.versionId ?? put.etag, etag: put.etag, size });
  }
  return facts;
}

/**
 * PUTs `body` through a presigned link, retrying a 5xx or a lost connection; S3's ETag (unquoted) and
 * version id. (A retried PUT whose first attempt was applied makes a second version of the same bytes:
 * the last acknowledged one is the upload's.)
 */
async function putThroughLink(api: ApiClient, url: string, headers: Record<string, string>, body: Buffer) {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const traceId = newTraceId();
    const at = Date.now();
    const started = performance.now();
    const record = (status: number, error?: string) =>
      api.attempts.push({
        flow: 'uploads',
        operation: 'put-object',
        method: 'PUT',
        path: new URL(url).pathname,
        status,
        ms: performance.now() - started,
        at,
        traceId,
        error,
      });
    try {
      const response = await fetch(url, {
        method: 'PUT',
        headers: { ...headers, 'x-amzn-trace-id': `Root=${traceId}` },
        body,
      });
      await response.arrayBuffer();
      record(response.status);
      if (response.status === 200)
        return {
          etag: response.headers.get('etag')?.replaceAll('"', '') ?? '',
          versionId: response.headers.get('x-amz-version-id') ?? undefined,
        };
      if (response.status < 500) return undefined;
    } catch (error) {
      record(0, (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
    }
    await sleep(200 * 2 ** (attempt - 1));
  }
  return undefined;
}
