#!/bin/sh
# Launch to first screen: the release binary started in a tmux pane on a
# library of 1,000 encrypted runbooks, timed from just before `tmux
# new-session` to the first `tmux capture-pane` that shows the library screen
# (its search prompt and its preview pane), and on to the first capture that
# lists the runbooks (a kind heading: the background load is in). See
# docs/PERFORMANCE.md.
#
#   GRABBAG_BENCH_KEEP=/tmp/gbbench cargo bench --bench library_load   # once: the library
#   cargo build --release
#   benches/launch.sh /tmp/gbbench [RUNS]
#
# DIR holds `library/` and `identity.txt` as the library_load bench keeps them.
# RUNS timed launches (default 15) follow 2 untimed ones (page cache). Each
# run also times a baseline: the same pane running `printf` of the same words,
# which is what tmux and the polling cost on their own. GRABBAG_BIN overrides
# the binary (default: $CARGO_TARGET_DIR or target, then release/grabbag).
# Needs tmux and GNU date (`date +%s%N`).
set -eu

dir=${1:?usage: benches/launch.sh DIR [RUNS]}
runs=${2:-15}
bin=${GRABBAG_BIN:-${CARGO_TARGET_DIR:-target}/release/grabbag}
[ -x "$bin" ] || { echo "no binary at $bin: cargo build --release" >&2; exit 2; }
[ -d "$dir/library" ] && [ -f "$dir/identity.txt" ] || {
    echo "$dir must hold library/ and identity.txt (GRABBAG_BENCH_KEEP)" >&2
    exit 2
}
dir=$(cd "$dir" && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
socket=grabbag-launch-$$
home=$(mktemp -d)
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$home"' EXIT INT TERM

# A clean environment: no remembered answers, no config, no colour settings.
cat > "$home/grabbag.sh" <<EOF
#!/bin/sh
export HOME='$home' GRABBAG_CONFIG_DIR='$home/config' TERM=xterm-256color
export GRABBAG_LIBRARY='$dir/library' GRABBAG_IDENTITY='$dir/identity.txt'
unset NO_COLOR GRABBAG_THEME GRABBAG_ACTOR_NAME GRABBAG_ACTOR_ROLE
exec '$bin' run
EOF
cat > "$home/baseline.sh" <<'EOF'
#!/bin/sh
printf 'type to search  Preview CYBER\n'
exec sleep 60
EOF

# Milliseconds (with µs) from start to now.
since() {
    echo $(( ($(date +%s%N) - $1) / 1000 )) | awk '{ printf "%.1f\n", $1 / 1000 }'
}

# "FIRST LISTED": milliseconds from launch until the pane shows the search
# prompt and the preview pane, and until it lists the runbooks.
launch() {
    # A server still going away refuses a new session ("server exited
    # unexpectedly"): try again, the clock restarting with each try.
    while :; do
        start=$(date +%s%N)
        tmux -L "$socket" new-session -d -s g -x 100 -y 30 sh "$1" 2>/dev/null && break
        sleep 0.05
    done
    first=
    while :; do
        screen=$(tmux -L "$socket" capture-pane -p -t g 2>/dev/null || true)
        case $screen in
        *"type to search"*Preview*) [ -n "$first" ] || first=$(since "$start") ;;
        esac
        case $screen in
        *CYBER* | *CONTINUITY*) [ -n "$first" ] && break ;;
        esac
        if [ $(( $(date +%s%N) - start )) -gt 30000000000 ]; then
            echo "the library never showed its runbooks:" >&2
            echo "$screen" >&2
            exit 1
        fi
    done
    listed=$(since "$start")
    # The server may be going already ("server exited unexpectedly").
    tmux -L "$socket" kill-server 2>/dev/null || true
    # Let the server go before the next run.
    while tmux -L "$socket" has-session 2>/dev/null; do sleep 0.05; done
    echo "$first $listed"
}

# Median, min and max of one number a line.
summary() {
    sort -n | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "median %.1f ms, min %.1f ms, max %.1f ms (%d runs)\n", m, v[1], v[NR], NR
    }'
}

echo "binary: $bin"
echo "library: $dir/library ($(find "$dir/library" -name '*.age' | wc -l) encrypted runbooks)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
launch "$home/grabbag.sh" > /dev/null
launch "$home/grabbag.sh" > /dev/null
: > "$home/first" && : > "$home/listed" && : > "$home/base"
i=1
while [ "$i" -le "$runs" ]; do
    set -- $(launch "$home/grabbag.sh")
    b=$(launch "$home/baseline.sh" | cut -d' ' -f1)
    echo "run $i: first screen $1 ms, runbooks listed $2 ms, baseline $b ms"
    echo "$1" >> "$home/first"
    echo "$2" >> "$home/listed"
    echo "$b" >> "$home/base"
    i=$((i + 1))
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
printf 'launch to first screen: '
summary < "$home/first"
printf 'launch to runbooks listed: '
summary < "$home/listed"
printf 'baseline (tmux + polling): '
summary < "$home/base"
