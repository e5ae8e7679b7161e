import { mappingHome, type SdkCommand } from './iam-actions.ts';

/** A `new X(…)` or `x(…)` in the code where X/x is exported by an `@aws-sdk/*` package. */
export interface SdkConstruction extends SdkCommand {
  how: 'new' | 'call';
  /** Source file, relative to the workspace root. */
  file: string;
  line: number;
}

/** A command the code sends, and where it is built. */
export interface CommandUse {
  command: SdkCommand;
  file: string;
  line: number;
}

/**
 * The commands among the SDK constructions the source analysis found. Clients, exceptions and errors are
 * not calls; paginators send their operation's command; anything else that sends calls the check cannot
 * see (aggregated clients such as `S3` or `DynamoDBDocument`, waiters, `Upload` …) is a problem, so that
 * nothing passes silently.
 */
export function commandsFrom(constructions: readonly SdkConstruction[]): {
  uses: CommandUse[];
  problems: string[];
} {
  const uses: CommandUse[] = [];
  const problems: string[] = [];
  for (const construction of constructions) {
    const { how, name, packageName, file, line, input, transactItems } = construction;
    const where = `${file}:${line}`;
    if (how === 'new') {
      if (name.endsWith('Command'))
        uses.push({ command: { packageName, name, input, transactItems }, file, line });
      else if (!/(Client|Exception|Error)$/.test(name)) {
        problems.push(
          `constructs ${name} from ${packageName} (${where}), which makes AWS calls the check cannot derive — send commands through a client instead, or add a mapping in ${mappingHome}`,
        );
      }
      continue;
    }
    const paginated = /^paginate([A-Z]\w*)$/.exec(name)?.[1];
    if (paginated) {
      uses.push({ command: { packageName, name: `${paginated}Command`, input }, file, line });
    } else if (/^waitUntil|^waitFor/.test(name)) {
      problems.push(
        `calls the waiter ${name} from ${packageName} (${where}), whose calls the check cannot derive; add a mapping in ${mappingHome}`,
      );
    }
  }
  return { uses, problems };
}
