#!/usr/bin/env bash
# ./lab new-lab NAME [--title=TITLE] [--number=N]
#
# Scaffolds every part of a new lab from tools/new_lab/templates/ (see
# docs/parts-of-a-lab.md): the interface, harness and public tests
# (labs/NAME/), the student skeleton (skeleton/NAME/), the reference
# (solution/NAME/), hidden tests (grader/hidden/NAME/), a mutant list
# (grader/mutants/NAME/*.patch), a rubric block (appended to
# grader/rubric.textproto) and a handout page (docs/labs/NAME.md).
#
# The result is a small complete lab (a durable key-value server and a
# retrying client) that builds, whose reference passes its tests and whose
# skeleton fails them with "not implemented"; the instructor then replaces
# the starter with the real lab, part by part. NAME is snake_case
# (e.g. segments, crash_recovery); it names the folders, the C++ namespace
# auroralab::NAME and the Bazel targets. Refuses to overwrite anything.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TEMPLATES="$ROOT/tools/new_lab/templates"
say() { printf 'new-lab: %s\n' "$*" >&2; }
die() { printf 'new-lab: error: %s\n' "$*" >&2; exit 2; }

name="" title="" number=""
for arg in "$@"; do
  case "$arg" in
    --title=*) title="${arg#--title=}" ;;
    --number=*) number="${arg#--number=}" ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $arg (see ./lab new-lab --help)" ;;
    *) [[ -z "$name" ]] || die "one NAME only"; name="$arg" ;;
  esac
done
[[ -n "$name" ]] || die "usage: ./lab new-lab NAME [--title=TITLE] [--number=N]"
[[ "$name" =~ ^[a-z][a-z0-9_]*$ && "$name" != *__* && "$name" != *_ ]] ||
  die "NAME must be snake_case: a lower-case letter, then letters, digits and single underscores ('$name')"
case "$name" in
  framework|examples|auroralab) die "'$name' is taken by the framework" ;;
esac

rubric="$ROOT/grader/rubric.textproto"
[[ -f "$rubric" ]] || die "no $rubric: new-lab runs in the instructors' repository"
if grep -qE "^ *name: \"$name\"" "$rubric"; then die "the rubric already has a lab '$name'"; fi
for dir in "labs/$name" "skeleton/$name" "solution/$name" "grader/hidden/$name" \
           "grader/mutants/$name" "docs/labs/$name.md"; do
  [[ ! -e "$ROOT/$dir" ]] || die "$dir already exists"
done

# Lab 1 is the rubric's first lab; a new one comes after the last.
if [[ -z "$number" ]]; then
  number=$(($(grep -cE '^lab \{' "$rubric") + 1))
fi
[[ "$number" =~ ^[1-9][0-9]*$ ]] || die "--number must be a positive integer"
# segments -> Segments, crash_recovery -> CrashRecovery.
camel="$(sed -E 's/(^|_)([a-z0-9])/\U\2/g' <<<"$name")"
upper="${name^^}"
[[ -n "$title" ]] || title="$(sed -E 's/_/ /g; s/^(.)/\U\1/' <<<"$name")"
[[ "$title" != *'"'* && "$title" != *'|'* && "$title" != *'\'* ]] ||
  die "--title may not contain quotes, backslashes or '|'"

fill() {
  sed -e "s|{{lab}}|$name|g" -e "s|{{Lab}}|$camel|g" -e "s|{{LAB}}|$upper|g" \
      -e "s|{{N}}|$number|g" -e "s|{{title}}|$title|g" "$1"
}

created=()
while IFS= read -r template; do
  rel="${template#"$TEMPLATES"/}"
  rel="${rel%.tmpl}"
  rel="${rel//LAB/$name}"
  mkdir -p "$ROOT/$(dirname "$rel")"
  fill "$template" >"$ROOT/$rel"
  created+=("$rel")
done < <(find "$TEMPLATES" -type f -name '*.tmpl' | sort)

fill "$ROOT/tools/new_lab/rubric_block.tmpl" >>"$rubric"

for f in "${created[@]}"; do say "created $f"; done
say "appended lab '$name' to grader/rubric.textproto"
cat >&2 <<DONE
new-lab: lab $number ('$name', "$title") is a working starter. Next:
  ./lab test //labs/$name/... //grader/hidden/$name/...          # the reference passes
  ./lab test //labs/$name:${name}_test --impl=skeleton            # fails: "not implemented"
  ./lab grade --lab=$name
Then replace the starter part by part (docs/parts-of-a-lab.md) and link
docs/labs/$name.md from docs/README.md.
DONE
