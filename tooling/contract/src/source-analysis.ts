import { relative } from 'node:path';
import type {
  ArrayLiteralExpression,
  CallExpression,
  Expression,
  ImportDeclaration,
  NewExpression,
  Node,
  ObjectLiteralExpression,
  SourceFile,
} from 'typescript/unstable/ast';
import {
  isArrayLiteralExpression,
  isAsExpression,
  isCallExpression,
  isIdentifier,
  isImportDeclaration,
  isNamedImports,
  isNamespaceImport,
  isNewExpression,
  isNoSubstitutionTemplateLiteral,
  isObjectLiteralExpression,
  isParenthesizedExpression,
  isPropertyAccessExpression,
  isPropertyAssignment,
  isQualifiedName,
  isSatisfiesExpression,
  isShorthandPropertyAssignment,
  isSpreadAssignment,
  isStringLiteral,
  isVariableDeclaration,
} from 'typescript/unstable/ast/is';
import { API, type Checker, type Project, type Snapshot, SymbolFlags } from 'typescript/unstable/sync';
import type { SdkConstruction } from './sdk-commands.ts';

/** One function's bundled sources: its entry module and every repo source file esbuild took in. */
export interface AppSources {
  appDir: string;
  /** Absolute path of the entry module (`src/handler.ts`). */
  entry: string;
  /** Absolute paths of the repo's own source files in the bundle, the entry among them. */
  files: readonly string[];
}

/** What the handler module tells about the events it takes. */
export interface HandlerFacts {
  /** The entry module, relative to the workspace root. */
  entry: string;
  /**
   * `module#name` of every imported binding the module uses (`aws-lambda#SQSEvent`), and
   * `module#name.member` for member accesses (`@aws-lambda-powertools/batch#EventType.SQS`).
   */
  uses: readonly string[];
  /** The routes given to `@middy/http-router`, or why they could not be read; absent without a router. */
  routes?: readonly { method: string; path: string }[] | { underivable: string };
}

export interface AppAnalysis {
  constructions: SdkConstruction[];
  handler: HandlerFacts;
}

/** Thrown when the TypeScript API cannot analyse a file. */
export class SourceAnalysisError extends Error {
  override readonly name = 'SourceAnalysisError';
}

/**
 * Analyses every app's bundled sources with the TypeScript 7 compiler API (typescript/unstable/sync,
 * which drives the native compiler in a child process): the AWS SDK constructions in each file, resolved
 * through imports and re-exports to the package that declares them, and the handler module's event
 * facts. Each app's files are read in the program of its entry module; files outside it (plain .mjs/.cjs)
 * in an inferred project.
 */
export function analyseSources(apps: readonly AppSources[], workspaceRoot: string): Map<string, AppAnalysis> {
  const api = new API({ cwd: workspaceRoot });
  try {
    let snapshot = api.updateSnapshot({ openFiles: apps.map((app) => app.entry) });
    const outside = apps.flatMap((app) => {
      const program = projectFor(snapshot, app.entry).program;
      return app.files.filter((file) => !program.getSourceFile(file));
    });
    if (outside.length > 0) snapshot = api.updateSnapshot({ openFiles: outside });
    const results = new Map<string, AppAnalysis>();
    for (const app of apps) {
      const entryProject = projectFor(snapshot, app.entry);
      const constructions = app.files.flatMap((file) => {
        const project = entryProject.program.getSourceFile(file) ? entryProject : projectFor(snapshot, file);
        return sdkConstructions(sourceFile(project, file), project.checker, workspaceRoot);
      });
      const handler = handlerFacts(sourceFile(entryProject, app.entry), workspaceRoot);
      results.set(app.appDir, { constructions, handler });
    }
    return results;
  } finally {
    api.close();
  }
}

function projectFor(snapshot: Snapshot, file: string): Project {
  const project = snapshot.getDefaultProjectForFile(file);
  if (!project) throw new SourceAnalysisError(`TypeScript found no project for ${file}`);
  return project;
}

function sourceFile(project: Project, file: string): SourceFile {
  const source = project.program.getSourceFile(file);
  if (!source) throw new SourceAnalysisError(`TypeScript could not read ${file}`);
  return source;
}

function walk(node: Node, visit: (node: Node) => void): void {
  visit(node);
  node.forEachChild((child) => {
    walk(child, visit);
  });
}

function lineOf(source: SourceFile, node: Node): number {
  const start = node.getStart(source);
  let line = 1;
  for (let index = source.text.indexOf('\n'); index !== -1 && index < start; ) {
    line += 1;
    index = source.text.indexOf('\n', index + 1);
  }
  return line;
}

/** The npm package a declaration file belongs to (`…/node_modules/@aws-sdk/client-s3/dist-types/…`). */
export function packageOfPath(path: string): string | undefined {
  const marker = '/node_modules/';
  const at = path.lastIndexOf(marker);
  if (at === -1) return undefined;
  const [scope = '', name = ''] = path.slice(at + marker.length).split('/');
  return scope.startsWith('@') ? `${scope}/${name}` : scope;
}

// Only calls that may be paginators, waiters or `X.from(…)` are resolved (every `new` is): one round trip per file.
const sdkFunctionName = /^(paginate|waitUntil|waitFor)[A-Z]/;

function sdkConstructions(source: SourceFile, checker: Checker, workspaceRoot: string): SdkConstruction[] {
  const candidates: { node: NewExpression | CallExpression; name: Node; how: 'new' | 'call' }[] = [];
  walk(source, (node) => {
    if (isNewExpression(node)) {
      candidates.push({ node, name: calleeName(node.expression), how: 'new' });
    } else if (isCallExpression(node)) {
      const callee = node.expression;
      const name = calleeName(callee);
      if (isIdentifier(name) && sdkFunctionName.test(name.text)) candidates.push({ node, name, how: 'call' });
      // `DynamoDBDocument.from(client)` builds a client as surely as `new` does.
      if (isPropertyAccessExpression(callee) && isIdentifier(callee.name) && callee.name.text === 'from') {
        candidates.push({ node, name: calleeName(callee.expression), how: 'new' });
      }
    }
  });
  if (candidates.length === 0) return [];
  const symbols = checker.getSymbolAtLocation(candidates.map((candidate) => candidate.name));
  const found: SdkConstruction[] = [];
  candidates.forEach((candidate, index) => {
    let symbol = symbols[index];
    if (symbol && symbol.flags & SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    const packageName = packageOfPath(symbol?.declarations[0]?.path ?? '');
    if (!symbol || !packageName?.startsWith('@aws-sdk/')) return;
    // A paginator takes (configuration, input); a command its input.
    const argument = isNewExpression(candidate.node)
      ? candidate.node.arguments?.[0]
      : candidate.how === 'call'
        ? candidate.node.arguments[1]
        : undefined;
    found.push({
      how: candidate.how,
      packageName,
      name: symbol.name,
      file: relative(workspaceRoot, source.fileName),
      line: lineOf(source, candidate.node),
      ...inputShape(argument),
    });
  });
  return found;
}

function calleeName(expression: Expression): Node {
  return isPropertyAccessExpression(expression) ? expression.name : expression;
}

function unwrap(expression: Expression): Expression {
  let current = expression;
  while (isParenthesizedExpression(current) || isAsExpression(current) || isSatisfiesExpression(current)) {
    current = current.expression;
  }
  return current;
}

function inputShape(argument: Expression | undefined): Pick<SdkConstruction, 'input' | 'transactItems'> {
  if (!argument) return { input: { keys: [], complete: true } };
  const literal = unwrap(argument);
  if (!isObjectLiteralExpression(literal)) return {};
  const input = literalKeys(literal);
  const items = propertyValue(literal, 'TransactItems');
  if (!items) return { input };
  const list = unwrap(items);
  if (!isArrayLiteralExpression(list)) return { input, transactItems: { kinds: [], complete: false } };
  const kinds = new Set<string>();
  let complete = true;
  for (const element of list.elements) {
    const item = unwrap(element);
    if (!isObjectLiteralExpression(item)) {
      complete = false;
      continue;
    }
    const shape = literalKeys(item);
    complete &&= shape.complete;
    for (const key of shape.keys) kinds.add(key);
  }
  return { input, transactItems: { kinds: [...kinds], complete } };
}

function literalKeys(literal: ObjectLiteralExpression): { keys: string[]; complete: boolean } {
  const keys: string[] = [];
  let complete = true;
  for (const property of literal.properties) {
    const name = 'name' in property ? (property.name as Node | undefined) : undefined;
    if (name && (isIdentifier(name) || isStringLiteral(name))) keys.push(name.text);
    else complete = false;
  }
  return { keys, complete };
}

function propertyValue(literal: ObjectLiteralExpression, key: string): Expression | undefined {
  for (const property of literal.properties) {
    if (isPropertyAssignment(property) && nameText(property.name) === key) return property.initializer;
    if (
      isShorthandPropertyAssignment(property) &&
      isIdentifier(property.name) &&
      property.name.text === key
    ) {
      return property.name;
    }
  }
  return undefined;
}

function nameText(name: Node): string | undefined {
  return isIdentifier(name) || isStringLiteral(name) ? name.text : undefined;
}

/** Reads what the handler module imports and uses, and the routes it gives to @middy/http-router. */
function handlerFacts(source: SourceFile, workspaceRoot: string): HandlerFacts {
  const imports = new Map<string, { module: string; name: string }>();
  for (const statement of source.statements) {
    if (!isImportDeclaration(statement)) continue;
    for (const [local, binding] of importedBindings(statement)) imports.set(local, binding);
  }
  const uses = new Set<string>();
  let router: CallExpression | undefined;
  const visit = (node: Node) => {
    if (!isIdentifier(node)) return;
    const binding = imports.get(node.text);
    const parent = node.parent;
    if (!binding || (isPropertyAccessExpression(parent) && parent.name === node)) return;
    if (isPropertyAssignment(parent) && parent.name === node) return;
    if (isQualifiedName(parent) && parent.right === node) return;
    // `EventType.SQS` in code, `lambda.SQSEvent` in a type.
    const member =
      isPropertyAccessExpression(parent) && isIdentifier(parent.name)
        ? parent.name.text
        : isQualifiedName(parent) && parent.left === node
          ? parent.right.text
          : undefined;
    if (binding.name === '*') {
      if (member) uses.add(`${binding.module}#${member}`);
      return;
    }
    uses.add(`${binding.module}#${binding.name}`);
    if (member) uses.add(`${binding.module}#${binding.name}.${member}`);
    const isCallee = isCallExpression(parent) && parent.expression === node;
    if (`${binding.module}#${binding.name}` === '@middy/http-router#default' && isCallee) router = parent;
  };
  for (const statement of source.statements) {
    if (!isImportDeclaration(statement)) walk(statement, visit);
  }
  const entry = relative(workspaceRoot, source.fileName);
  return { entry, uses: [...uses].sort(), ...(router ? { routes: routesOf(router, source) } : {}) };
}

function importedBindings(declaration: ImportDeclaration): [string, { module: string; name: string }][] {
  const module = isStringLiteral(declaration.moduleSpecifier) ? declaration.moduleSpecifier.text : '';
  const clause = declaration.importClause;
  if (!clause) return [];
  const bindings: [string, { module: string; name: string }][] = [];
  if (clause.name) bindings.push([clause.name.text, { module, name: 'default' }]);
  const named = clause.namedBindings;
  if (named && isNamespaceImport(named)) bindings.push([named.name.text, { module, name: '*' }]);
  if (named && isNamedImports(named)) {
    for (const element of named.elements) {
      const imported = element.propertyName ? nameText(element.propertyName) : element.name.text;
      bindings.push([element.name.text, { module, name: imported ?? element.name.text }]);
    }
  }
  return bindings;
}

/** The `{ method, path }` literals of the routes array given to the router, directly or through a const. */
function routesOf(router: CallExpression, source: SourceFile): HandlerFacts['routes'] {
  const [argument] = router.arguments;
  if (!argument) return { underivable: 'the router is called without routes' };
  let routes = unwrap(argument);
  if (isObjectLiteralExpression(routes)) {
    const value = propertyValue(routes, 'routes');
    if (!value) return { underivable: 'the router options have no routes property' };
    routes = unwrap(value);
  }
  if (isIdentifier(routes)) {
    const name = routes.text;
    const declarations: Expression[] = [];
    walk(source, (node) => {
      if (
        isVariableDeclaration(node) &&
        isIdentifier(node.name) &&
        node.name.text === name &&
        node.initializer
      ) {
        declarations.push(node.initializer);
      }
    });
    const [only] = declarations;
    if (declarations.length !== 1 || !only) {
      return { underivable: `${name} is not one const declared in ${source.fileName}` };
    }
    routes = unwrap(only);
  }
  if (!isArrayLiteralExpression(routes)) return { underivable: 'the routes are not an array literal' };
  return routeLiterals(routes);
}

function routeLiterals(routes: ArrayLiteralExpression): HandlerFacts['routes'] {
  const found: { method: string; path: string }[] = [];
  for (const element of routes.elements) {
    const route = unwrap(element);
    if (isSpreadAssignment(route) || !isObjectLiteralExpression(route)) {
      return { underivable: 'a route is not an object literal' };
    }
    const method = stringValue(propertyValue(route, 'method'));
    const path = stringValue(propertyValue(route, 'path'));
    if (method === undefined || path === undefined) {
      return { underivable: 'a route has no string-literal method and path' };
    }
    found.push({ method: method.toUpperCase(), path });
  }
  return found;
}

function stringValue(expression: Expression | undefined): string | undefined {
  if (!expression) return undefined;
  const value = unwrap(expression);
  return isStringLiteral(value) || isNoSubstitutionTemplateLiteral(value) ? value.text : undefined;
}
