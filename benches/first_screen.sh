#!/bin/sh
# First screen of a long journal (issue 24): `grabbag review`, `grabbag
# replay` and `grabbag run --journal` (resume) started in a tmux pane on one
# journal, timed from just before `tmux new-session` to the first `tmux
# capture-pane` that shows the journal's entries (the first screen), and on
# to the first that shows all of it in (the integrity verdict; the replay's
# position without "reading"; "resumed"). See docs/PERFORMANCE.md.
#
#   GRABBAG_BENCH_ONLY=resume GRABBAG_BENCH_KEEP=/tmp/fs cargo bench --bench journal   # the journal
#   grabbag demo --dir /tmp/fs/demo --no-tui                                             # a library
#   benches/first_screen.sh /tmp/fs/plaintext-100000.jsonl /tmp/fs/demo [RUNS]
#
# RUNS timed launches of each (default 5) follow one untimed (page cache); the
# resume runs on a fresh copy of the journal each time (it appends). GRABBAG_BIN
# overrides the binary (default target/release/grabbag). Needs tmux and GNU
# date (`date +%s%N`).
set -eu

journal=${1:?usage: benches/first_screen.sh JOURNAL DEMO_DIR [RUNS]}
demo=${2:?usage: benches/first_screen.sh JOURNAL DEMO_DIR [RUNS]}
runs=${3:-5}
bin=${GRABBAG_BIN:-target/release/grabbag}
[ -x "$bin" ] || { echo "no binary at $bin: cargo build --release" >&2; exit 2; }
journal=$(cd "$(dirname "$journal")" && pwd)/$(basename "$journal")
demo=$(cd "$demo" && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
socket=grabbag-first-$$
home=$(mktemp -d)
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$home"' EXIT INT TERM

# Milliseconds from start to now.
since() {
    echo $(( ($(date +%s%N) - $1) / 1000 )) | awk '{ printf "%.0f\n", $1 / 1000 }'
}

# "FIRST ALL": milliseconds from launch until the pane matches the
# extended regular expression $2, and until it matches $3.
launch() {
    cat > "$home/grabbag.sh" <<EOF
#!/bin/sh
export HOME='$home' GRABBAG_CONFIG_DIR='$home/config' TERM=xterm-256color
export GRABBAG_LIBRARY='$demo/library' GRABBAG_IDENTITY='$demo/keys/demo-identity.txt'
unset NO_COLOR GRABBAG_THEME GRABBAG_ACTOR_NAME GRABBAG_ACTOR_ROLE
exec '$bin' $1
EOF
    while :; do
        start=$(date +%s%N)
        tmux -L "$socket" new-session -d -s g -x 120 -y 40 sh "$home/grabbag.sh" 2>/dev/null && break
        sleep 0.05
    done
    first=
    while :; do
        screen=$(tmux -L "$socket" capture-pane -p -t g 2>/dev/null || true)
        if [ -z "$first" ] && printf '%s' "$screen" | grep -Eq "$2"; then
            first=$(since "$start")
        fi
        if [ -n "$first" ] && printf '%s' "$screen" | grep -Eq "$3"; then
            break
        fi
        if [ $(( $(date +%s%N) - start )) -gt 120000000000 ]; then
            echo "never complete: $1" >&2
            echo "$screen" >&2
            exit 1
        fi
    done
    echo "$first $(since "$start")"
    tmux -L "$socket" kill-server 2>/dev/null || true
    sleep 0.2
}

median() {
    sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# NAME ARGS FIRST ALL: the untimed launch, then $runs timed ones.
measure() {
    name=$1
    shift
    : > "$home/times"
    i=0
    while [ "$i" -le "$runs" ]; do
        cp "$journal" "$home/j.jsonl"
        rm -f "$home/j.jsonl.tail" "$home/j.jsonl.lock"
        t=$(launch "$@")
        [ "$i" -gt 0 ] && echo "$t" >> "$home/times"
        i=$((i + 1))
    done
    printf '%-8s first screen median %6s ms (%s)   all in median %6s ms\n' "$name" \
        "$(cut -d' ' -f1 "$home/times" | median)" \
        "$(cut -d' ' -f1 "$home/times" | tr '\n' ' ' | sed 's/ $//')" \
        "$(cut -d' ' -f2 "$home/times" | median)"
}

echo "# first screen, $(basename "$journal") ($(wc -c < "$journal") bytes), $bin"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
measure review "review $home/j.jsonl" 'session started' 'VERIFIED|FAILED'
measure replay "replay $home/j.jsonl" 'REPLAY' 'entry [0-9]+/[0-9]+  (paused|playing)'
measure resume "run --journal $home/j.jsonl" 'at keyboard:' 'resumed'
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
