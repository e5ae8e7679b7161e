// Stands in for semver inside Lambda bundles: only the X-Ray SDK's AWS SDK v2 check loads it (README.md).
module.exports = {
  gte() {
    throw new Error('semver is not in this bundle: AWS SDK v2 clients cannot be traced (use v3 clients)');
  },
};
