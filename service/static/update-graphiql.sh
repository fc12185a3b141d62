#!/usr/bin/env bash
# Vendors the files Strawberry's GraphiQL page loads from unpkg, so that GraphiQL works
# on networks without internet access. Run after upgrading strawberry-graphql (a test
# fails when its page asks for a file that is not here):
#   bash service/static/update-graphiql.sh
# Files are taken from the npm registry at the exact versions the page names; the page's
# subresource-integrity hashes still apply to them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-$here/../../.venv/bin/python}"
page="$("$python" -c 'import strawberry, pathlib; print(pathlib.Path(strawberry.__file__).parent / "static" / "graphiql.html")')"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$here/unpkg"
grep -o 'https://unpkg.com/[^"]*' "$page" | sort -u | while read -r url; do
  path="${url#https://unpkg.com/}"            # e.g. @graphiql/plugin-explorer@1.0.2/dist/style.css
  spec="${path%%/*}"; rest="${path#*/}"
  if [[ "$spec" == @* ]]; then spec="$spec/${rest%%/*}"; rest="${rest#*/}"; fi
  dir="$tmp/$(echo "$spec" | tr '/@' '__')"
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
  fi
  mkdir -p "$here/unpkg/$(dirname "$path")"
  cp "$dir/package/$rest" "$here/unpkg/$path"
  echo "vendored $path"
done
