#!/usr/bin/env bash
# Build the action's container image without a Docker engine and run it the way GitHub Actions does.
#
#   sudo scripts/container_smoke.sh
#
# Needs root, buildah, debootstrap, git and python3 (Debian: apt-get install buildah debootstrap git), and
# network access to a Debian mirror and to the Python package index. Storage is vfs and isolation is
# chroot, so it works inside an unprivileged CI container without fuse-overlayfs, runc or user
# namespaces.
#
# 1. Base image localhost/bookworm-python (debootstrap bookworm + python3, python3-venv, git,
#    ca-certificates): reused when present, else built from ${DEBIAN_MIRROR} (default: this
#    machine's Debian mirror from /etc/apt/sources.list*, else http://deb.debian.org/debian).
# 2. localhost/slo-gate:smoke from ./Dockerfile on that base. The host CA bundle is mounted into the
#    build and named with PIP_CERT, so pip works behind a TLS-intercepting proxy; PIP_INDEX_URL,
#    PIP_EXTRA_INDEX_URL and PIP_TRUSTED_HOST are passed through when set (the index must be
#    reachable from inside the build: http(s), not file://). pip config files are not used.
# 3. Runs the image's ENTRYPOINT with a runner-like environment on the demo policies and snapshot,
#    in a git workspace owned by another uid (as on a runner), so git and safe.directory are
#    exercised. Exit 0/1 is a decision; anything else fails the smoke test.
#
# Images are kept for reuse; the working container and the scratch workspace are removed.
# Env: DEBIAN_MIRROR, SLO_GATE_SMOKE_BASE (default localhost/bookworm-python),
#      SLO_GATE_SMOKE_IMAGE (default localhost/slo-gate:smoke), STORAGE_DRIVER (default vfs;
#      overlay is several times faster where the kernel allows it, but the images then live apart),
#      SLO_GATE_SMOKE_ARTIFACTS=DIR (copy the runner files: GITHUB_OUTPUT as output, the step
#      summary as summary, each run's stdout/stderr).
# No --layers: with vfs every cached layer is a full copy of the root file system, which made the
# build 4x slower (about 60 s instead of 14 s) and left 1 GB of cache images per source change.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'container smoke: %s\n' "$*"; }
die() {
  printf 'container smoke: FAILED: %s\n' "$*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (buildah with vfs storage and chroot isolation)"
for tool in buildah debootstrap git python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (Debian: apt-get install buildah debootstrap git)"
done

export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs} BUILDAH_ISOLATION=chroot
# buildah 1.28 (Debian bookworm) ignores STORAGE_DRIVER when a storage.conf names a driver (Debian's
# /usr/share/containers/storage.conf says overlay), so pass it as the global flag too.
buildah() { command buildah --storage-driver "$STORAGE_DRIVER" "$@"; }

# One run at a time per machine: two at once would both debootstrap and fight over the tags.
mkdir -p /run/lock
exec 9>/run/lock/slo-gate-container-smoke.lock
flock -n 9 || {
  log "waiting for another smoke run on this machine"
  flock 9
}

base_image=${SLO_GATE_SMOKE_BASE:-localhost/bookworm-python}
image=${SLO_GATE_SMOKE_IMAGE:-localhost/slo-gate:smoke}
ca_bundle=/etc/ssl/certs/ca-certificates.crt

ctr=""
rootfs=""
workspace=""
runner_temp=""
cleanup() {
  if [ -n "$ctr" ]; then buildah rm "$ctr" >/dev/null 2>&1 || true; fi
  if [ -n "$rootfs" ]; then rm -rf "$rootfs" "$rootfs.log"; fi
  if [ -n "$workspace" ]; then rm -rf "$workspace"; fi
  if [ -n "$runner_temp" ]; then rm -rf "$runner_temp"; fi
}
trap cleanup EXIT

# The first Debian (not security, not Ubuntu) mirror this machine's apt uses.
default_mirror() {
  local files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
  local found
  found=$(grep -h -s -v '^[[:space:]]*#' "${files[@]}" |
    grep -o -E 'https?://[^[:space:]]+/debian/?([[:space:]]|$)' |
    head -n 1 | tr -d '[:space:]' || true)
  printf '%s\n' "${found:-http://deb.debian.org/debian}"
}

# ---- 1. base image ------------------------------------------------------------------------------
if [ -n "$(buildah images -q "$base_image" 2>/dev/null)" ]; then
  base_note="reused"
  log "base $base_image: reused"
else
  mirror=${DEBIAN_MIRROR:-$(default_mirror)}
  log "base $base_image: debootstrap bookworm from $mirror"
  start=$SECONDS
  rootfs=$(mktemp -d /var/tmp/bookworm-python.XXXXXX)
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,git \
    bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
    tail -n 30 "$rootfs.log" >&2
    rm -f "$rootfs.log"
    die "debootstrap failed"
  }
  rm -f "$rootfs.log"
  # Like debian:bookworm-slim: no downloaded packages, package lists, docs, man pages or translations
  # (and dpkg skips them from now on); copyright files stay. Every path is checked to be inside the
  # new root before anything is removed.
  if [ ! -x "$rootfs/usr/bin/python3" ] || [ "$rootfs" = "/" ]; then die "debootstrap left no python3 in $rootfs"; fi
  rm -rf "${rootfs:?}"/var/cache/apt/archives/*.deb "${rootfs:?}"/var/lib/apt/lists/* "${rootfs:?}"/debootstrap
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    >"$rootfs/etc/dpkg/dpkg.cfg.d/slim"
  find "${rootfs:?}/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "${rootfs:?}/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "${rootfs:?}"/usr/share/man/* "${rootfs:?}"/usr/share/info/* "${rootfs:?}"/usr/share/locale/*
  ctr=$(buildah from scratch)
  mnt=$(buildah mount "$ctr")
  cp -a "$rootfs/." "$mnt/"
  buildah umount "$ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --cmd /bin/bash "$ctr"
  buildah commit --quiet --rm "$ctr" "$base_image" >/dev/null
  ctr=""
  rm -rf "$rootfs"
  rootfs=""
  base_seconds=$((SECONDS - start))
  base_note="built in ${base_seconds}s"
  log "base $base_image: built in ${base_seconds}s"
fi

# ---- 2. the action's image ----------------------------------------------------------------------
build_args=(--build-arg "BASE_IMAGE=$base_image")
build_mounts=()
if [ -f "$ca_bundle" ]; then
  build_mounts=(-v "$ca_bundle:$ca_bundle:ro")
  build_args+=(--build-arg "PIP_CERT=$ca_bundle")
fi
for var in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST; do
  if [ -n "${!var:-}" ]; then
    build_args+=(--build-arg "$var=${!var}")
    log "passing $var to the build"
  fi
done

old_id=$(buildah images -q --no-trunc "$image" 2>/dev/null || true)
log "building $image"
start=$SECONDS
build_log=$(mktemp)
if ! buildah bud --quiet "${build_mounts[@]}" "${build_args[@]}" \
  -f Dockerfile -t "$image" . >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  rm -f "$build_log"
  die "buildah bud failed"
fi
rm -f "$build_log"
build_seconds=$((SECONDS - start))
new_id=$(buildah images -q --no-trunc "$image")
# A rebuild leaves the previous image untagged; with vfs every image is a full copy, so drop it.
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  buildah rmi "$old_id" >/dev/null 2>&1 || true
fi
size=$(buildah images --format '{{.Size}}' "$image" | head -n 1)
log "built $image in ${build_seconds}s, size $size"

# ---- 3. run it like Actions ---------------------------------------------------------------------
start=$SECONDS
# buildah run runs the given command, not the image's ENTRYPOINT: read it (.OCIv1.config.Entrypoint).
mapfile -t entrypoint < <(buildah inspect --type image "$image" |
  python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin)["OCIv1"]["config"].get("Entrypoint") or []))')
[ "${#entrypoint[@]}" -gt 0 ] || die "the image has no ENTRYPOINT"
log "entrypoint: ${entrypoint[*]}"

# The workspace: a git repo with the demo policies and snapshot (one commit) and a change (a second),
# plus the runner's files (event payload, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) in an untracked folder.
workspace=$(mktemp -d /var/tmp/slo-gate-smoke.XXXXXX)
mkdir -p "$workspace/policies" "$workspace/_runner"
cp gate/data/demo/policies/*.yaml "$workspace/policies/"
cp gate/data/demo/snapshot.json "$workspace/snapshot.json"
cp tests/data/github-webhooks/workflow_dispatch.payload.json "$workspace/_runner/event.json"
git_ws() { git -C "$workspace" -c user.name=smoke -c user.email=smoke@example.invalid -c commit.gpgsign=false "$@"; }
git_ws init -q -b main
git_ws add policies snapshot.json
git_ws commit -q -m "demo policies and snapshot"
base_sha=$(git_ws rev-parse HEAD)
mkdir -p "$workspace/services/checkout"
printf 'def handler(request):\n    return {"status": "ok"}\n' >"$workspace/services/checkout/handler.py"
git_ws add services
git_ws commit -q -m "checkout: add a handler"
head_sha=$(git_ws rev-parse HEAD)
# The runner's temp folder: a Docker action gets $RUNNER_TEMP's host path in its environment but only
# $RUNNER_TEMP/_github_home mounted (as /github/home); the JSON report must land there, not in the workspace.
runner_temp=$(mktemp -d /var/tmp/slo-gate-smoke-temp.XXXXXX)
mkdir -p "$runner_temp/_github_home"
# On a runner the workspace belongs to the runner's user (uid 1001), not to the container's root:
# git refuses such a repo unless safe.directory lists it.
chown -R 1001:1001 "$workspace" "$runner_temp"

ctr=$(buildah from --quiet "$image")

gh=/github/workspace
runner_env=(
  -e GITHUB_ACTIONS=true
  -e CI=true
  -e HOME=/github/home
  -e RUNNER_TEMP=/home/runner/work/_temp
  -e GITHUB_WORKSPACE="$gh"
  -e GITHUB_EVENT_NAME=workflow_dispatch
  -e GITHUB_EVENT_PATH="$gh/_runner/event.json"
  -e GITHUB_REPOSITORY=octo-org/slo-gate-smoke
  -e GITHUB_RUN_ID=4242
  -e GITHUB_RUN_ATTEMPT=1
  -e GITHUB_SHA="$head_sha"
  -e GITHUB_REF=refs/heads/main
  -e SLO_GATE_POLICY="$gh/policies"
  -e SLO_GATE_METRICS_SNAPSHOT="$gh/snapshot.json"
  -e SLO_GATE_AUDIT=none
  -e SLO_GATE_NO_LLM=true
  -e SLO_GATE_RISK=low
)

# run NAME [buildah-run options...] -- COMMAND...: stdout/stderr in $workspace/_runner/NAME.{out,err}.
run() {
  local name=$1
  shift
  local opts=()
  while [ "$1" != "--" ]; do
    opts+=("$1")
    shift
  done
  shift
  buildah run --workingdir "$gh" -v "$workspace:$gh" -v "$runner_temp/_github_home:/github/home" \
    "${opts[@]}" "$ctr" -- "$@" \
    >"$workspace/_runner/$name.out" 2>"$workspace/_runner/$name.err"
}

show() { sed 's/^/    /' "$1"; }

# The gate's outcome must be a decision (0 pass/warn, 1 fail), never 2 (bad input) or 3+ (a crash).
check_gate() {
  local name=$1 rc=$2
  log "$name: exit $rc"
  show "$workspace/_runner/$name.out"
  # buildah run adds its own lines about a non-zero exit to stderr; only the gate's are of interest.
  grep -v -E '^(subprocess exited with status|Error: exit status) [0-9]+$' "$workspace/_runner/$name.err" \
    >"$workspace/_runner/$name.stderr" || true
  if [ -s "$workspace/_runner/$name.stderr" ]; then
    log "$name: stderr"
    show "$workspace/_runner/$name.stderr"
  fi
  [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || die "$name: exit $rc is not a decision (0 or 1)"
  grep -q 'overall:' "$workspace/_runner/$name.out" || die "$name: no 'overall:' line on stdout"
}

rc=0
run version -- "${entrypoint[0]}" --version || rc=$?
[ "$rc" -eq 0 ] || { show "$workspace/_runner/version.err"; die "--version: exit $rc"; }
log "--version: $(cat "$workspace/_runner/version.out")"
grep -q 'version' "$workspace/_runner/version.out" || die "--version printed no version"

for help in top check; do
  args=("${entrypoint[0]}" --help)
  [ "$help" = check ] && args=("${entrypoint[@]}" --help)
  rc=0
  run "help-$help" -- "${args[@]}" || rc=$?
  [ "$rc" -eq 0 ] || { show "$workspace/_runner/help-$help.err"; die "${args[*]}: exit $rc"; }
  grep -q 'Usage:' "$workspace/_runner/help-$help.out" || die "${args[*]}: no usage text"
  log "${args[*]}: ok"
done

# git inside the image trusts the workspace through the system safe.directory entry, and only
# through it (with the system config ignored, git must refuse the foreign-owned repo).
rc=0
run git-trusted -- git -C "$gh" rev-parse HEAD || rc=$?
[ "$rc" -eq 0 ] || { show "$workspace/_runner/git-trusted.err"; die "git in the image refuses $gh"; }
[ "$(cat "$workspace/_runner/git-trusted.out")" = "$head_sha" ] || die "git in the image sees another HEAD"
rc=0
run git-untrusted -e GIT_CONFIG_NOSYSTEM=1 -- git -C "$gh" rev-parse HEAD || rc=$?
if [ "$rc" -ne 0 ] && grep -q 'dubious ownership' "$workspace/_runner/git-untrusted.err"; then
  log "git: $gh trusted through the image's safe.directory (refused without it)"
else
  log "warning: git accepted $gh without safe.directory; the ownership check was not exercised"
fi

# A deploy gate on workflow_dispatch, as the action runs it: no diff, declared risk.
: >"$workspace/_runner/output"
: >"$workspace/_runner/summary"
chown 1001:1001 "$workspace/_runner/output" "$workspace/_runner/summary"
rc=0
run gate "${runner_env[@]}" -e GITHUB_OUTPUT="$gh/_runner/output" \
  -e GITHUB_STEP_SUMMARY="$gh/_runner/summary" -- "${entrypoint[@]}" || rc=$?
check_gate gate "$rc"
# The report this run wrote under the runner's temp home (the next run writes the same path).
cp "$runner_temp/_github_home/slo-gate-report.json" "$workspace/_runner/report.json" ||
  die "gate: no report under \$RUNNER_TEMP/_github_home"
for file in output summary; do
  if [ -s "$workspace/_runner/$file" ]; then
    log "GITHUB_$([ $file = output ] && echo OUTPUT || echo STEP_SUMMARY) written by the gate:"
    show "$workspace/_runner/$file"
  else
    log "GITHUB_$([ $file = output ] && echo OUTPUT || echo STEP_SUMMARY): not written"
  fi
done

# The change as git sees it: the gate runs git diff BASE...HEAD in the foreign-owned workspace.
: >"$workspace/_runner/output-diff"
rc=0
run gate-diff "${runner_env[@]}" -e GITHUB_OUTPUT="$gh/_runner/output-diff" \
  -e SLO_GATE_BASE="$base_sha" -e SLO_GATE_HEAD="$head_sha" -- "${entrypoint[@]}" || rc=$?
check_gate gate-diff "$rc"

run_seconds=$((SECONDS - start))
log "runs: ${run_seconds}s"

# Hand the outputs to the caller (tests/test_container.py) before the workspace goes.
if [ -n "${SLO_GATE_SMOKE_ARTIFACTS:-}" ]; then
  mkdir -p "$SLO_GATE_SMOKE_ARTIFACTS"
  cp "$workspace"/_runner/* "$SLO_GATE_SMOKE_ARTIFACTS/"
  [ ! -e "$workspace/slo-gate-report.json" ] || die "the report was written into the workspace"
fi

buildah rm "$ctr" >/dev/null
ctr=""
echo "container smoke: ok, base $base_note, build ${build_seconds}s, image $size"
