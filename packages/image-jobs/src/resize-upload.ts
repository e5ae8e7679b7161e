import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3ObjectRef } from '@repo/events/s3';
import { type OutputSize, outputKeyOf } from '@repo/image/outputs';
import { type OutputFormat, resizeImage } from '@repo/image/resize-image';
import {
  currentVersion,
  namesAVersion,
  type ObjectVersion,
  sameVersion,
} from '@repo/object-processing/object-version';
import { type ObjectOutcome, skipReasonOf } from '@repo/object-processing/outcome';
import { ObjectTooLargeError, readObjectBytes } from '@repo/object-processing/read-object';
import type { TimeBudget } from '@repo/object-processing/time-budget';

export interface ResizeSettings {
  sizes: readonly OutputSize[];
  inputPrefix: string;
  outputPrefix: string;
  maxInputBytes: number;
  maxInputPixels: number;
  format: OutputFormat;
  quality: number;
  cacheControl: string;
  minRemainingMs: number;
}

export interface Output {
  key: string;
  size: string;
  width: number;
  height: number;
  bytes: number;
  contentType: string;
}

/** Where the time went, for metrics: S3 download, decode + resize + encode, S3 uploads. */
export interface Timings {
  downloadMs: number;
  resizeMs: number;
  uploadMs: number;
}

export interface Resized {
  status: 'resized';
  inputBytes: number;
  outputs: Output[];
  timings: Timings;
}

/**
 * Resized; skipped when not ours (outside the input prefix, a folder marker, empty) or superseded by a
 * newer version of the key; rejected when retrying cannot help (not an image, corrupt, too big, gone).
 */
export type ResizeOutcome = ObjectOutcome<Resized>;

/**
 * Resizes one uploaded image into `<outputPrefix><size>/<name>` for every size, where `<name>` is the
 * key below the input prefix: deterministic keys, so a retry or a duplicate event overwrites rather
 * than duplicates. The outputs always end up showing the key's newest version, whatever order events
 * come in (see resizeCurrentVersion). It either writes all outputs or throws: S3 faults and an exhausted
 * time budget are transient (Lambda retries); permanent problems are thrown as PermanentErrors, which
 * processObject turns into a `rejected` outcome.
 */
export async function resizeUpload(
  object: S3ObjectRef,
  deps: { s3: S3Client; settings: ResizeSettings; budget: TimeBudget },
): Promise<ResizeOutcome> {
  const { settings } = deps;
  const skipped = skipReasonOf(object.key, settings);
  if (skipped) return skipped;
  if (object.size === 0) return { status: 'skipped', reason: 'empty-object' };
  if (object.size !== undefined && object.size > settings.maxInputBytes) {
    throw new ObjectTooLargeError(settings.maxInputBytes);
  }
  return resizeCurrentVersion(object, deps);
}

/**
 * The outputs of a key must show its newest version, but events can arrive in any order and an
 * overwrite can land while a resize runs. So, before the work: an event for a version the key no
 * longer holds is `superseded` (the newer version has its own event), and a job that names no version
 * is pinned to the current one; after writing: if the key moved on meanwhile, the outputs just written
 * may have landed over the newer version's, so the work goes again on the version it holds now, until
 * the outputs were written from the version still current after them. The last writer of every output
 * thus wrote the newest version. Costs two HEADs per image; no library orders S3 writes by source version.
 */
async function resizeCurrentVersion(
  object: S3ObjectRef,
  { s3, settings, budget }: { s3: S3Client; settings: ResizeSettings; budget: TimeBudget },
): Promise<ResizeOutcome> {
  budget.ensure('download');
  const current = await currentVersion(s3, object);
  if (namesAVersion(object) && !sameVersion(object, current))
    return { status: 'skipped', reason: 'superseded' };
  let target: S3ObjectRef = namesAVersion(object) ? object : { ...object, ...current };
  for (;;) {
    const resized = await resizeVersion(target, { s3, settings, budget });
    if (resized.status !== 'resized') return resized;
    // Not held to the time budget: a HEAD is quick, and the outputs are written (a new round is).
    const after: ObjectVersion = await currentVersion(s3, target);
    if (sameVersion(target, after)) return resized;
    target = { ...target, versionId: after.versionId, etag: after.etag };
  }
}

/** Reads one version of the object (pinned by readObject), resizes it, writes every output. */
async function resizeVersion(
  object: S3ObjectRef,
  { s3, settings, budget }: { s3: S3Client; settings: ResizeSettings; budget: TimeBudget },
): Promise<ResizeOutcome> {
  const { key } = object;
  budget.ensure('download');
  const started = performance.now();
  const input = await readObjectBytes(s3, object, { maxBytes: settings.maxInputBytes });
  if (input.length === 0) return { status: 'skipped', reason: 'empty-object' };

  const downloaded = performance.now();
  budget.ensure('resize');
  const images = await resizeImage(input, {
    sizes: settings.sizes,
    format: settings.format,
    quality: settings.quality,
    limitInputPixels: settings.maxInputPixels,
  });

  const resized = performance.now();
  budget.ensure('upload');
  const outputs = images.map((image) => ({
    key: outputKeyOf(settings, key, image.size),
    size: image.size,
    width: image.width,
    height: image.height,
    bytes: image.data.length,
    contentType: image.contentType,
    data: image.data,
  }));
  await Promise.all(
    outputs.map((output) =>
      s3.send(
        new PutObjectCommand({
          Bucket: object.bucket,
          Key: output.key,
          Body: output.data,
          ContentType: output.contentType,
          CacheControl: settings.cacheControl,
        }),
      ),
    ),
  );
  const uploaded = performance.now();
  return {
    status: 'resized',
    inputBytes: input.length,
    outputs: outputs.map(({ data: _data, ...output }) => output),
    timings: {
      downloadMs: downloaded - started,
      resizeMs: resized - downloaded,
      uploadMs: uploaded - resized,
    },
  };
}
