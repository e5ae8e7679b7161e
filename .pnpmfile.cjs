// The repository's Node.js version is written once, in .node-version (which nvm, fnm and
// actions/setup-node read too). @repo/node (tooling/node) names it as `@.node-version`; this hook puts
// the version there before pnpm resolves anything, so the node-linux-* packages always follow the file.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const version = readFileSync(join(__dirname, '.node-version'), 'utf8').trim();

function readPackage(manifest) {
  for (const field of ['dependencies', 'optionalDependencies', 'devDependencies']) {
    for (const [name, spec] of Object.entries(manifest[field] ?? {})) {
      if (typeof spec === 'string' && spec.endsWith('@.node-version')) {
        manifest[field][name] = `${spec.slice(0, -'.node-version'.length)}${version}`;
      }
    }
  }
  return manifest;
}

module.exports = { hooks: { readPackage } };
