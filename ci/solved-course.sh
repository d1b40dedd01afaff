#!/usr/bin/env bash
# A learner's tree with every exercise solved, for grading the whole course in CI:
# the course's exercises with each solution laid over its exercise (src/, tests/, learner
# files; never mutants/ or bugs/).
#   bash ci/solved-course.sh DEST
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:?usage: ci/solved-course.sh DEST}
rm -rf "$dest"
mkdir -p "$dest"
cp info.toml "$dest/"
tar --exclude=exercises/target -cf - exercises | tar -C "$dest" -xf -
for solution in solutions/*/*/; do
  exercise="$dest/exercises/${solution#solutions/}"
  for item in "$solution".[!.]* "$solution"*; do
    [ -e "$item" ] || continue
    case $(basename "$item") in mutants | bugs) continue ;; esac
    cp -r "$item" "$exercise"
  done
done
