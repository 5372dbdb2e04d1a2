#!/usr/bin/env bash
# Builds a stand-in for the `node:20-bookworm-slim` image from Debian packages and this machine's own Node,
# for machines that can run Docker but reach no image registry (see deploy/README.md, "Testing the image").
# Where Docker Hub is reachable, do not run this: `docker build` pulls the real image.
#
#   1. debootstrap --variant=minbase bookworm from the Debian mirror apt already uses → local/debian:bookworm
#      (skipped when that image exists; about 3.5 minutes)
#   2. node:20-bookworm-slim FROM it: this machine's node binary and npm under /usr/local, user node (uid 1000,
#      as in the real image), and the local CA bundle trusted through NODE_EXTRA_CA_CERTS, because TLS to the
#      npm registry is re-signed by local CAs here. Only the stand-in trusts them; the project's Dockerfile
#      has no such line.
#
# Needs root and a running daemon (DOCKER_HOST). Environment:
#   DOCKER          docker CLI (default /usr/bin/docker: the Debian one; the first on PATH may lack parts)
#   WORK            scratch folder (default /tmp/lengua-docker/base)
#   DEBIAN_MIRROR   mirror for debootstrap (default: the first bookworm source of apt)
#   EXTRA_CA        CA bundle the stand-in trusts (default $NODE_EXTRA_CA_CERTS, else the system bundle)
set -euo pipefail

DOCKER=${DOCKER:-/usr/bin/docker}
WORK=${WORK:-/tmp/lengua-docker/base}
export DOCKER_BUILDKIT=0 # the legacy builder: BuildKit would reach for a registry (and needs buildx)

die() { echo "container-base: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap and the docker daemon)"
"$DOCKER" info >/dev/null 2>&1 || die "no docker daemon at ${DOCKER_HOST:-the default socket}: start dockerd and set DOCKER_HOST"

# The first bookworm source of apt, one-line (sources.list) or deb822 (*.sources) format.
apt_mirror() {
  local uri
  uri=$(sed -E 's/\[[^]]*\]//' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
      awk '/^$/ { u = "" } /^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm" && u != "") { print u; exit } }')
  fi
  echo "$uri"
}

if ! "$DOCKER" image inspect local/debian:bookworm >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
  mirror=${DEBIAN_MIRROR:-$(apt_mirror)}
  [ -n "$mirror" ] || die "no bookworm source in /etc/apt/sources.list*; set DEBIAN_MIRROR"
  rootfs="$WORK/rootfs"
  rm -rf "$rootfs"
  mkdir -p "$rootfs"
  echo "container-base: debootstrap minbase bookworm from $mirror" >&2
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $WORK/debootstrap.log"
  # Package lists and caches are not part of an image (the real slim image drops them too).
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | "$DOCKER" import - local/debian:bookworm >/dev/null
  rm -rf "$rootfs"
fi

node_bin=$(readlink -f "$(command -v node)")
npm_root=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")") # …/node_modules/npm/bin/npm-cli.js → …/npm
major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
[ "$major" = 20 ] || die "this machine's node is $("$node_bin" --version); the stand-in must be Node 20"
ca=${EXTRA_CA:-${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}}
[ -r "$ca" ] || die "no CA bundle at $ca; set EXTRA_CA"

ctx="$WORK/standin"
rm -rf "$ctx"
mkdir -p "$ctx"
cp "$node_bin" "$ctx/node"
cp -a "$npm_root" "$ctx/npm"
cp "$ca" "$ctx/extra-ca.pem"
cat >"$ctx/Dockerfile" <<'EOF'
FROM local/debian:bookworm
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY extra-ca.pem /usr/local/share/lengua-standin/extra-ca.pem
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/lengua-standin/extra-ca.pem
LABEL org.opencontainers.image.description="Lengua stand-in for node:20-bookworm-slim (scripts/container-base.sh)"
CMD ["node"]
EOF
"$DOCKER" build -q -t node:20-bookworm-slim "$ctx" >/dev/null
rm -rf "$ctx"
echo "container-base: node:20-bookworm-slim built ($("$DOCKER" run --rm node:20-bookworm-slim node --version))" >&2
