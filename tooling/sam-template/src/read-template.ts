import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type CollectionTag, Pair, parseDocument, Scalar, type ScalarTag, YAMLMap, type YAMLSeq } from 'yaml';
import { isRecord } from './template-values.ts';

/** One entry under `Resources`. */
export interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/** A SAM/CloudFormation template, with every short-form intrinsic in its long (JSON) form. */
export interface Template {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Transform?: string | string[];
  Parameters?: Record<string, Record<string, unknown>>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
  Globals?: Record<string, Record<string, unknown>>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, Record<string, unknown>>;
}

/** An `AWS::Serverless::Function` with its Properties merged over `Globals.Function`. */
export interface ServerlessFunction {
  logicalId: string;
  properties: Record<string, unknown>;
}

/** Thrown when a template cannot be found or read, or is not a template. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const intrinsics = {
  Ref: 'Ref',
  Condition: 'Condition',
  GetAtt: 'Fn::GetAtt',
  Sub: 'Fn::Sub',
  If: 'Fn::If',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  FindInMap: 'Fn::FindInMap',
  GetAZs: 'Fn::GetAZs',
  ImportValue: 'Fn::ImportValue',
  Base64: 'Fn::Base64',
  Cidr: 'Fn::Cidr',
  Transform: 'Fn::Transform',
};

// Every short form is accepted on a scalar, a sequence and a map (`!Base64 { Fn::Sub: ... }`); which
// shapes a function takes is CloudFormation's (and cfn-lint's) business.
const customTags = Object.entries(intrinsics).flatMap(([short, long]): (ScalarTag | CollectionTag)[] => [
  {
    tag: `!${short}`,
    resolve: (value: string) => ({ [long]: short === 'GetAtt' ? splitGetAtt(value) : value }),
  },
  ...(['seq', 'map'] as const).map((collection) => ({
    tag: `!${short}`,
    collection,
    // Returned as a node, not plain data, so that aliases inside resolve with the rest of the document.
    resolve: (node: YAMLMap.Parsed | YAMLSeq.Parsed) => wrap(long, node),
  })),
]);

function wrap(key: string, node: YAMLMap.Parsed | YAMLSeq.Parsed): YAMLMap {
  const map = new YAMLMap();
  map.items.push(new Pair(new Scalar(key), node));
  return map;
}

// `!GetAtt Table.StreamArn`; attribute names may hold dots themselves (`Endpoint.Address`).
function splitGetAtt(value: string): [string, string] {
  const dot = value.indexOf('.');
  if (dot < 1 || dot === value.length - 1)
    throw new Error(`!GetAtt ${value} is not of the form Resource.Attribute`);
  return [value.slice(0, dot), value.slice(dot + 1)];
}

/** Parses a template's YAML, turning `!Ref X` into `{ Ref: 'X' }`, `!Sub s` into `{ 'Fn::Sub': s }` etc. */
export function parseTemplate(text: string, source = 'template'): Template {
  const document = parseDocument(text, { customTags, prettyErrors: true });
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem) throw new TemplateError(`Cannot parse ${source}: ${problem.message}`, { cause: problem });
  const template: unknown = document.toJS();
  if (!isRecord(template) || !isRecord(template.Resources) || Object.keys(template.Resources).length === 0) {
    throw new TemplateError(`${source} has no Resources`);
  }
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (!isRecord(resource) || typeof resource.Type !== 'string') {
      throw new TemplateError(`${source}: resource ${logicalId} has no Type`);
    }
  }
  return template as unknown as Template;
}

/** The folder holding `pnpm-workspace.yaml`, looking from `from` upwards. */
export function findWorkspaceRoot(from = process.cwd()): string {
  for (let folder = resolve(from); ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'pnpm-workspace.yaml'))) return folder;
    if (dirname(folder) === folder) throw new TemplateError(`No pnpm-workspace.yaml in ${from} or above`);
  }
}

/** Reads and parses a template; by default the workspace root's `template.yaml`. */
export function readTemplate(path = join(findWorkspaceRoot(), 'template.yaml')): Template {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new TemplateError(`Cannot read ${path}`, { cause });
  }
  return parseTemplate(text, path);
}

/** Every `AWS::Serverless::Function`, its Properties merged over `Globals.Function` as SAM merges them. */
export function serverlessFunctions(template: Template): ServerlessFunction[] {
  const globals = template.Globals?.Function ?? {};
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Serverless::Function')
    .map(([logicalId, resource]) => ({
      logicalId,
      properties: mergeOverGlobal(globals, resource.Properties ?? {}) as Record<string, unknown>,
    }));
}

// SAM's rules: lists concatenate (global first), maps merge key by key, anything else (scalars,
// intrinsics, mismatched kinds) is the function's own.
function mergeOverGlobal(global: unknown, local: unknown): unknown {
  if (Array.isArray(global) && Array.isArray(local)) return [...global, ...local];
  if (!isPlainMap(global) || !isPlainMap(local)) return local;
  const merged = { ...global };
  for (const [key, value] of Object.entries(local)) {
    merged[key] = key in global ? mergeOverGlobal(global[key], value) : value;
  }
  return merged;
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) return false;
  const keys = Object.keys(value);
  const intrinsic = keys.length === 1 && /^(Ref|Condition|Fn::.+)$/.test(keys[0] ?? '');
  return !intrinsic;
}
