#!/usr/bin/env bash
# Gradescope autograder setup (built by ./lab gradescope): Gradescope runs
# this once, as root, when it builds the autograder image.
#
# Installs the Debian packages the course needs (./lab does, with apt-get;
# Debian and Ubuntu base images), then grades the skeleton once as a
# submission, in the staging directory run_autograder uses, so that the
# grader and the staged course are built before the first student arrives.
# Fails loudly (non-zero) if the course cannot be built: better a failed
# image than an autograder that gives every student zero.
# $AUTOGRADER (default /autograder) lets a test run this in any folder.
set -euo pipefail

AUTOGRADER="${AUTOGRADER:-/autograder}"
course="$AUTOGRADER/source/course"
say() { printf 'setup: %s\n' "$*"; }

if [[ -r /etc/os-release ]]; then
  # shellcheck disable=SC1091
  . /etc/os-release
  case " ${ID:-} ${ID_LIKE:-} " in
    *" debian "*|*" ubuntu "*) say "base image: ${PRETTY_NAME:-$ID}" ;;
    *) say "error: needs a Debian or Ubuntu base image, not ${PRETTY_NAME:-unknown}"; exit 1 ;;
  esac
fi
command -v apt-get >/dev/null || { say "error: no apt-get on this image"; exit 1; }
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show bazel-bootstrap >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true
fi
if ! apt-cache show bazel-bootstrap 2>/dev/null | grep -q '^Version: 4\.2\.3'; then
  say "warning: this image's archive has no Bazel 4.2.3 (bazel-bootstrap); the course is"
  say "         built and tested with it on Debian 12. Pick a Debian 12 base image if setup fails."
fi

cd "$course"
warm="$(mktemp -d "${TMPDIR:-/tmp}/auroralab-setup.XXXXXX")"
# ./lab builds the grader in the course tree with its own Bazel server; it
# must not outlive setup.
trap 'bazel shutdown >/dev/null 2>&1; rm -rf "$warm"' EXIT
mkdir -p "$warm/submission"
while IFS= read -r file; do
  cp "$file" "$warm/submission/"
done < <(sed -n 's/^ *student_files: "\(.*\)"/\1/p' grader/rubric.textproto)
say "installing packages and building the course (grading the skeleton once)"
./lab grade --submission="$warm/submission" --out="$warm/out" \
  --staging="$AUTOGRADER/staging" >"$warm/grade.log" 2>&1 || {
  tail -40 "$warm/grade.log"
  say "error: grading the skeleton failed"
  exit 1
}
[[ -f "$warm/out/results.json" ]] || { tail -40 "$warm/grade.log"; say "error: no results.json"; exit 1; }
if grep -q 'Build failed' "$warm/out/results.json"; then
  tail -40 "$warm/grade.log"
  say "error: the course does not build on this image"
  exit 1
fi
say "ready: $(sed -n '/^Lab /,/^Total/p' "$warm/grade.log" | tail -1)"
