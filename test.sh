#!/usr/bin/env bash
# test.sh: every test of the project, on a fresh Debian machine.
#
# Installs the reference server and tools (Debian's redis-server and
# redis-tools) if they are missing: the differential tests compare Redoubt
# with the real redis-server and fail without it. Then checks formatting
# and vet, runs all tests (twice: on the epoll and on the portable network
# path), builds for macOS, Windows and FreeBSD, and runs the race detector
# on the packages where goroutines meet, and each fuzz target briefly.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null || ! command -v redis-benchmark >/dev/null; then
    echo "== installing the reference redis-server and redis-tools"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server redis-tools >/dev/null
fi
redis-server --version

echo "== gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
    echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...

echo "== tests"
go test -count=1 ./...

# The portable network path (io-poller portable: Go's own poller, what
# platforms without epoll use) serves every test a second time.
echo "== tests on the portable network path"
REDOUBT_IO_POLLER=portable go test -count=1 ./...

# The server builds, and its tests compile, for the platforms developers
# embed it on.
echo "== other platforms: build and vet"
for target in darwin/arm64 windows/amd64 freebsd/amd64; do
    GOOS=${target%/*} GOARCH=${target#*/} go vet ./...
done

echo "== race detector on the concurrent packages"
go test -count=1 -race ./server/ ./snapshot/ ./engine/ ./aof/ ./datadir/ ./internal/... ./types/list/ ./types/stream/ ./redoubttest/ .

# Each fuzz target also runs a few seconds' worth of new inputs (beyond
# its seeds, which the tests above run): for longer runs, raise FUZZTIME.
# A count, not a duration: Go 1.26's fuzzing coordinator can fail a
# duration-bounded run with "context deadline exceeded" and no failing
# input when the deadline races a busy worker (go.dev/issue/75804).
echo "== short fuzz runs"
fuzztime=${FUZZTIME:-20000x}
for target in ./protocol:FuzzParser ./rdb:FuzzDecoder ./rdb:FuzzLZF ./listpack:FuzzValidate \
    ./intset:FuzzValidate ./types/hll:FuzzValue ./keys:FuzzRestore ./snapshot:FuzzRead \
    ./types/stream:FuzzStreamRestore ./aof:FuzzReader ./ziplist:FuzzZiplist ./zipmap:FuzzZipmap \
    ./script/lualib/cjson:FuzzDecode ./script/lualib/cmsgpack:FuzzUnpack ./script/lualib/luastruct:FuzzUnpack \
    ./repl:FuzzPayload ./protocol:FuzzPeekKeys; do
    out=$(go test -run XXX -fuzz "^${target#*:}\$" -fuzztime "$fuzztime" "${target%%:*}" 2>&1) ||
        { echo "$out"; exit 1; }
done

echo "== all tests passed"
