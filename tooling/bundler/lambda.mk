# Shared by every function's Makefile (template.yaml: BuildMethod: makefile). `sam build` runs
# `make build-<LogicalId>` in the app folder with ARTIFACTS_DIR set (samconfig.toml: build_in_source).
# The including Makefile sets APP (its folder under apps/) and makes build-<LogicalId> depend on
# lambda-bundle, or on lambda-sharp when the function needs sharp.
LAMBDA_MK_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
ROOT_DIR := $(abspath $(LAMBDA_MK_DIR)/../..)
APP_DIR := $(ROOT_DIR)/apps/$(APP)
# The repository's own Node.js (.node-version, tooling/node): sam build runs make outside pnpm, so the
# workspace's node_modules/.bin is not on PATH here.
NODE := $(ROOT_DIR)/node_modules/.bin/node

# Must equal the function's Architectures in template.yaml (SAM does not tell make); the template test
# compares them through `make print-arch`. Lambda's names: arm64 | x86_64.
LAMBDA_ARCH ?= arm64
NODE_CPU := $(if $(filter arm64,$(LAMBDA_ARCH)),arm64,$(if $(filter x86_64,$(LAMBDA_ARCH)),x64))
# Must equal the function's Runtime in template.yaml (Globals) — compared by the template test through
# `make print-runtime`: the artifact's compile cache is made by that runtime's Node.js (compile-cache.mjs).
LAMBDA_RUNTIME ?= nodejs24.x

lambda-check:
	@test -n "$(ARTIFACTS_DIR)" || { echo "error: ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 1; }

# Bundled straight into the artifact (shared packages come from the workspace's source), with Node's
# compile cache for the bundle. It never touches apps/<app>/dist, which `pnpm build` owns and other tasks
# may be reading while sam build runs.
lambda-bundle: lambda-check
	@test -n "$(NODE_CPU)" || { echo "error: LAMBDA_ARCH must be arm64 or x86_64, not '$(LAMBDA_ARCH)'" >&2; exit 1; }
	cd "$(APP_DIR)" && "$(NODE)" "$(LAMBDA_MK_DIR)/bin/bundle-lambda.mjs" --artifact "$(ARTIFACTS_DIR)" --runtime $(LAMBDA_RUNTIME) --arch $(NODE_CPU)

# sharp is native and stays out of the bundle: copied into the artifact for this architecture only.
lambda-sharp: lambda-bundle
	"$(NODE)" "$(LAMBDA_MK_DIR)/bin/install-sharp.mjs" --app "$(APP_DIR)" --cpu $(NODE_CPU) "$(ARTIFACTS_DIR)"

print-arch:
	@echo $(LAMBDA_ARCH)

print-runtime:
	@echo $(LAMBDA_RUNTIME)

.PHONY: lambda-check lambda-bundle lambda-sharp print-arch print-runtime
