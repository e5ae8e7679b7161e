/** Names for what the template leaves unnamed, as CloudFormation makes them, and delivery queues' names. */
import { randomInt } from 'node:crypto';

/** `<stackName>-<LogicalId>-<RANDOM>`, as CloudFormation names what the template leaves unnamed. */
export function generatedName(stackName: string, logicalId: string, maxLength: number, suffix = ''): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const random = Array.from({ length: 12 }, () => alphabet[randomInt(alphabet.length)]).join('');
  const head = `${stackName}-${logicalId}`.slice(0, maxLength - random.length - suffix.length - 1);
  return `${head}-${random}${suffix}`;
}

/** The queue that carries one function's events of one source to the dev server. */
export function deliveryQueueName(stackName: string, ...parts: string[]): string {
  const suffix = '-delivery';
  return `${[stackName, ...parts].join('-')}`.slice(0, 80 - suffix.length) + suffix;
}
