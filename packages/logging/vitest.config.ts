import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Powertools' logger reads these itself; keep the developer's shell settings out of the tests.
  test: {
    env: {
      POWERTOOLS_DEV: 'false',
      AWS_LAMBDA_LOG_LEVEL: '',
      POWERTOOLS_LOG_LEVEL: '',
      // What Lambda sets for on-demand sandboxes; Powertools reports cold starts only then.
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    },
  },
});
