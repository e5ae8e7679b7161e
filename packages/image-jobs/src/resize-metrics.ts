import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { ResizeOutcome } from './resize-upload.ts';

/**
 * Records what one resize did, for CloudWatch (EMF): bytes in and out, time in S3 and in sharp, the
 * outputs written (ImagesResized) or the rejection (ImagesRejected) by service — and, each on its own
 * EMF line with its own dimension, ImagesResizedBySize per size or ImagesRejectedByReason per reason
 * (Powertools keeps one metric name to one dimension set).
 */
export function recordResizeMetrics(metrics: Metrics, outcome: ResizeOutcome): void {
  if (outcome.status === 'resized') {
    metrics.addMetric('BytesIn', 'Bytes', outcome.inputBytes);
    metrics.addMetric(
      'BytesOut',
      'Bytes',
      outcome.outputs.reduce((sum, output) => sum + output.bytes, 0),
    );
    metrics.addMetric('ResizeDuration', 'Milliseconds', outcome.timings.resizeMs);
    metrics.addMetric(
      'S3TransferDuration',
      'Milliseconds',
      outcome.timings.downloadMs + outcome.timings.uploadMs,
    );
    metrics.addMetric('ImagesResized', 'Count', outcome.outputs.length);
    for (const output of outcome.outputs) {
      const single = metrics.singleMetric();
      single.addDimension('size', output.size);
      single.addMetric('ImagesResizedBySize', 'Count', 1);
    }
  } else if (outcome.status === 'rejected') {
    metrics.addMetric('ImagesRejected', 'Count', 1);
    const single = metrics.singleMetric();
    single.addDimension('reason', outcome.reason);
    single.addMetric('ImagesRejectedByReason', 'Count', 1);
  }
}
