// @ts-check
// @repo/logging/metrics without CloudWatch EMF, for the bench's bundle-growth comparison only.
export const metricsNamespace = 'LambdaMonorepo';
export const createMetrics = () => undefined;
export const withMetrics = () => [];
