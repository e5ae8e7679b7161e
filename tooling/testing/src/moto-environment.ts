/** A fake Lambda environment: enough for config and the SDK (credentials are anything for moto). */
const lambdaLike = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

/**
 * What Lambda and template.yaml give a function, pointed at moto, for integration tests that import a
 * handler module (its config is read at import): set it before the dynamic import.
 */
export function useMotoEnvironment(endpoint: string, variables: Record<string, string> = {}): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    ...lambdaLike,
    ...variables,
  });
}
