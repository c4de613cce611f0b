#!/usr/bin/env bash
# Puts the web page's JSON-schema form library (@json-editor/json-editor, vanilla JS) at $1 (default: the package's
# static/vendor/jsoneditor.js, served at /static/vendor/jsoneditor.js). It comes from npm, checked by its SHA-256,
# and is not kept in git. npm_member (npm-pack.sh) fetches it.
set -euo pipefail
target=${1:-coordinator/src/nwbstream/coordinator/web/static/vendor/jsoneditor.js}
package=@json-editor/json-editor@2.17.2
jsoneditor_sha256=c7a7278bf93d75e3de8b02a914ed36bd879a3e76105a87b6aa286a5a7885f4fc

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/npm-pack.sh"
npm_member "$package" package/dist/jsoneditor.js "$work"
echo "$jsoneditor_sha256  $work/package/dist/jsoneditor.js" | sha256sum --check --quiet
mkdir -p "$(dirname "$target")"
install -m 0644 "$work/package/dist/jsoneditor.js" "$target"
