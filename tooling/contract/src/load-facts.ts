import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  findWorkspaceRoot,
  readTemplate,
  serverlessFunctions,
  type Template,
} from '@repo/sam-template/read-template';
import { isRecord } from '@repo/sam-template/template-values';
import { type AppCode, checkFunction, type FunctionResult, type TemplateContext } from './check.ts';
import { type CfnTemplate, render } from './cloudformation.ts';
import type { ConfigSchema } from './environment.ts';
import { samTransform } from './sam-transform.ts';
import { commandsFrom } from './sdk-commands.ts';
import { analyseSources, packageOfPath } from './source-analysis.ts';

/** The parts of an esbuild metafile the check reads. */
interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, { entryPoint?: string }>;
}

/** The repo's own source files among a bundle's inputs (`apps/<app>/src/**`, `packages/<pkg>/src/**`), absolute. */
export function repoSources(metafile: Metafile, appDir: string, workspaceRoot: string): string[] {
  return Object.keys(metafile.inputs)
    .filter((input) => !input.includes('node_modules/'))
    .map((input) => resolve(appDir, input))
    .filter((file) => /^(apps|packages)\/[^/]+\/src\//.test(relative(workspaceRoot, file)));
}

/** The AWS SDK client and lib packages among a bundle's inputs. */
export function bundledSdkPackages(metafile: Metafile): string[] {
  const packages = Object.keys(metafile.inputs).map((input) => packageOfPath(`/${input}`) ?? '');
  return [...new Set(packages.filter((name) => /^@aws-sdk\/(client|lib)-/.test(name)))].sort();
}

/**
 * Reads what the check needs from each app's code: its bundle's inputs (dist/meta.json from
 * `pnpm build`), the SDK commands and handler facts in the bundled sources, and its config schema.
 */
export async function loadAppCode(
  appDirs: readonly string[],
  workspaceRoot: string,
): Promise<Map<string, AppCode | { app: string; problem: string }>> {
  const results = new Map<string, AppCode | { app: string; problem: string }>();
  const bundled: { appDir: string; metafile: Metafile; entry: string; files: string[] }[] = [];
  for (const appDir of appDirs) {
    const app = relative(workspaceRoot, appDir);
    const metaPath = join(appDir, 'dist', 'meta.json');
    if (!existsSync(metaPath)) {
      results.set(appDir, { app, problem: `${app}/dist/meta.json is missing — run pnpm build first` });
      continue;
    }
    const metafile = JSON.parse(readFileSync(metaPath, 'utf8')) as Metafile;
    const entryPoint = Object.values(metafile.outputs).find((output) => output.entryPoint)?.entryPoint;
    if (!entryPoint) {
      results.set(appDir, {
        app,
        problem: `${app}/dist/meta.json names no entry point — run pnpm build again`,
      });
      continue;
    }
    bundled.push({
      appDir,
      metafile,
      entry: resolve(appDir, entryPoint),
      files: repoSources(metafile, appDir, workspaceRoot),
    });
  }
  const analyses = bundled.length > 0 ? analyseSources(bundled, workspaceRoot) : new Map();
  for (const { appDir, metafile } of bundled) {
    const analysis = analyses.get(appDir);
    if (!analysis) continue;
    const { uses, problems } = commandsFrom(analysis.constructions);
    results.set(appDir, {
      app: relative(workspaceRoot, appDir),
      commands: uses,
      commandProblems: problems,
      sdkPackages: bundledSdkPackages(metafile),
      handler: analysis.handler,
      schema: await loadConfigSchema(appDir, workspaceRoot),
    });
  }
  return results;
}

async function loadConfigSchema(
  appDir: string,
  workspaceRoot: string,
): Promise<ConfigSchema | { problem: string }> {
  const path = join(appDir, 'src', 'config.ts');
  const shown = relative(workspaceRoot, path);
  if (!existsSync(path)) return { problem: `cannot check its environment: ${shown} does not exist` };
  try {
    const module = (await import(pathToFileURL(path).href)) as { configSchema?: unknown };
    const schema = module.configSchema;
    if (!isRecord(schema) || typeof schema.safeParse !== 'function' || !isRecord(schema.shape)) {
      return { problem: `cannot check its environment: ${shown} exports no configSchema object schema` };
    }
    return schema as unknown as ConfigSchema;
  } catch (error) {
    return {
      problem: `cannot check its environment: importing ${shown} failed (${(error as Error).message})`,
    };
  }
}

/** A serverless function of the template and where its code lives. */
export interface TemplateFunction {
  logicalId: string;
  /** Absolute app folder, when CodeUri is one (a folder with a package.json). */
  appDir?: string;
  codeUri: string;
}

export interface TemplateFacts {
  path: string;
  functions: TemplateFunction[];
  context: TemplateContext;
}

/** Reads a SAM template, expands it with the SAM translator, and finds each function's app folder. */
export async function loadTemplate(templatePath: string): Promise<TemplateFacts> {
  const path = resolve(templatePath);
  const sam = readTemplate(path);
  const transformed = samTransform(sam);
  const functions = serverlessFunctions(sam).map(({ logicalId, properties }) => {
    const codeUri = typeof properties.CodeUri === 'string' ? properties.CodeUri : render(properties.CodeUri);
    const appDir = resolve(dirname(path), codeUri);
    const isApp = typeof properties.CodeUri === 'string' && existsSync(join(appDir, 'package.json'));
    return { logicalId, codeUri, ...(isApp ? { appDir } : {}) };
  });
  const template = await transformed;
  return {
    path,
    functions,
    context: { template, eventNames: eventNames(sam), setElsewhere: setElsewhere(template) },
  };
}

/** SAM event names by the logical ids SAM generates from them, and by `<apiId> <METHOD> <path>` for Api events. */
function eventNames(sam: Template): Record<string, Record<string, string>> {
  const names: Record<string, Record<string, string>> = {};
  for (const { logicalId, properties } of serverlessFunctions(sam)) {
    const byId: Record<string, string> = {};
    for (const [name, event] of Object.entries(isRecord(properties.Events) ? properties.Events : {})) {
      if (!isRecord(event)) continue;
      byId[`${logicalId}${name}`] = name;
      const eventProperties = isRecord(event.Properties) ? event.Properties : {};
      if (event.Type === 'Api') {
        const api = isRecord(eventProperties.RestApiId)
          ? String(eventProperties.RestApiId.Ref)
          : 'ServerlessRestApi';
        byId[`${api} ${String(eventProperties.Method).toUpperCase()} ${String(eventProperties.Path)}`] = name;
      }
    }
    names[logicalId] = byId;
  }
  return names;
}

function setElsewhere(template: CfnTemplate): Record<string, string> {
  const values: Record<string, string> = {};
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const environment = resource.Properties?.Environment;
    const variables = isRecord(environment) && isRecord(environment.Variables) ? environment.Variables : {};
    for (const [name, value] of Object.entries(variables)) values[name] ??= render(value);
  }
  return values;
}

/** The outcome of a whole check. */
export interface ContractReport {
  templatePath: string;
  results: FunctionResult[];
  /** Functions whose CodeUri is not an app folder. */
  skipped: string[];
  /** Problems that stop the check as a whole (a missing build …), named per function. */
  failures: string[];
}

/**
 * Runs the contract check for a template. `code` may be given to reuse an earlier `loadAppCode` (tests
 * check many templates against the same code).
 */
export async function runContractCheck(
  templatePath: string,
  code?: Map<string, AppCode | { app: string; problem: string }>,
): Promise<ContractReport> {
  const facts = await loadTemplate(templatePath);
  const appDirs = [...new Set(facts.functions.flatMap((fn) => (fn.appDir ? [fn.appDir] : [])))];
  // From the code, not the template: a template may be checked from anywhere (tests write copies to /tmp).
  const workspaceRoot = findWorkspaceRoot(appDirs[0] ?? dirname(facts.path));
  const missing = appDirs.filter((dir) => !code?.has(dir));
  const loaded = missing.length > 0 ? await loadAppCode(missing, workspaceRoot) : new Map();
  const report: ContractReport = { templatePath: facts.path, results: [], skipped: [], failures: [] };
  for (const fn of facts.functions) {
    if (!fn.appDir) {
      report.skipped.push(`${fn.logicalId} (CodeUri ${fn.codeUri} is not an app folder)`);
      continue;
    }
    const appCode = code?.get(fn.appDir) ?? loaded.get(fn.appDir);
    if (!appCode || 'problem' in appCode) {
      report.failures.push(
        `${fn.logicalId} (${relative(workspaceRoot, fn.appDir)}): ${appCode?.problem ?? 'no code facts'}`,
      );
      continue;
    }
    report.results.push(checkFunction(fn.logicalId, appCode, facts.context));
  }
  return report;
}
