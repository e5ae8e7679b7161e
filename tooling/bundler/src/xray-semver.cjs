// The X-Ray SDK (under Powertools' tracer) loads semver, 29 KB minified, only to check the version of an
// AWS SDK v2 client handed to captureAWS. This repo traces SDK v3 clients only, so the check can never
// run; bundleLambda refuses the build if anything else imports semver.
module.exports = {
  gte() {
    throw new Error('semver is not in this bundle: AWS SDK v2 clients cannot be traced (use v3 clients)');
  },
};
