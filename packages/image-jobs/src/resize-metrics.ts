import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { ResizeOutcome } from './resize-upload.ts';

/**
 * Records what one resize did, for CloudWatch (EMF): bytes in and out, time in S3 and in sharp, and —
 * each on its own EMF line with its own dimension — one ImagesResized per output size, or one
 * ImagesRejected with the reason.
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
    for (const output of outcome.outputs) {
      const single = metrics.singleMetric();
      single.addDimension('size', output.size);
      single.addMetric('ImagesResized', 'Count', 1);
    }
  } else if (outcome.status === 'rejected') {
    const single = metrics.singleMetric();
    single.addDimension('reason', outcome.reason);
    single.addMetric('ImagesRejected', 'Count', 1);
  }
}
