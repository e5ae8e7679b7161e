import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { ObjectWork } from '@repo/object-processing/process-object';
import {
  type Delivery,
  type Recorded,
  type RecordOutcome,
  type RecordUploadDependencies,
  recordUpload,
} from './record-upload.ts';

/** Recording uploads as processObject runs it: its subsegment, its log line and its metrics. */
export function recordWork(deps: RecordUploadDependencies, delivery: Delivery): ObjectWork<Recorded> {
  return {
    name: 'record-upload',
    run: (object) => recordUpload(object, deps, delivery),
    describe: (done) => [`Upload ${done.status}`, { version: done.record.version, size: done.record.size }],
    count: recordOutcomeMetrics,
  };
}

/** UploadsRecorded, NotificationsPublished and BytesIn for new records; duplicates and rejections by reason. */
function recordOutcomeMetrics(metrics: Metrics, outcome: RecordOutcome): void {
  if (outcome.status === 'recorded') {
    metrics.addMetric('UploadsRecorded', 'Count', 1);
    metrics.addMetric('BytesIn', 'Bytes', outcome.record.size);
  }
  if (outcome.status === 'recorded' || outcome.status === 'announced') {
    metrics.addMetric('NotificationsPublished', 'Count', 1);
  }
  if (outcome.status === 'duplicate') metrics.addMetric('DuplicateDeliveries', 'Count', 1);
  if (outcome.status === 'rejected') {
    const single = metrics.singleMetric();
    single.addDimension('reason', outcome.reason);
    single.addMetric('UploadsRejected', 'Count', 1);
  }
}
