// semver as the X-Ray SDK variant was bundled before issue 19 (4b845ae's @repo/lambda-shims/xray-semver): only
// the SDK's AWS SDK v2 patcher loads it, so the old bundles carried this stand-in, not semver.
module.exports = {
  gte() {
    throw new Error('semver is not in this bundle: AWS SDK v2 clients cannot be traced (use v3 clients)');
  },
};
