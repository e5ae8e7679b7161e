import { randomInt } from 'node:crypto';
import { existsSync, readdirSync, watch } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  findWorkspaceRoot,
  readTemplate,
  serverlessFunctions,
  type Template,
} from '@repo/sam-template/read-template';
import { resolveIntrinsics } from '@repo/sam-template/resolve-intrinsics';
import writeFileAtomic from 'write-file-atomic';
import type { GatewayResponse } from './api-gateway-responses.ts';
import { apiRoutes } from './api-routes.ts';
import { startApiServer } from './api-server.ts';
import { type Destination, startAsyncInvoker } from './async-invoker.ts';
import { awsFaults } from './aws-faults.ts';
import { cognitoAuthorizer, routeAuthorizer } from './cognito-authorizer.ts';
import { type FaultProfile, readFaultProfile } from './fault-profile.ts';
import { startFaultProxy } from './fault-proxy.ts';
import { type ConcurrencyStats, defaultLimits, FunctionHost } from './function-host.ts';
import { type Journal, openJournal } from './journal.ts';
import { lambdaFaultInjector } from './lambda-faults.ts';
import {
  buildApps,
  type OpenedStack,
  openLocalStack,
  runningStack,
  type StackFile,
  stackBuildDir,
} from './local-stack.ts';
import { shortenVisibilityTimeouts } from './provision-sqs.ts';
import { S3EventStamps } from './s3-events.ts';
import { startS3Gate } from './s3-gate.ts';
import { startSqsPoller } from './sqs-poller.ts';
import type { LocalResource, Log } from './types.ts';

const usage = `usage: pnpm dev [--port 3000] [--host 127.0.0.1] [--template template.yaml] [--stack-file .local/stack.json]
               [--concurrency ${defaultLimits.account}] [--idle-timeout ${defaultLimits.idleTimeoutMs / 1000}] [--no-watch]
               [--faults <profile> [--faults-seed <n>]] [--journal <file>] [--visibility-timeout <s>]
Runs template.yaml's functions against a local AWS (moto_server, or AWS_ENDPOINT_URL if set).
--concurrency   the account's concurrency: invocations in flight at once across the functions without
                ReservedConcurrentExecutions (AWS: 1,000 per Region by default)
--idle-timeout  seconds an idle execution environment stays warm before it is reclaimed
--faults        a fault profile (tooling/local/faults/<name>.json, or a path): the functions' AWS calls
                fail as AWS fails them; --faults-seed repeats a run's draws (random by default, printed)
--journal       append what happens to a JSON Lines file: injected faults, SDK retries, invocations and
                the functions' structured log lines (what pnpm soak checks)
--visibility-timeout  seconds: every template queue's visibility timeout, shortened so that a failed
                message comes back in seconds (the template's may be minutes)`;

type Stop = () => Promise<void>;

const log: Log = (line) => process.stdout.write(`${line}\n`);
const warn: Log = (line) => process.stderr.write(`${line}\n`);

/**
 * `pnpm dev`: the whole system on one machine. Creates what template.yaml declares in moto, serves the
 * API routes, delivers SQS batches and EventBridge-matched events to the functions, reloads a function
 * when its source changes, and writes .local/stack.json. Ctrl-C or SIGTERM stops everything it started.
 */
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '3000' },
      host: { type: 'string', default: '127.0.0.1' },
      template: { type: 'string' },
      'stack-file': { type: 'string' },
      concurrency: { type: 'string', default: String(defaultLimits.account) },
      'idle-timeout': { type: 'string', default: String(defaultLimits.idleTimeoutMs / 1000) },
      'no-watch': { type: 'boolean', default: false },
      faults: { type: 'string' },
      'faults-seed': { type: 'string' },
      journal: { type: 'string' },
      'visibility-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    log(usage);
    return;
  }
  const limits = {
    account: Number(values.concurrency),
    idleTimeoutMs: Number(values['idle-timeout']) * 1000,
  };
  if (!Number.isInteger(limits.account) || limits.account < 1 || !(limits.idleTimeoutMs >= 0)) {
    warn(`pnpm dev: --concurrency takes a whole number ≥ 1 and --idle-timeout seconds ≥ 0\n${usage}`);
    process.exitCode = 1;
    return;
  }
  const visibilityTimeout =
    values['visibility-timeout'] === undefined ? undefined : Number(values['visibility-timeout']);
  if (visibilityTimeout !== undefined && !(Number.isInteger(visibilityTimeout) && visibilityTimeout >= 0)) {
    warn(`pnpm dev: --visibility-timeout takes whole seconds ≥ 0\n${usage}`);
    process.exitCode = 1;
    return;
  }
  const root = findWorkspaceRoot();
  const cwd = process.env.INIT_CWD ?? process.cwd();
  let profile: FaultProfile | undefined;
  const seed = values['faults-seed'] === undefined ? randomInt(2 ** 31) : Number(values['faults-seed']);
  if (values.faults !== undefined) {
    try {
      profile = readFaultProfile(values.faults, cwd);
    } catch (error) {
      warn(`pnpm dev: ${(error as Error).message}`);
      process.exitCode = 1;
      return;
    }
    if (!Number.isInteger(seed)) {
      warn(`pnpm dev: --faults-seed takes a whole number\n${usage}`);
      process.exitCode = 1;
      return;
    }
  }
  const templatePath = values.template ? resolve(cwd, values.template) : join(root, 'template.yaml');
  const stackFile = values['stack-file']
    ? resolve(cwd, values['stack-file'])
    : join(root, '.local', 'stack.json');
  const template = readTemplate(templatePath);
  const buildDir = stackBuildDir(stackFile);
  const journalPath = values.journal === undefined ? undefined : resolve(cwd, values.journal);

  // A clean stop, in the order that lets each part finish what it started: first what feeds the
  // functions (the file watcher, the API server, the SQS pollers and async invokers, each waiting for the
  // invocation it is in), then the execution environments, then the SDK clients and the local AWS they
  // talk to, last the stack file and the build folder. The other way round, pollers meet a dead moto.
  const stops = {
    feeders: [] as Stop[],
    environments: [] as Stop[],
    aws: [] as Stop[],
    journal: [] as Stop[],
  };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const phase of [stops.feeders, stops.environments, stops.aws, stops.journal])
        await Promise.all(
          phase.map((close) => close().catch((error: Error) => warn(`while stopping: ${error.message}`))),
        );
      await rm(stackFile, { force: true });
      await rm(buildDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  // One Ctrl-C arrives twice — from the terminal to the process group, and again from pnpm, which
  // forwards it — so a signal while stopping is no reason to stop less cleanly.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      log(`\n${signal}: stopping`);
      void stop().then(() => process.exit(0));
    });
  }

  const running = await runningStack(stackFile);
  if (running) {
    warn(
      `pnpm dev: another pnpm dev (pid ${running.pid}) is running with ${relative(cwd, stackFile)}. ` +
        'Stop it, or give this one its own: --stack-file .local/<name>.json',
    );
    process.exitCode = 1;
    return;
  }

  // Opened before anything starts, so an unwritable path is a usage error; closed last, after the
  // environments whose output it records have stopped.
  let journal: Journal | undefined;
  try {
    journal = journalPath === undefined ? undefined : openJournal(journalPath, warn);
  } catch (error) {
    warn(`pnpm dev: --journal: ${(error as Error).message}`);
    process.exitCode = 1;
    return;
  }
  if (journal) stops.journal.push(journal.close);

  let opened: OpenedStack;
  try {
    opened = await openLocalStack({
      template,
      templateDir: dirname(templatePath),
      endpoint: process.env.AWS_ENDPOINT_URL || undefined,
      buildDir,
      log,
    });
  } catch (error) {
    warn(`pnpm dev: ${(error as Error).message}`);
    process.exitCode = 1;
    return;
  }
  stops.aws.push(() => opened.close());
  const { aws, functions } = opened;
  const provisioned = opened.provisioned;
  if (!provisioned) throw new Error('pnpm dev always provisions its own stack');
  const api = apiRoutes(template);
  for (const route of api.routes) {
    route.stage = stageName(template, route.restApiId, opened);
    route.authorizer = routeAuthorizer(template, route, (value) => resolveIntrinsics(value, opened.stack));
    if (route.authorizer && 'unsupported' in route.authorizer)
      api.unsupported.push(route.authorizer.unsupported);
  }
  const unsupported = [...provisioned.unsupported, ...api.unsupported, ...functions.unsupported];
  for (const feature of unsupported) warn(`not supported locally, ignored: ${feature}`);

  // S3's checks of presigned requests, which moto does not make: the functions' S3 clients go through
  // the gate (AWS_ENDPOINT_URL_S3), so the links they hand out point at it.
  const gate = await startS3Gate({
    target: aws.endpoint,
    region: aws.region,
    credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
  });
  stops.aws.push(() => gate.close());
  for (const spec of functions.specs) spec.environment.AWS_ENDPOINT_URL_S3 = gate.endpoint;

  // Fault injection (--faults): a proxy in front of each endpoint the functions use (moto, the S3 gate),
  // so only the functions' calls meet the faults — the stack's own provisioning and polling do not.
  // With --journal the proxy is there even without faults: it is what sees the SDK's retries on the wire.
  let faultCounts: () => string[] = () => [];
  const faults = profile && awsFaults(profile.aws, seed, log);
  if (profile && faults) {
    log(`faults     ${profile.name} (seed ${seed}) — ${profile.description}`);
    faultCounts = faults.counts;
  }
  if (faults || journal) {
    for (const variable of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3'] as const) {
      const target = variable === 'AWS_ENDPOINT_URL' ? aws.endpoint : gate.endpoint;
      const proxy = await startFaultProxy({
        target,
        decide: faults ? faults.decide : () => undefined,
        injected: (call, fault) => journal?.write({ type: 'aws-fault', ...call, fault }),
        observed: ({ attempt, ...call }) => {
          if (attempt !== undefined && attempt > 1) journal?.write({ type: 'aws-retry', ...call, attempt });
        },
      });
      stops.aws.push(() => proxy.close());
      for (const spec of functions.specs) spec.environment[variable] = proxy.endpoint;
    }
  }

  await buildApps(functions, log);
  // The profile's `lambda` rules fail the execution environments, in the function host.
  const lambdaFaults = profile && lambdaFaultInjector(profile.lambda, seed, log);
  const host = new FunctionHost(
    functions.specs,
    { logs: process.stdout, log, metrics: log, traces: log, journal: journal?.write },
    limits,
    lambdaFaults,
  );
  stops.environments.push(async () => {
    log(concurrencyReport(host.stats()));
    for (const line of faultCounts()) log(`faults     ${line}`);
    for (const line of lambdaFaults?.summary() ?? []) log(line);
    await host.close();
  });
  const reserved = functions.specs.reduce((sum, spec) => sum + (spec.reservedConcurrency ?? 0), 0);
  /** Invocations of one function that can run at once: its reserved concurrency, or what the account has left. */
  const limitOf = (functionId: string) =>
    functions.specs.find((spec) => spec.logicalId === functionId)?.reservedConcurrency ??
    Math.max(0, limits.account - reserved);

  // API Gateway's Cognito authorizer, verifying tokens against the local AWS's user pools.
  const authorizer = cognitoAuthorizer({
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
  });
  stops.aws.push(async () => authorizer.close());
  const server = await startApiServer({
    routes: api.routes,
    invoke: host.invoke,
    port: Number(values.port),
    host: values.host,
    gatewayResponses: gatewayResponses(template, opened),
    authorize: authorizer.authorize,
    log: warn,
  });
  stops.feeders.push(() => server.close());

  const clientConfig = {
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
  };
  const sqs = new SQSClient(clientConfig);
  const sns = new SNSClient(clientConfig);
  stops.aws.push(async () => {
    sqs.destroy();
    sns.destroy();
  });
  if (visibilityTimeout !== undefined) {
    for (const change of await shortenVisibilityTimeouts(sqs, provisioned.resources, visibilityTimeout))
      log(`queues     visibility timeout ${change} (--visibility-timeout)`);
  }
  const invokeConfigs = new Map(
    serverlessFunctions(template).map(({ logicalId, properties }) => [
      logicalId,
      properties.EventInvokeConfig,
    ]),
  );
  // One for every source: an S3 event delivered to two functions is stamped alike for both.
  const s3Events = new S3EventStamps();
  for (const source of provisioned.eventSources) {
    if (source.kind === 'sqs') {
      const poller = startSqsPoller({
        sqs,
        invoke: host.invoke,
        region: aws.region,
        log: warn,
        ...source,
        concurrency: Math.min(
          source.maximumConcurrency ?? Number.POSITIVE_INFINITY,
          limitOf(source.functionId),
        ),
      });
      stops.feeders.push(() => poller.stop());
    } else {
      const config = asyncInvokeConfig(invokeConfigs.get(source.functionId), opened, provisioned.resources);
      const functionArn = functions.specs.find((spec) => spec.logicalId === source.functionId)?.functionArn;
      const invoker = startAsyncInvoker({
        sqs,
        sns,
        invoke: host.invoke,
        functionId: source.functionId,
        eventName: source.eventName,
        deliveryQueueUrl: source.deliveryQueueUrl,
        functionArn,
        // Lambda's internal queue is read beyond the function's limit: what is over it is throttled
        // and retried, and shows in the function's throttles, as in AWS.
        concurrency: limits.account,
        asAwsSends: (event, sentAt) => s3Events.stamp(event, sentAt),
        log: warn,
        ...config,
      });
      stops.feeders.push(() => invoker.stop());
    }
  }

  const file: StackFile = {
    pid: process.pid,
    endpoint: aws.endpoint,
    region: aws.region,
    apiUrl: server.url,
    stack: opened.stack,
    resources: provisioned.resources,
    ...(journalPath === undefined ? {} : { journal: journalPath }),
    asyncDelivery: Object.fromEntries(
      provisioned.eventSources
        .toReversed()
        .flatMap((source) => (source.kind === 'sqs' ? [] : [[source.functionId, source.deliveryQueueUrl]])),
    ),
    functions: Object.fromEntries(
      functions.specs.map((spec) => [
        spec.logicalId,
        { handlerFile: spec.handlerFile, timeoutSeconds: spec.timeoutSeconds, memoryMb: spec.memoryMb },
      ]),
    ),
  };
  await mkdir(dirname(stackFile), { recursive: true });
  await writeFile(stackFile, `${JSON.stringify(file, null, 2)}\n`);
  // The stack file keeps each function's execution environments, cold starts and throttles current.
  let reported = '';
  const statsTimer = setInterval(() => {
    const concurrency = host.stats();
    const now = JSON.stringify(concurrency);
    if (now === reported || stopping) return;
    reported = now;
    void writeFileAtomic(stackFile, `${JSON.stringify({ ...file, concurrency }, null, 2)}\n`).catch(
      (error: Error) => warn(`could not update ${stackFile}: ${error.message}`),
    );
  }, 250);
  stops.feeders.push(async () => clearInterval(statsTimer));

  if (!values['no-watch']) stops.feeders.push(watchSources(root, functions, host, log));

  log(`local AWS  ${aws.endpoint}`);
  log(`API        ${server.url}  (${api.routes.length} routes)`);
  for (const route of api.routes)
    log(`           ${route.method.padEnd(7)}${route.path}  → ${route.functionId}`);
  for (const source of provisioned.eventSources)
    log(`events     ${source.kind}: ${source.eventName} → ${source.functionId}`);
  const idWidth = Math.max(...functions.specs.map((spec) => spec.logicalId.length));
  for (const spec of functions.specs)
    log(`function   ${spec.logicalId.padEnd(idWidth)}  ${spec.runtime} on Node.js ${spec.node.version}`);
  log(`stack      ${relative(cwd, stackFile)}`);
  log('ready — Ctrl-C to stop');
}

/** What each function's execution environments did, printed on exit. */
function concurrencyReport(stats: Record<string, ConcurrencyStats>): string {
  const columns: [string, keyof ConcurrencyStats][] = [
    ['invocations', 'invocations'],
    ['cold starts', 'coldStarts'],
    ['peak environments', 'peakEnvironments'],
    ['peak running', 'peakRunning'],
    ['throttles', 'throttles'],
  ];
  const width = Math.max(8, ...Object.keys(stats).map((logicalId) => logicalId.length));
  const row = (first: string, cells: string[]) =>
    [
      first.padEnd(width),
      ...cells.map((cell, index) => cell.padStart((columns[index]?.[0].length ?? 0) + 2)),
    ].join('');
  return [
    'execution environments',
    row(
      'function',
      columns.map(([title]) => title),
    ),
    ...Object.entries(stats).map(([logicalId, stat]) =>
      row(
        logicalId,
        columns.map(([, key]) => String(stat[key])),
      ),
    ),
  ].join('\n');
}

/** Each API's `GatewayResponses` (its own over `Globals.Api`'s), resolved to local values. */
function gatewayResponses(
  template: Template,
  opened: OpenedStack,
): Record<string, Record<string, GatewayResponse>> {
  const global = (template.Globals?.Api as { GatewayResponses?: unknown } | undefined)?.GatewayResponses;
  const apis = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === 'AWS::Serverless::Api',
  );
  return Object.fromEntries(
    apis.map(([logicalId, resource]) => [
      logicalId,
      resolveIntrinsics(
        {
          ...(global as object | undefined),
          ...(resource.Properties?.GatewayResponses as object | undefined),
        },
        opened.stack,
      ) as Record<string, GatewayResponse>,
    ]),
  );
}

/**
 * The stage an API's events name: its `StageName` (or the template's `Globals.Api.StageName`), resolved;
 * `Prod` for SAM's implicit API, as SAM deploys it. Nothing assumed about the template's parameters.
 */
function stageName(template: Template, restApiId: string, opened: OpenedStack): string {
  const own = template.Resources[restApiId]?.Properties?.StageName;
  const global = (template.Globals?.Api as { StageName?: unknown } | undefined)?.StageName;
  const declared = own ?? (template.Resources[restApiId] ? global : undefined);
  return declared === undefined ? 'Prod' : String(resolveIntrinsics(declared, opened.stack));
}

/** The function's EventInvokeConfig (retries, event age, destinations) resolved to local resources. */
function asyncInvokeConfig(
  config: unknown,
  opened: OpenedStack,
  resources: Record<string, LocalResource>,
): {
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  onSuccess?: Destination;
  onFailure?: Destination;
} {
  const resolved = (resolveIntrinsics(config ?? {}, opened.stack) ?? {}) as {
    MaximumRetryAttempts?: number;
    MaximumEventAgeInSeconds?: number;
    DestinationConfig?: {
      OnSuccess?: { Type?: string; Destination?: string };
      OnFailure?: { Type?: string; Destination?: string };
    };
  };
  const destination = (target?: { Type?: string; Destination?: string }): Destination | undefined => {
    if (!target?.Destination) return undefined;
    const arn = target.Destination;
    const resource = Object.values(resources).find(
      (candidate) => candidate.attributes.Arn === arn || candidate.ref === arn,
    );
    const services: Record<string, Destination['type']> = {
      sqs: 'SQS',
      sns: 'SNS',
      events: 'EventBridge',
      lambda: 'Lambda',
    };
    const type =
      (target.Type as Destination['type'] | undefined) ?? services[arn.split(':')[2] ?? ''] ?? 'SQS';
    return { type, arn, url: resource?.type === 'AWS::SQS::Queue' ? resource.ref : undefined };
  };
  return {
    maximumRetryAttempts: resolved.MaximumRetryAttempts,
    maximumEventAgeInSeconds: resolved.MaximumEventAgeInSeconds,
    onSuccess: destination(resolved.DestinationConfig?.OnSuccess),
    onFailure: destination(resolved.DestinationConfig?.OnFailure),
  };
}

/**
 * Rebuilds and reloads a function when its source changes: an app's own src/ rebuilds that app, a
 * shared package's src/ rebuilds every app, and a plain CodeUri folder just reloads (its next
 * invocation is a cold start with the new code).
 */
function watchSources(
  root: string,
  functions: OpenedStack['functions'],
  host: FunctionHost,
  say: Log,
): () => Promise<void> {
  const packagesDir = join(root, 'packages');
  const watchers: ReturnType<typeof watch>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  const changed = new Set<string>();
  const flush = async () => {
    const paths = [...changed];
    changed.clear();
    const sharedChanged = paths.some((path) => path.startsWith(packagesDir));
    for (const build of functions.builds) {
      if (!sharedChanged && !paths.some((path) => path.startsWith(build.appDir))) continue;
      try {
        await buildApps({ ...functions, builds: [build] }, say);
      } catch (error) {
        warn(`build failed, keeping the previous code: ${(error as Error).message}`);
        continue;
      }
      for (const spec of functions.specs.filter((candidate) =>
        build.logicalIds.includes(candidate.logicalId),
      )) {
        await host.reload(spec);
        say(`reloaded ${spec.logicalId}`);
      }
    }
    const built = new Set(functions.builds.flatMap((build) => build.logicalIds));
    for (const spec of functions.specs.filter((candidate) => !built.has(candidate.logicalId))) {
      if (paths.some((path) => path.startsWith(dirname(spec.handlerFile)))) {
        await host.reload(spec);
        say(`reloaded ${spec.logicalId}`);
      }
    }
  };
  // Only the packages' sources: other tasks write logs and caches elsewhere under packages/ all the time.
  const folders = new Set<string>(
    readdirSync(packagesDir)
      .map((name) => join(packagesDir, name, 'src'))
      .filter((folder) => existsSync(folder)),
  );
  for (const build of functions.builds) folders.add(join(build.appDir, 'src'));
  const built = new Set(functions.builds.flatMap((build) => build.logicalIds));
  for (const spec of functions.specs) if (!built.has(spec.logicalId)) folders.add(dirname(spec.handlerFile));
  for (const folder of folders) {
    watchers.push(
      watch(folder, { recursive: true }, (_, name) => {
        if (!name || name.split(sep).some((part) => part === 'node_modules' || part === 'dist')) return;
        changed.add(join(folder, name));
        clearTimeout(timer);
        timer = setTimeout(() => {
          flushing = flushing.then(flush).catch((error: Error) => warn(`reload failed: ${error.message}`));
        }, 150);
      }),
    );
  }
  return async () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
    await flushing; // a rebuild under way finishes before the environments stop
  };
}

main(process.argv.slice(2)).catch((error: Error) => {
  warn(`pnpm dev failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
