#!/bin/sh
# check_layers.sh - the tree's layers stay true (CONTRIBUTING.md).
#
# 1. Includes: a file includes headers of its own folder and of the folders
#    below it, never of one above or beside it.  Every project include names
#    its folder ("model/engine.h"), so the rule is read off the #include line.
# 2. No file-level loops: with the built objects (make check runs this after
#    building), no two files call each other, directly or around a circle.
#    Read from the symbols each object defines and uses (nm).
#
# Usage: tools/check_layers.sh [SRCDIR [BUILDDIR]]  (make check passes none:
# it runs from the build directory with srcdir in the environment)
set -u
top=${1:-${srcdir:-.}}
build=${2:-.}
status=0

# folder -> the folders its files may include (its own comes first)
allowed() {
	case $1 in
	src/core) echo "core" ;;
	puzzles) echo "puzzles core" ;;
	src/model) echo "model core" ;;
	src/io) echo "io model puzzles core" ;;
	src/analysis) echo "analysis io model puzzles core" ;;
	src/train) echo "train io model puzzles core" ;;
	src/cli) echo "cli analysis train io model puzzles core" ;;
	ui) echo "ui cli analysis train io model puzzles core" ;;
	src) echo "ui cli core" ;; # main.c
	esac
}

for f in $(cd "$top" && ls src/*.c src/*/*.[ch] puzzles/*.[ch] puzzles/tools/*.c ui/*.[ch] 2>/dev/null); do
	dir=${f%/*}
	[ "$dir" = puzzles/tools ] && dir=tools
	ok=$(allowed "$dir")
	[ "$dir" = tools ] && ok="puzzles core"
	[ -n "$ok" ] || { echo "check_layers: $f: folder $dir has no layer (add it to tools/check_layers.sh)"; status=1; continue; }
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$top/$f" | while IFS= read -r line; do
		inc=$(printf '%s\n' "$line" | sed 's/.*include[[:space:]]*"\([^"]*\)".*/\1/')
		case $inc in
		config.h) [ "$f" = src/main.c ] && continue ;; # autoconf's, for the version
		esac
		case $inc in
		*/*) ;;
		*) echo "check_layers: $f:${line%%:*}: \"$inc\" does not name its folder (\"layer/$inc\")"; echo x >&3; continue ;;
		esac
		want=${inc%%/*}
		hit=no
		for a in $ok; do [ "$a" = "$want" ] && hit=yes; done
		if [ $hit = no ]; then
			echo "check_layers: $f:${line%%:*}: includes \"$inc\", but $dir may only include: $ok"
			echo x >&3
		fi
		[ -f "$top/src/$inc" ] || [ -f "$top/$inc" ] ||
			{ echo "check_layers: $f:${line%%:*}: \"$inc\" does not exist"; echo x >&3; }
	done 3>>"${TMPDIR:-/tmp}/check_layers.$$"
done
if [ -s "${TMPDIR:-/tmp}/check_layers.$$" ]; then status=1; fi
rm -f "${TMPDIR:-/tmp}/check_layers.$$"

# 2. file-level loops, from the objects of the build
objs=$(cd "$build" && ls src/*/libhrm_a-*.o puzzles/libhrm_a-*.o src/*/hrmscope-*.o src/hrmscope-*.o \
	ui/hrmscope-*.o 2>/dev/null)
if [ -z "$objs" ]; then
	echo "check_layers: no objects under $build (build first): file loops not checked"
	[ "$status" -eq 0 ] && echo "check_layers: includes follow the layers"
	exit $status
fi
loops=$(cd "$build" && for o in $objs; do
	name=$(echo "$o" | sed 's/\(libhrm_a\|hrmscope\)-//; s/\.o$//')
	nm "$o" | awk -v f="$name" '$1 ~ /^[0-9a-f]+$/ && $2 ~ /^[TDBR]$/ { print "D", f, $3 } $1 == "U" { print "U", f, $2 }'
done | awk '
	$1 == "D" { def[$3] = $2; next }
	{ use[++n] = $2 " " $3 }
	END {
		for (i = 1; i <= n; i++) {
			split(use[i], p, " ")
			if ((p[2] in def) && def[p[2]] != p[1]) {
				e = p[1] SUBSEP def[p[2]]
				if (!(e in edge)) { edge[e] = p[2]; nodes[p[1]]; nodes[def[p[2]]] }
			}
		}
		for (a in nodes) for (b in nodes) if ((a SUBSEP b) in edge) reach[a, b] = 1
		for (k in nodes) for (a in nodes) if ((a, k) in reach) for (b in nodes) if ((k, b) in reach) reach[a, b] = 1
		# one line per loop: the files that reach each other, and the calls between them
		for (a in nodes) {
			if (a in done || !((a, a) in reach)) continue
			line = ""
			for (b in nodes) if (b == a || (((a, b) in reach) && ((b, a) in reach))) { line = line " " b; done[b] }
			calls = ""
			for (b in nodes) for (c in nodes)
				if (index(line " ", " " b " ") && index(line " ", " " c " ") && ((b SUBSEP c) in edge))
					calls = calls "\n      " b " -> " c " (" edge[b SUBSEP c] ")"
			print "loop:" line calls
		}
	}' )
if [ -n "$loops" ]; then
	echo "check_layers: files that call each other (directly or around a loop):"
	echo "$loops" | sed 's/^/  /'
	status=1
fi
[ "$status" -eq 0 ] && echo "check_layers: includes follow the layers, and no two files call each other"
exit $status
