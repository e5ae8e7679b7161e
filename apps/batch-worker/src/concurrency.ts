// Memory the runtime, the bundle, sharp/libvips and the SQS batch itself take before any image.
const baseMb = 200;
// Encoded outputs and libvips working buffers on top of the decoded pixels of one image.
const perJobOverheadMb = 32;
// SQS delivers at most 10 messages per batch: more slots than that would never be used.
const maxBatch = 10;

/**
 * How many jobs run at once: as many images as fit in memory at their worst (every job decoding an
 * image at the pixel limit, 4 bytes per pixel, plus overhead), at most 10, at least 1. Each image is
 * decoded with one sharp thread, so jobs — not threads — spread over the vCPUs (one per 1,769 MB), and
 * a job waiting on S3 leaves its vCPU to another.
 */
export function concurrencyFor({
  memoryMb,
  maxInputPixels,
}: {
  memoryMb: number;
  maxInputPixels: number;
}): number {
  const perJobMb = Math.ceil((maxInputPixels * 4) / 1024 ** 2) + perJobOverheadMb;
  return Math.max(1, Math.min(maxBatch, Math.floor((memoryMb - baseMb) / perJobMb)));
}
