import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectWork } from '@repo/object-processing/process-object';
import type { TimeBudget } from '@repo/object-processing/time-budget';
import { recordResizeMetrics } from './resize-metrics.ts';
import { type Resized, type ResizeSettings, resizeUpload } from './resize-upload.ts';

/** Resizing uploads as processObject runs it: its subsegment, its log line and its metrics. */
export function resizeWork(deps: {
  s3: S3Client;
  settings: ResizeSettings;
  budget: TimeBudget;
}): ObjectWork<Resized> {
  return {
    name: 'resize',
    run: (object) => resizeUpload(object, deps),
    describe: (done) => [
      'Image resized',
      { outputs: done.outputs.map(({ key, width, height, bytes }) => ({ key, width, height, bytes })) },
    ],
    count: recordResizeMetrics,
  };
}
