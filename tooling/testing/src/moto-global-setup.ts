import { startMoto } from '@repo/aws-local/moto';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** moto_server's base URL, for AWS_ENDPOINT_URL. */
    motoEndpoint: string;
  }
}

/** vitest globalSetup: one moto_server for the whole integration run, stopped afterwards. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
  return () => moto.stop();
}
